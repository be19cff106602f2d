import Testing
@testable import DoctorKit

/// `audit-retention`'s reading of the two tables' ages: short history fails only when payments go
/// back further, a young service is said to be young, a quiet day only warns.
@Suite("Audit retention")
struct AuditRetentionTests {
    let check = AuditRetentionCheck.Retention(variable: "DATABASE_URL", table: "AiEvent", reference: "Payment", timeColumn: "createdAt",
                                              typeColumn: "type", minDays: 90, fresh: .seconds(86_400), timeout: .seconds(15))
    let day = 86_400

    private func judge(_ events: AuditRetentionCheck.Span?, _ payments: AuditRetentionCheck.Span?) -> CheckOutcome {
        var evidence = Evidence()
        evidence["reference_table"] = .string("\"public\".\"Payment\"")
        return check.judge(events: events, payments: payments, evidence: &evidence)
    }

    @Test("90+ days of history, still written, passes")
    func kept() {
        #expect(judge(.init(oldest: 120 * day, newest: 600), .init(oldest: 120 * day, newest: 900)).status == .pass)
    }

    @Test("a young service keeps all its history: not a failure, and it says so")
    func young() {
        let outcome = judge(.init(oldest: 20 * day, newest: 600), .init(oldest: 20 * day, newest: 900))
        #expect(outcome.status == .pass)
        #expect(outcome.summary.contains("a young service"), "\(outcome.summary)")
    }

    @Test("history shorter than 90 days while payments go back further fails")
    func pruned() {
        let outcome = judge(.init(oldest: 30 * day, newest: 600), .init(oldest: 150 * day, newest: 900))
        #expect(outcome.status == .fail)
        #expect(outcome.summary.contains("older events were deleted"))
        #expect(judge(.init(oldest: 10 * day, newest: 600), .init(oldest: 40 * day, newest: 900)).status == .warn)
    }

    @Test("events stopped while payments go on fails; a quiet day only warns; no events at all with payments fails")
    func freshness() {
        #expect(judge(.init(oldest: 120 * day, newest: 3 * day), .init(oldest: 120 * day, newest: 600)).status == .fail)
        #expect(judge(.init(oldest: 120 * day, newest: 3 * day), .init(oldest: 120 * day, newest: 3 * day)).status == .warn)
        #expect(judge(nil, .init(oldest: 5 * day, newest: 600)).status == .fail)
        #expect(judge(nil, nil).status == .pass)
    }
}
