import Foundation

/// A payment intent (`object: "payment_intent"`), as far as reconciliation is concerned.
public struct StripePaymentIntent: Sendable, Equatable {
    /// `pi_…`.
    public var id: String
    /// `succeeded`, `processing`, `requires_payment_method`, `canceled`, …
    public var status: String
    /// When Stripe created it, Unix seconds.
    public var created: Int
    /// In the currency's smallest unit.
    public var amount: Int?
    /// Lower-case ISO code, e.g. `usd`.
    public var currency: String?
    /// Whether it is a live-mode payment.
    public var livemode: Bool?

    /// Reads a payment intent; nil when `json` lacks an id, status or creation time.
    public init?(_ json: JSONValue) {
        guard let id = json.string("id"), let status = json.string("status"), let created = json.int("created") else { return nil }
        self.id = id
        self.status = status
        self.created = created
        amount = json.int("amount")
        currency = json.string("currency")
        livemode = json.bool("livemode")
    }

    /// A payment intent from its parts (tests, the sandbox).
    public init(id: String, status: String, created: Int, amount: Int? = nil, currency: String? = nil, livemode: Bool? = nil) {
        self.id = id
        self.status = status
        self.created = created
        self.amount = amount
        self.currency = currency
        self.livemode = livemode
    }

    /// `pi_… 2026-11-29T03:10:00Z 10.00 USD`, for evidence.
    public var line: String {
        var text = "\(id) \(UTCTime.string(Date(timeIntervalSince1970: TimeInterval(created)), .iso8601))"
        if let amount {
            let code = (currency ?? "").uppercased()
            // Zero-decimal currencies (JPY, KRW, …) would read wrong as cents; show the raw amount then.
            text += (Self.twoDecimal.contains(code) ? String(format: " %.2f", Double(amount) / 100) : " \(amount)") + " \(code)"
        }
        return text.trimmingCharacters(in: .whitespaces)
    }

    /// The common currencies Stripe counts in hundredths.
    static let twoDecimal: Set<String> = ["USD", "EUR", "GBP", "CAD", "AUD", "NZD", "CHF", "SEK", "NOK", "DKK", "SGD", "HKD", "MXN", "BRL", "INR", "PLN"]
}
