import DoctorKit
import Foundation

/// What the payment API's webhook handler does after it verified an event, as the guide describes:
/// every webhook event is logged in `"AiEvent"` (its own id, Stripe's type, the whole event as
/// `payload`), and a succeeded payment gets its `"Payment"` row. The values are bound parameters:
/// nothing received becomes SQL text.
actor SandboxAuditWriter {
    private let info: PostgresConnectionInfo
    private var connection: PostgresConnection?

    /// A writer to the sandbox's database at `url` (the service's own role: it writes its rows).
    init?(url: String) {
        guard let parsed = try? PostgresURL.parse(url) else { return nil }
        info = PostgresConnectionInfo(url: parsed, applicationName: "payments-api", readOnly: false)
    }

    /// Logs one event; a failure is the service's own (no row), as a failed Prisma write would be.
    func record(id: String, type: String, payload: String) async {
        let deadline = ContinuousClock.now + .seconds(5)
        do {
            if connection == nil { connection = try await PostgresConnection.connect(info, deadline: deadline) }
            _ = try await connection?.query(
                #"INSERT INTO "AiEvent" (id, type, payload, "createdAt") VALUES ($1, $2, $3::jsonb, now() AT TIME ZONE 'utc')"#,
                ["aie_" + UUID().uuidString.lowercased().prefix(20), type, payload], deadline: deadline)
        } catch {
            connection = nil
        }
    }

    /// Writes the `"Payment"` row of a succeeded payment intent, as the handler's Prisma `create`
    /// does; a row already there (a redelivery) is left as it is.
    func recordPayment(intent: String, amount: Int, currency: String, status: String) async {
        let deadline = ContinuousClock.now + .seconds(5)
        do {
            if connection == nil { connection = try await PostgresConnection.connect(info, deadline: deadline) }
            _ = try await connection?.query(
                #"INSERT INTO "Payment" (id, "stripePaymentIntentId", amount, currency, status, "createdAt") "#
                    + #"VALUES ($1, $2, $3::integer, $4, $5, now() AT TIME ZONE 'utc') ON CONFLICT ("stripePaymentIntentId") DO NOTHING"#,
                ["pay_" + UUID().uuidString.lowercased().prefix(20), intent, String(amount), currency, status], deadline: deadline)
        } catch {
            connection = nil
        }
    }
}
