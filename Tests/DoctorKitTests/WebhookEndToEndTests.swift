import Foundation
import Testing
@testable import DoctorKit
@testable import DoctorSandbox

/// `webhook-e2e`: a signed test event through the endpoint to its `"AiEvent"` row, against the
/// sandbox's real PostgreSQL (issue 18, item 3).
@Suite("Webhook end to end", .serialized)
struct WebhookEndToEndTests {
    func requirePostgres() -> Bool {
        guard TemporaryPostgres.binDirectory != nil else {
            if DatabaseServers.isCI { Issue.record("PostgreSQL server binaries are required under CI=true") }
            return false
        }
        return true
    }

    @Test("healthy: the row appears and each hop is timed; events-not-recorded: acknowledged with no row is the guide's symptom, found directly")
    func demo() throws {
        guard requirePostgres() else { return }
        let healthy = try DoctorProcess.run(["demo", "missing-db-records", "-v", "--no-color"])
        #expect(healthy.exitCode == 0, "\(healthy.stdout)")
        #expect(healthy.stdout.contains("[✓] A signed event reaches the database (the whole webhook path): a signed test event was acknowledged (HTTP 200 in"), "\(healthy.stdout)")
        #expect(healthy.stdout.contains("• 2xx_to_row_ms:"))

        let lost = try DoctorProcess.run(["demo", "missing-db-records", "--fault", "events-not-recorded", "--no-color"])
        #expect(lost.exitCode == 2, "\(lost.stdout)")
        #expect(lost.stdout.contains("1 problem: the service acknowledged a signed test event (HTTP 200) but wrote no \"public\".\"AiEvent\" row for it within 5.0s: webhooks arrive but no database records"), "\(lost.stdout)")
    }

    @Test("--read-only leaves it out before any request, saying why; a refused event is not a second failure")
    func readOnlyAndRefused() throws {
        guard requirePostgres() else { return }
        let readOnly = try DoctorProcess.run(["demo", "missing-db-records", "--read-only", "-v", "--no-color"])
        #expect(readOnly.stdout.contains("[-] A signed event reaches the database (the whole webhook path): skipped under --read-only"), "\(readOnly.stdout)")
        let refused = try DoctorProcess.run(["demo", "webhooks-not-arriving", "--fault", "wrong-secret", "-v", "--no-color"])
        #expect(refused.stdout.contains("[?] A signed event reaches the database (the whole webhook path): not checked: the service refused the signed test event (HTTP 400)"), "\(refused.stdout)")
    }

    @Test("a runbook whose timeout leaves no room for `within` is refused where it is written")
    func timeoutRoom() {
        #expect(throws: RunbookError.self) {
            try RunbookLoader(registry: .standard).load(yaml: """
                version: 1
                id: e
                title: E
                symptom: test
                steps:
                  - { id: e2e, title: E2E, check: webhook-e2e, with: { url: "${API_URL}/api/webhooks/stripe", within: 10s }, timeout: 5s }
                """, file: "e.yml")
        }
    }
}
