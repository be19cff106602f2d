import Foundation
import Testing
@testable import DoctorKit

/// The `clock-skew` kind and the probe's reading of "Timestamp outside the tolerance zone" (issue 19,
/// items 6 and 7): a service clock beyond Stripe's 300 s tolerance is named as the cause, not the secret.
@Suite("Clock skew")
struct ClockSkewTests {
    func probe() throws -> ClockSkewCheck.Probe {
        let runbook = try RunbookLoader(registry: .standard).load(yaml: """
            version: 1
            id: clocks
            title: Clocks
            symptom: test
            steps:
              - { id: clock, title: Clock, check: clock-skew, with: { url: "${API_URL}/api/health" } }
            """, file: "clocks.yml")
        return try #require(runbook.steps[0].check as? ClockSkewCheck.Probe)
    }

    func reading(_ offset: Double) -> ClockSkewCheck.Reading { .init(offset: offset, margin: 0.6) }

    @Test("judged against Stripe's clock when known: ahead beyond 300 s fails, 60-300 s warns, behind only warns, this machine's own error is named as such")
    func verdicts() throws {
        let check = try probe()
        let ahead = check.judge(service: reading(600), stripe: reading(0), evidence: Evidence())
        #expect(ahead.status == .fail)
        #expect(ahead.summary.contains("10 min ahead of Stripe's") && ahead.summary.contains("rejects every genuine delivery"), "\(ahead.summary)")
        #expect(check.judge(service: reading(90), stripe: reading(0), evidence: Evidence()).status == .warn)
        let behind = check.judge(service: reading(-600), stripe: reading(0), evidence: Evidence())
        #expect(behind.status == .warn && behind.summary.contains("behind"), "\(behind.summary)")
        // The service and Stripe agree; this machine is 7 minutes off: not the service's problem.
        let mine = check.judge(service: reading(420), stripe: reading(419), evidence: Evidence())
        #expect(mine.status == .warn)
        #expect(mine.summary.contains("this machine's clock"), "\(mine.summary)")
        #expect(check.judge(service: reading(1.2), stripe: reading(0.4), evidence: Evidence()).status == .pass)
        // Without a Stripe key the reference is this machine's clock, and the words say so.
        let local = check.judge(service: reading(400), stripe: nil, evidence: Evidence())
        #expect(local.status == .fail && local.summary.contains("of this machine's"), "\(local.summary)")
    }

    @Test("a Date header is read to the second, with half the round trip and the header's resolution as the margin")
    func reading() {
        let sent = 1_796_670_000.2
        let date = UTCTime.string(Date(timeIntervalSince1970: sent + 600), .http)
        #expect(UTCTime.parseHTTPDate(date) == Int64(sent) + 600)
        let read = ClockSkewCheck.Reading(date: date, sent: sent, received: sent + 0.4)
        #expect(read != nil)
        #expect(abs((read?.offset ?? 0) - 600) < 1.0)
        #expect(abs((read?.margin ?? 0) - 0.7) < 0.001)
        #expect(ClockSkewCheck.Reading(date: "yesterday", sent: sent, received: sent) == nil)
        #expect(ClockSkewCheck.Reading(date: nil, sent: sent, received: sent) == nil)
    }

    @Test("demo --fault clock-skew: the clock is the one cause, the probe clears the secret, exit 2; the healthy demo's clock step passes")
    func demo() throws {
        let result = try DoctorProcess.run(["demo", "webhooks-not-arriving", "--fault", "clock-skew", "--format", "json"])
        #expect(result.exitCode == 2, "\(result.stdout)")
        let report = try #require(JSONValue.parse(Data(result.stdout.utf8)))
        guard case let .array(findings)? = report["findings"] else { Issue.record("no findings"); return }
        #expect(findings.first?["id"] == .string("clock-skew"), "\(findings.first.map { "\($0)" } ?? "")")
        let probe = findings.first { $0["id"] == .string("webhook-secret-match") }
        #expect(probe?["summary"]?.text.contains("the secret is not in question") == true, "\(String(describing: probe))")
        #expect(probe?["explained_by"] == .string("clock-skew"))
        let healthy = try DoctorProcess.run(["demo", "webhooks-not-arriving", "-v"])
        #expect(healthy.exitCode == 0, "\(healthy.stdout)")
        #expect(healthy.stdout.contains("[✓] The service's clock agrees with Stripe's"), "\(healthy.stdout)")
    }
}
