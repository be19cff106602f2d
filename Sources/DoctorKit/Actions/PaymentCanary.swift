import Foundation

/// The doctor's canary payment: a small test-mode PaymentIntent with Stripe's test card, marked as
/// the doctor's in its metadata, followed through Stripe's own delivery to the service's rows.
///
/// Everything the doctor counts leaves canaries out: Stripe objects by the metadata mark (or, for
/// a charge, refund or dispute, by the canary's payment intent), log lines by the payment intent
/// ids the doctor recorded in its `OwnRequestLedger`, database rows by those same ids.
public enum PaymentCanary {
    /// The metadata key that marks a payment intent as the doctor's canary.
    public static let metadataKey = "doctor_canary"
    /// Stripe's test card as a PaymentMethod id; it exists in test mode only (api-facts §9).
    public static let testCard = "pm_card_visa"
    /// The default amount: Stripe's minimum charge in US dollars, 50 cents.
    public static let defaultAmount = 50

    /// Whether `id` looks like a payment intent id (`pi_` and letters or digits): what the ledger
    /// accepts as a canary's id.
    public static func isIntentID(_ id: String) -> Bool {
        id.hasPrefix("pi_") && id.count > 3 && id.count <= 64
            && id.utf8.dropFirst(3).allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x5F }
    }

    /// Whether a Stripe object (a payment intent, charge, refund or dispute) is a canary's: marked
    /// in its metadata, or carrying one of the `known` canary payment intents.
    static func isCanary(object: JSONValue?, known: Set<String>) -> Bool {
        guard let object else { return false }
        if object["metadata"]?[metadataKey] != nil { return true }
        if known.isEmpty { return false }
        let intent = object.string("payment_intent") ?? object["payment_intent"]?.string("id")
        if let intent, known.contains(intent) { return true }
        return object.string("object") == "payment_intent" && object.string("id").map(known.contains) == true
    }

    /// Whether an event is about a canary: its object is one.
    static func isCanary(event: JSONValue, known: Set<String>) -> Bool {
        isCanary(object: event["data"]?["object"], known: known)
    }

    /// Each canary payment a session made, as "Actions taken" lists it: when, the payment intent,
    /// its request id and idempotency key, and what came of it (the step's summary).
    public static func actions(in record: SessionRecord) -> [String] {
        var seen: Set<String> = []
        return record.allSteps.compactMap { _, step -> String? in
            guard step.kind == PaymentCanaryCheck.name, case let .string(intent)? = step.evidence["payment_intent"],
                  seen.insert(intent).inserted else { return nil }
            var made = "\(UTCTime.string(step.startedAt, .iso8601)) canary payment \(intent) (\(testCard), test mode"
            if case let .string(key)? = step.evidence["idempotency_key"] { made += ", idempotency key \(key)" }
            made += ")"
            if case let .string(request)? = step.evidence["request_id"] { made += ", request \(request)" }
            return made + ": \(step.status.rawValue) — \(step.summary)"
        }
    }

    /// The canary payment intents the ledger knows from the last 31 days (none without a ledger).
    static func known(_ context: CheckContext) -> Set<String> {
        let since = Int64(Date().timeIntervalSince1970 * 1000) - 31 * 86_400_000
        return context.resources.ownRequests?.canaryIntents(since: since) ?? []
    }
}
