import Foundation

/// The doctor's canary payment: a small test-mode PaymentIntent with Stripe's test card, marked as
/// the doctor's in its metadata, followed through Stripe's own delivery to the service's rows.
///
/// Everything the doctor counts leaves canaries out: Stripe objects by the metadata mark (or, for
/// a charge, refund or dispute, by the canary's payment intent), log lines by the payment intent
/// ids the doctor recorded in its `OwnRequestLedger`. The reconciliation looks `"Payment"` rows up
/// by the Stripe payments it counts, so a canary's row is never among them; the rows themselves are
/// the service's genuine writes, and the steps that ask whether it is writing count them as such.
public enum PaymentCanary {
    /// The metadata key that marks a payment intent as the doctor's canary.
    public static let metadataKey = "doctor_canary"
    /// Stripe's test card as a PaymentMethod id; it exists in test mode only (api-facts §9).
    public static let testCard = "pm_card_visa"
    /// The default amount: Stripe's minimum charge in US dollars, 50 cents.
    public static let defaultAmount = 50

    /// Currencies without a minor unit: their amounts are whole units (Stripe's zero-decimal list).
    static let zeroDecimal: Set<String> = ["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf",
                                           "ugx", "vnd", "vuv", "xaf", "xof", "xpf"]

    /// `$0.50` for 50 in `usd`, `0.50 EUR`, `50 JPY`: an amount in the smallest unit as people read it.
    public static func price(_ amount: Int, _ currency: String) -> String {
        let code = currency.lowercased()
        if zeroDecimal.contains(code) { return "\(amount) \(code.uppercased())" }
        let major = String(format: "%d.%02d", amount / 100, amount % 100)
        return code == "usd" ? "$" + major : "\(major) \(code.uppercased())"
    }

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

    /// Each canary payment a session made or tried to make, as "Actions taken" lists it: when, the
    /// payment intent, its request id and idempotency key, and what came of it (the step's summary).
    /// A try whose answer was lost has no payment intent; its idempotency key finds it in Stripe.
    public static func actions(in record: SessionRecord) -> [String] {
        var seen: Set<String> = []
        return record.allSteps.compactMap { _, step -> String? in
            guard step.kind == PaymentCanaryCheck.name, case let .string(key)? = step.evidence["idempotency_key"],
                  seen.insert(key).inserted else { return nil }
            let intent = step.evidence["payment_intent"]?.stringValue ?? "(no answer from Stripe)"
            var made = "\(UTCTime.string(step.startedAt, .iso8601)) canary payment \(intent) (\(testCard), test mode"
            made += ", idempotency key \(key))"
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
