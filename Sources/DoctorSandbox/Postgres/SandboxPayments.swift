import DoctorKit
import Foundation

/// The payments the sandbox's Stripe stand-in lists and its database holds, made once from one
/// clock reading so both sides agree: the same ids, and rows written a second or two after Stripe
/// created each payment intent, as the webhook handler would.
struct SandboxPayments: Sendable {
    /// One payment intent, and when (if ever) the payment API wrote its row.
    struct Payment: Sendable, Equatable {
        /// `pi_…`.
        var id: String
        /// In the smallest currency unit.
        var amount: Int
        var currency = "usd"
        /// Stripe's status: `succeeded`, `requires_payment_method`, `canceled`, …
        var status: String
        /// When Stripe created it, Unix seconds.
        var created: Int
        /// How long after `created` the row was written, in milliseconds; nil when there is no row.
        var rowLagMilliseconds: Int?
        /// What the row says when it disagrees with Stripe (`status-mismatch`); nil: Stripe's.
        var rowStatus: String?
        var rowAmount: Int?
    }

    /// Newest first, as Stripe lists them.
    let payments: [Payment]

    init(_ payments: [Payment]) {
        self.payments = payments.sorted { ($0.created, $0.id) > ($1.created, $1.id) }
    }

    /// The demo's payments at `now`: 40 succeeded ones 47 minutes apart (30 of them in the last
    /// day), each recorded 0.4–3 s later; one that succeeded 90 s ago and whose webhook has not
    /// landed yet (inside the reconciliation's settle time); two that never succeeded and so have no
    /// row. `payments-missing` drops the rows of three succeeded ones, as a missed webhook would;
    /// `db-errors-in-logs` those of the newest three, whose writes hit the database outage.
    static func demo(fault: SandboxFault?, now: Int) -> SandboxPayments {
        var payments: [Payment] = []
        for index in 1...40 {
            let missed = (fault == .paymentsMissing && missingIndexes.contains(index))
                || (fault == .dbErrorsInLogs && index * 47 * 60 <= SandboxServiceLog.databaseOutageSeconds)
            var payment = Payment(
                id: "pi_sandbox_\(index)", amount: 1000 + index, status: "succeeded", created: now - index * 47 * 60,
                rowLagMilliseconds: missed ? nil : 400 + index * 733 % 2600)
            if fault == .statusMismatch && index == 5 { payment.rowStatus = "pending" }
            if fault == .statusMismatch && index == 8 { payment.rowAmount = payment.amount - 100 }
            payments.append(payment)
        }
        payments.append(Payment(id: "pi_sandbox_inflight", amount: 4200, status: "succeeded", created: now - 90, rowLagMilliseconds: nil))
        payments.append(Payment(id: "pi_sandbox_declined", amount: 2500, status: "requires_payment_method", created: now - 3 * 3600 - 120))
        payments.append(Payment(id: "pi_sandbox_canceled", amount: 990, status: "canceled", created: now - 9 * 3600 - 300))
        return SandboxPayments(payments)
    }

    /// Which of `pi_sandbox_N` lack their row under `payments-missing` (all inside the default day).
    static let missingIndexes: Set<Int> = [3, 11, 19]

    /// The payment intents in Stripe's shape (`object: "payment_intent"`), newest first.
    var intents: [JSONValue] {
        payments.map { payment in
            .object([
                ("id", .string(payment.id)), ("object", .string("payment_intent")), ("amount", .int(payment.amount)),
                ("amount_received", .int(payment.status == "succeeded" ? payment.amount : 0)),
                ("capture_method", .string("automatic_async")), ("created", .int(payment.created)),
                ("currency", .string(payment.currency)), ("customer", .null), ("description", .null),
                ("latest_charge", payment.status == "succeeded" ? .string("ch_" + payment.id.dropFirst(3)) : .null),
                ("livemode", .bool(false)), ("metadata", .object([])),
                ("payment_method_types", .array([.string("card")])), ("status", .string(payment.status)),
            ])
        }
    }

    /// The `"Payment"` rows of the payments that have one, as an `INSERT` the sandbox's setup runs.
    ///
    /// Only the sandbox's own constants go into this text, never anything received.
    var insertStatement: String {
        let rows = payments.enumerated().compactMap { index, payment -> String? in
            guard let lag = payment.rowLagMilliseconds else { return nil }
            let recorded = Double(payment.created) + Double(lag) / 1000
            return "('pay_\(payments.count - index)', '\(payment.id)', \(payment.rowAmount ?? payment.amount), '\(payment.currency)', '\(payment.rowStatus ?? payment.status)', "
                + "to_timestamp(\(String(format: "%.3f", recorded))) AT TIME ZONE 'UTC')"
        }
        return "INSERT INTO \"Payment\" (id, \"stripePaymentIntentId\", amount, currency, status, \"createdAt\") VALUES\n  "
            + rows.joined(separator: ",\n  ") + ";"
    }
}
