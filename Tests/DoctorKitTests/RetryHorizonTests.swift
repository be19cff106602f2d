import Foundation
import Testing
@testable import DoctorKit

/// stripe-deliveries says where the oldest undelivered event stands against Stripe's 3-day
/// automatic retries (live mode) and the 30-day resend limit (issue 19, item 6).
@Suite("Retry horizon")
struct RetryHorizonTests {
    let now = 1_796_670_000

    func event(_ id: String, ageHours: Int, live: Bool?, pending: Int = 1) -> StripeEvent {
        var fields: [(String, JSONValue)] = [("id", .string(id)), ("type", .string("payment_intent.succeeded")),
                                             ("created", .int(now - ageHours * 3600)), ("pending_webhooks", .int(pending))]
        if let live { fields.append(("livemode", .bool(live))) }
        return StripeEvent(.object(fields))!
    }

    @Test("live mode: retried for the rest of 3 days, then only a resend within 30 days; test mode: resend it")
    func horizons() {
        let young = StripeDeliveriesCheck.retryHorizon(of: event("evt_young", ageHours: 19, live: true), now: now)
        #expect(young.clause == "oldest evt_young stops being retried in 2 d 5 h", "\(young.clause)")
        #expect(young.detail.contains("can be resent until"))
        let near = StripeDeliveriesCheck.retryHorizon(of: event("evt_near", ageHours: 67, live: true), now: now)
        #expect(near.clause == "oldest evt_near stops being retried in 5 h", "\(near.clause)")
        let stopped = StripeDeliveriesCheck.retryHorizon(of: event("evt_old", ageHours: 24 * 4, live: true), now: now)
        #expect(stopped.clause == "oldest evt_old no longer retried by Stripe")
        #expect(stopped.detail.contains("Stripe stopped retrying it after 3 days; it can be resent until"), "\(stopped.detail)")
        let gone = StripeDeliveriesCheck.retryHorizon(of: event("evt_gone", ageHours: 24 * 31, live: true), now: now)
        #expect(gone.detail.contains("past Stripe's 30-day limit and can no longer be resent"), "\(gone.detail)")
        let test = StripeDeliveriesCheck.retryHorizon(of: event("evt_test", ageHours: 2, live: false), now: now)
        #expect(test.clause == "oldest evt_test 2 h old (test mode: resend it)")
    }

    @Test("the step's summary and evidence name the oldest undelivered event's horizon")
    func inTheStep() throws {
        let runbook = try RunbookLoader(registry: .standard).load(yaml: """
            version: 1
            id: d
            title: D
            symptom: test
            steps:
              - { id: deliveries, title: Deliveries, check: stripe-deliveries }
            """, file: "d.yml")
        let probe = try #require(runbook.steps[0].check as? StripeDeliveriesCheck.Probe)
        let events = [event("evt_new", ageHours: 1, live: true), event("evt_first", ageHours: 20, live: true), event("evt_ok", ageHours: 2, live: true, pending: 0)]
        let failing = Array(events.prefix(2))
        let outcome = probe.evaluate(failing: failing, failingTruncated: false, recent: events, recentTruncated: false, evidence: Evidence(), now: now)
        #expect(outcome.status == .fail)
        #expect(outcome.summary.hasSuffix("; oldest evt_first stops being retried in 2 d 4 h"), "\(outcome.summary)")
        #expect(outcome.evidence["retry_horizon"]?.text.hasPrefix("evt_first is 20 h old") == true)
    }

    @Test("through the binary: demo --fault deliveries-failing names the oldest pending event's horizon (test mode: resend it)")
    func demo() throws {
        let result = try DoctorProcess.run(["demo", "webhooks-not-arriving", "--fault", "deliveries-failing", "-v", "--no-color"])
        #expect(result.exitCode == 2)
        let line = result.stdout.split(separator: "\n").first { $0.hasPrefix("[✗] Stripe delivered the last 24 hours of events") } ?? ""
        #expect(line.contains("; oldest evt_") && line.contains("(test mode: resend it)"), "\(line)")
        #expect(result.stdout.contains("retry_horizon: evt_"), "\(result.stdout)")
    }
}
