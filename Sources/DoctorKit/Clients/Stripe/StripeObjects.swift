import Foundation

/// The fields of a Stripe object the doctor reads, taken from its JSON.
extension JSONValue {
    /// The string at `key`, if it is one.
    public func string(_ key: String) -> String? {
        if case let .string(text)? = self[key] { return text }
        return nil
    }

    /// The integer at `key`, if it is one.
    public func int(_ key: String) -> Int? {
        switch self[key] {
        case let .int(number)?: number
        case let .double(number)? where number == number.rounded(): Int(number)
        default: nil
        }
    }

    /// The boolean at `key`, if it is one.
    public func bool(_ key: String) -> Bool? {
        if case let .bool(value)? = self[key] { return value }
        return nil
    }
}

/// A webhook endpoint (`object: "webhook_endpoint"`).
public struct StripeWebhookEndpoint: Sendable, Equatable {
    /// `we_…`.
    public var id: String
    /// Where Stripe delivers events.
    public var url: String
    /// `enabled` or `disabled`.
    public var status: String
    /// The event types it receives; `*` means all.
    public var enabledEvents: [String]
    /// Whether it is a live-mode endpoint.
    public var livemode: Bool?
    /// The API version events are rendered in, when pinned.
    public var apiVersion: String?
    /// The endpoint's description.
    public var description: String?

    /// Reads an endpoint; nil when `json` lacks an id or URL.
    public init?(_ json: JSONValue) {
        guard let id = json.string("id"), let url = json.string("url") else { return nil }
        self.id = id
        self.url = url
        status = json.string("status") ?? "enabled"
        if case let .array(events)? = json["enabled_events"] {
            enabledEvents = events.compactMap { if case let .string(event) = $0 { event } else { nil } }
        } else {
            enabledEvents = []
        }
        livemode = json.bool("livemode")
        apiVersion = json.string("api_version")
        description = json.string("description")
    }

    /// Whether the endpoint receives events of `type` (`*` and `prefix.*` wildcards included).
    public func receives(_ type: String) -> Bool {
        enabledEvents.contains { pattern in
            pattern == "*" || pattern == type
                || (pattern.hasSuffix(".*") && type.hasPrefix(String(pattern.dropLast())))
        }
    }
}

/// An event (`object: "event"`), as far as delivery is concerned.
public struct StripeEvent: Sendable, Equatable {
    /// `evt_…`.
    public var id: String
    /// e.g. `payment_intent.succeeded`.
    public var type: String
    /// When it was created, Unix seconds.
    public var created: Int
    /// How many endpoints have not yet acknowledged it with a 2xx.
    public var pendingWebhooks: Int
    /// Whether it is a live-mode event.
    public var livemode: Bool?

    /// Reads an event; nil when `json` lacks an id or type.
    public init?(_ json: JSONValue) {
        guard let id = json.string("id"), let type = json.string("type") else { return nil }
        self.id = id
        self.type = type
        created = json.int("created") ?? 0
        pendingWebhooks = json.int("pending_webhooks") ?? 0
        livemode = json.bool("livemode")
    }

    /// Whether the doctor itself sent it (a live probe): its own scans ignore these.
    public var isDoctorProbe: Bool { type.hasPrefix("doctor.") || id.hasPrefix("evt_doctor_") }

    /// `evt_… payment_intent.succeeded 2026-11-29T03:10:00Z`, for evidence.
    public var line: String {
        let time = Date(timeIntervalSince1970: TimeInterval(created))
        var text = "\(id) \(type) \(UTCTime.string(time, .iso8601))"
        if pendingWebhooks > 0 { text += " pending_webhooks=\(pendingWebhooks)" }
        return text
    }
}
