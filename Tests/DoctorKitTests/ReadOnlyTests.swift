import DoctorKit
import Foundation
import Testing
@testable import DoctorSandbox

/// `--read-only` is for unattended schedules: no request with a side effect on any service (DESIGN:
/// "no POST, no event, no write"). A POST to the service is one: the service logs it, and a
/// route check's unsigned event is reported to Sentry as a warning (issue 19, item 7).
@Suite("--read-only sends nothing with a side effect")
struct ReadOnlyTests {
    @Test("--read-only sends the service no POST: the route checks are left out and say why; the service logs only GETs from the run")
    func noPost() throws {
        let probe = try RenderProbe()
        defer { probe.sandbox.stop() }
        let started = nowMilliseconds()
        let result = try DoctorProcess.run(["--check", "webhooks-not-arriving", "--read-only", "-v"], environment: probe.environment)
        #expect(result.stdout.contains("The webhook route is mounted and rejects unsigned events: skipped under --read-only: it sends a POST"),
                "\(result.stdout)")
        let lines = probe.allLogs(hoursBack: 0.2).logs.filter { (renderTime($0["timestamp"]) ?? 0) >= started - 1000 }
        let methods = lines.compactMap { line in
            line["labels"]?.arrayValue.first { $0["name"]?.stringValue == "method" }?["value"]?.stringValue
        }
        #expect(methods.contains("GET"), "the run's GETs reached the service: \(methods)")
        #expect(!methods.contains("POST"), "\(lines)")
        #expect(!lines.contains { $0["message"]?.stringValue?.contains("Missing Stripe signature") == true })

        // Without --read-only the same run does send its route check.
        let after = nowMilliseconds()
        _ = try DoctorProcess.run(["--check", "webhooks-not-arriving"], environment: probe.environment)
        let sent = probe.allLogs(hoursBack: 0.2).logs.filter { (renderTime($0["timestamp"]) ?? 0) >= after - 1000 }
        #expect(sent.contains { $0["message"]?.stringValue?.contains("Missing Stripe signature") == true })
    }

    @Test("an http step with a method other than GET, HEAD or OPTIONS is skipped under --read-only, before any request")
    func httpCheck() async throws {
        let runbook = try RunbookLoader(registry: .standard).load(yaml: """
            version: 1
            id: ro
            title: Read-only
            symptom: test
            steps:
              - { id: post, title: Post, check: http, with: { url: "http://127.0.0.1:9/x", method: POST, expect_status: [400] } }
              - { id: get, title: Get, check: http, with: { url: "http://127.0.0.1:9/x" } }
            """, file: "ro.yml")
        let http = HTTPClient()
        defer { http.close() }
        let report = await Runner(configuration: Configuration(), http: http, options: RunOptions(timeout: .seconds(10), readOnly: true)).run([runbook])
        let steps = report.runbooks[0].steps
        #expect(steps[0].status == .skip)
        #expect(steps[0].summary.contains("--read-only"))
        #expect(steps[1].status == .fail, "a GET is still sent: \(steps[1].summary)")
    }
}
