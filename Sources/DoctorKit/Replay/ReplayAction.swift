import Foundation

/// One event the doctor asked Stripe to resend, and what came of it: journaled as `replay`, listed
/// under "Actions taken" in the note and the Stripe summary.
public struct ReplayAction: Sendable, Equatable, Codable {
    /// `evt_…`.
    public var eventID: String
    /// The event's type, e.g. `payment_intent.succeeded`.
    public var type: String
    /// The payment intent it carries, when it carries one.
    public var paymentIntent: String?
    /// `we_…`, the endpoint it was resent to.
    public var endpoint: String
    /// When the resend was asked for.
    public var sentAt: Date
    /// The `Request-Id` of Stripe's answer (of its error, when it refused).
    public var requestID: String?
    /// Whether it healed: the endpoint acknowledged it and, for a payment, its row appeared.
    public var healed: Bool
    /// What happened, in plain words: the answer Stripe recorded, the row, or why it was refused.
    public var outcome: String

    enum CodingKeys: String, CodingKey {
        case type, endpoint, healed, outcome
        case eventID = "event_id"
        case paymentIntent = "payment_intent"
        case sentAt = "sent_at"
        case requestID = "request_id"
    }

    public init(eventID: String, type: String, paymentIntent: String?, endpoint: String, sentAt: Date,
                requestID: String?, healed: Bool, outcome: String) {
        self.eventID = eventID
        self.type = type
        self.paymentIntent = paymentIntent
        self.endpoint = endpoint
        self.sentAt = sentAt
        self.requestID = requestID
        self.healed = healed
        self.outcome = outcome
    }

    /// `healed 2 of 3: evt_… (why)`: how a replay ended, as both faces and the record say it.
    public static func summary(of actions: [ReplayAction]) -> String {
        let healed = actions.filter(\.healed).count
        let missed = actions.filter { !$0.healed }.map { "\($0.eventID) (\($0.outcome))" }
        return "healed \(healed) of \(actions.count)" + (missed.isEmpty ? "" : ": " + missed.joined(separator: "; "))
    }

    /// `2026-12-08T10:02:11Z resent evt_… (payment_intent.succeeded, pi_…) to we_…, request req_…: healed — …`.
    public var line: String {
        let what = [type, paymentIntent].compactMap { $0 }.joined(separator: ", ")
        let request = requestID.map { ", request \($0)" } ?? ""
        return "\(UTCTime.string(sentAt, .iso8601)) resent \(eventID) (\(what)) to \(endpoint)\(request): "
            + (healed ? "healed" : "not healed") + " — \(outcome)"
    }
}
