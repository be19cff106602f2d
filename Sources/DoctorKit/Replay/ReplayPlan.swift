import Foundation

/// What `doctor replay` would resend: the events a session found undelivered and the
/// `payment_intent.succeeded` events of the succeeded payments that have no row, with the endpoint
/// they would go to. Making it only reads (Stripe's lists and objects); it sends nothing.
public struct ReplayPlan: Sendable {
    /// One event to resend.
    public struct Item: Sendable, Equatable {
        /// `evt_…`.
        public var eventID: String
        public var type: String
        /// When Stripe created the event, Unix seconds.
        public var created: Int
        /// The payment intent it carries, with its amount, when it carries one.
        public var paymentIntent: String?
        public var amount: Int?
        public var currency: String?
        /// Why it is here: `undelivered` (stripe-deliveries) or `no row` (reconciliation).
        public var reason: String
        /// Why it cannot be resent (older than 30 days), when it cannot.
        public var problem: String?

        /// How old it is against Stripe's automatic retries (3 days in live mode) and the 30 days
        /// after which Stripe cannot resend it.
        public func age(now: Int) -> String {
            let age = max(0, now - created)
            let text = ReplayPlan.span(age)
            if age > ReplayPlan.resendLimit { return "\(text) old: past Stripe's 30 days, it cannot be resent" }
            let left = ReplayPlan.span(ReplayPlan.resendLimit - age)
            if age > ReplayPlan.retryWindow {
                return "\(text) old: past Stripe's 3-day automatic retries (live mode); resendable for \(left) more"
            }
            return "\(text) old: within Stripe's 3-day automatic retries (live mode); resendable for \(left) more"
        }

        /// `evt_… payment_intent.succeeded 2026-12-08T09:12:00Z pi_… 10.03 USD (no row)`.
        public var line: String {
            var text = "\(eventID) \(type) \(UTCTime.string(Date(timeIntervalSince1970: TimeInterval(created)), .iso8601))"
            if let paymentIntent { text += " \(paymentIntent)" }
            if let amount {
                let code = (currency ?? "").uppercased()
                text += (StripePaymentIntent.twoDecimal.contains(code) ? String(format: " %.2f", Double(amount) / 100) : " \(amount)") + " \(code)"
            }
            return text + " (\(reason))"
        }
    }

    /// Live mode's automatic retry window, and how long Stripe keeps an event it can resend.
    public static let retryWindow = 3 * 86_400
    public static let resendLimit = 30 * 86_400

    /// The events, oldest first (the order they are resent in).
    public var items: [Item] = []
    /// `we_…` and its URL, the payment API's endpoint (`API_URL` + `/api/webhooks/stripe`).
    public var endpointID: String?
    public var endpointURL: String
    /// Payment intents or events the session named that Stripe could not match, each with why.
    public var unmatched: [String] = []
    /// Whether the session's inputs were cut short (the step listed only some of them).
    public var truncated = false

    /// The items that can be resent.
    public var sendable: [Item] { endpointID == nil ? [] : items.filter { $0.problem == nil } }

    /// How a dry run ends: nothing to send, or how many `confirm` (the face's way) would resend.
    public func dryRunLine(confirm: String) -> String {
        let count = sendable.count
        return count == 0 ? "dry run: nothing to send" : "dry run: nothing sent; \(confirm) resends \(count) event\(count == 1 ? "" : "s")"
    }

    /// The question a confirmation answers: `Resend 3 events to we_…?`.
    public var confirmationQuestion: String {
        "Resend \(sendable.count) event\(sendable.count == 1 ? "" : "s") to \(endpointID ?? "")?"
    }

    /// `2h 5m`, `3d 4h`.
    static func span(_ seconds: Int) -> String {
        if seconds < 3_600 { return "\(seconds / 60)m" }
        if seconds < 86_400 { return "\(seconds / 3_600)h \(seconds % 3_600 / 60)m" }
        return "\(seconds / 86_400)d \(seconds % 86_400 / 3_600)h"
    }
}

/// What a session found that a replay can act on, read from its step results.
public struct ReplayInputs: Sendable, Equatable {
    /// `evt_…` of the events `stripe-deliveries` listed as failed or pending.
    public var undeliveredEvents: [String] = []
    /// `pi_…` of the succeeded payments `reconciliation` found without a row.
    public var missingPaymentIntents: [String] = []
    /// Whether either step listed only some of what it found.
    public var truncated = false
    /// Whether any step that feeds a replay has a result.
    public var sawSteps = false

    /// Reads the latest `stripe-deliveries` and `reconciliation` results among `results`.
    public init(results: [(runbook: String, step: StepResult)]) {
        for (_, step) in results {
            switch step.kind {
            case "stripe-deliveries":
                sawSteps = true
                for id in Self.firstTokens(step.evidence["events"]) where id.hasPrefix("evt_") && !undeliveredEvents.contains(id) {
                    undeliveredEvents.append(id)
                }
                if step.evidence["events_not_shown"] != nil { truncated = true }
            case "reconciliation":
                sawSteps = true
                for id in Self.firstTokens(step.evidence["missing_ids"]) where id.hasPrefix("pi_") && !missingPaymentIntents.contains(id) {
                    missingPaymentIntents.append(id)
                }
                if step.evidence["missing_not_listed"] != nil { truncated = true }
            default: continue
            }
        }
    }

    /// Whether there is nothing to replay.
    public var isEmpty: Bool { undeliveredEvents.isEmpty && missingPaymentIntents.isEmpty }

    /// The first word of each line of a list of evidence lines (`evt_… type time`).
    private static func firstTokens(_ value: JSONValue?) -> [String] {
        guard case let .array(lines)? = value else { return [] }
        return lines.compactMap { line in
            guard case let .string(text) = line else { return nil }
            return text.split(separator: " ").first.map(String.init)
        }
    }
}
