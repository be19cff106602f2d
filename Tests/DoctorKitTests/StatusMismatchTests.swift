import Foundation
import Testing
@testable import DoctorKit
@testable import DoctorSandbox

/// The reconciliation's "checks for status mismatches" (the guide): matched Payment rows whose
/// status or amount differ from Stripe's (issue 19, item 6).
@Suite("Reconciliation: status and amount mismatches")
struct StatusMismatchTests {
    func intent(_ id: String, amount: Int) -> StripePaymentIntent {
        StripePaymentIntent(.object([("id", .string(id)), ("status", .string("succeeded")), ("created", .int(1_796_000_000)),
                                     ("amount", .int(amount))]))!
    }

    @Test("a contradicting status or another amount is a mismatch; the service's own words and whole-unit amounts are not")
    func mismatches() {
        var rows = PaymentLookup.Rows()
        rows.statuses = ["pi_a": "pending", "pi_b": "PAID", "pi_c": "succeeded", "pi_d": "Failed", "pi_e": "COMPLETED"]
        rows.amounts = ["pi_a": "1000", "pi_b": "10.00", "pi_c": "999", "pi_d": "1000", "pi_e": "1000.00"]
        let intents = ["pi_a", "pi_b", "pi_c", "pi_d", "pi_e"].map { intent($0, amount: 1000) }
        let found = ReconciliationEvaluation.mismatches(intents, rows: rows)
        #expect(found == [
            "pi_a row status \"pending\" vs Stripe's succeeded",
            "pi_c row amount 999 vs Stripe's 1000",
            "pi_d row status \"Failed\" vs Stripe's succeeded",
        ], "\(found)")
        // A table without the columns: nothing is claimed.
        #expect(ReconciliationEvaluation.mismatches(intents, rows: PaymentLookup.Rows()).isEmpty)
    }

    @Test("demo --fault status-mismatch: the reconciliation warns with both rows first; the healthy demo has none (real PostgreSQL)")
    func demo() throws {
        guard TemporaryPostgres.binDirectory != nil else {
            if DatabaseServers.isCI { Issue.record("PostgreSQL server binaries are required under CI=true") }
            return
        }
        let result = try DoctorProcess.run(["demo", "missing-db-records", "--fault", "status-mismatch", "--no-color"])
        #expect(result.exitCode == 1, "\(result.stdout)")
        #expect(result.stdout.contains("1 problem: 2 of 30 matched rows disagree with Stripe on status or amount (pi_sandbox_5 row status \"pending\" vs Stripe's succeeded, pi_sandbox_8 row amount 908 vs Stripe's 1008)"), "\(result.stdout)")
        let healthy = try DoctorProcess.run(["demo", "missing-db-records", "--format", "json"])
        #expect(healthy.exitCode == 0, "\(healthy.stdout)")
        #expect(!healthy.stdout.contains("status_or_amount_mismatches"))
    }
}
