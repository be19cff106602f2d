import Foundation
import Testing
@testable import DoctorKit
@testable import DoctorSandbox

/// The doctor's own requests come back as the service's log lines ("Webhook signature verification
/// failed" for the probe's mis-signed control): the ledger lets the next run's log scans leave them
/// out and count them as its own (issue 19, item 7).
@Suite("The doctor's own requests in the service's logs", .serialized)
struct OwnRequestsTests {
    func counts(_ result: DoctorProcess.Output) throws -> (signatureFailed: Int, own: Int) {
        let report = try #require(JSONValue.parse(Data(result.stdout.utf8)))
        guard case let .array(runbooks)? = report["runbooks"] else { return (-1, -1) }
        for runbook in runbooks {
            guard case let .array(steps)? = runbook["steps"] else { continue }
            for step in steps where step["id"] == .string("overnight-logs") {
                let evidence = step["evidence"]
                guard case let .int(failed)? = evidence?["counts"]?["signature-failed"],
                      case let .int(own)? = evidence?["own_probe_lines"] else { return (-1, -1) }
                return (failed, own)
            }
        }
        return (-1, -1)
    }

    @Test("after a live probe, the next daily run leaves the control request's signature failure out; without the ledger it would count it")
    func controlRequestIsOurs() throws {
        let sandbox = Sandbox()
        try sandbox.start()
        defer { sandbox.stop() }
        // The whole-path step of webhooks-not-arriving needs the database to pass.
        let database = sandbox.startDatabase()
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("own-\(UUID().uuidString)").path
        let fresh = FileManager.default.temporaryDirectory.appendingPathComponent("own-\(UUID().uuidString)").path
        defer {
            try? FileManager.default.removeItem(atPath: state)
            try? FileManager.default.removeItem(atPath: fresh)
        }
        var environment = sandbox.environment
        environment["XDG_STATE_HOME"] = state
        let probe = try DoctorProcess.run(["--check", "webhooks-not-arriving"], environment: environment)
        #expect(probe.exitCode == 0 || database != nil, "\(probe.stdout)")
        let ledger = try String(contentsOfFile: state + "/doctor/own-requests.log", encoding: .utf8)
        #expect(ledger.contains(" control\n") && ledger.contains(" probe\n"), "\(ledger)")
        #expect(!ledger.contains("whsec_") && !ledger.contains("http"), "only times and kinds are kept")

        let ours = try counts(DoctorProcess.run(["--check", "daily", "--format", "json"], environment: environment))
        environment["XDG_STATE_HOME"] = fresh
        let unaware = try counts(DoctorProcess.run(["--check", "daily", "--format", "json"], environment: environment))
        #expect(unaware.signatureFailed >= 1, "the service did log the control request: \(unaware)")
        #expect(ours.signatureFailed == unaware.signatureFailed - 1, "with the ledger: \(ours), without: \(unaware)")
        #expect(ours.own >= unaware.own + 1)
    }

    @Test("the ledger keeps times only, finds a time within its tolerance, and ignores a file that is a link")
    func ledger() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let ledger = OwnRequestLedger(stateDirectory: folder)
        let at = Date(timeIntervalSince1970: 1_796_670_000)
        ledger.record("control", at: at)
        ledger.record("request", at: at.addingTimeInterval(60))
        let times = ledger.times(since: 0)
        #expect(times == [1_796_670_000_000, 1_796_670_060_000])
        #expect(OwnRequestLedger.isNear(1_796_670_002_000, times))
        #expect(!OwnRequestLedger.isNear(1_796_670_030_000, times))
        #expect(ledger.times(since: 1_796_670_030_000) == [1_796_670_060_000])
        try FileManager.default.removeItem(atPath: ledger.path)
        try FileManager.default.createSymbolicLink(atPath: ledger.path, withDestinationPath: "/etc/passwd")
        #expect(ledger.times(since: 0).isEmpty)
        ledger.record("control")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: ledger.path) == "/etc/passwd")
    }
}
