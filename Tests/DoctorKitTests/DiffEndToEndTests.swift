import Foundation
import Testing
@testable import DoctorKit

/// `doctor diff` and "Changed since the last good run" through the built binary: a healthy demo,
/// then one with a fault, in one state folder.
@Suite("Diff end to end", .serialized)
struct DiffEndToEndTests {
    func stateFolder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("doctor-diff-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("a disabled endpoint after a healthy run: the report names the change as the likely cause, diff shows it")
    func endpointDisabled() throws {
        let state = try stateFolder()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let environment = ["XDG_STATE_HOME": state]
        let healthy = try DoctorProcess.run(["demo", "webhooks-not-arriving", "--no-color"], environment: environment)
        #expect(healthy.exitCode == 0, "\(healthy.stdout)\(healthy.stderr)")
        #expect(!healthy.stdout.contains("Changed since the last good run"), "a run with no problem compares with nothing")

        let broken = try DoctorProcess.run(["demo", "webhooks-not-arriving", "--fault", "endpoint-disabled", "--no-color"],
                                           environment: environment)
        #expect(broken.exitCode == 2, "\(broken.stdout)\(broken.stderr)")
        let sessions = SessionStore(root: state + "/doctor/sessions").ids()
        #expect(sessions.count == 2)
        guard sessions.count == 2 else { return }
        #expect(broken.stdout.contains("Changed since the last good run (\(sessions[0]), "))
        #expect(broken.stdout.contains("• endpoint: webhook endpoint now disabled, was enabled"))
        #expect(broken.stdout.contains("likely cause: webhook endpoint now disabled, was enabled (changed since \(sessions[0])"))
        let note = try String(contentsOfFile: state + "/doctor/sessions/\(sessions[1])/note.md", encoding: .utf8)
        #expect(note.contains("## Changed since the last good run (`\(sessions[0])`"))

        let diff = try DoctorProcess.run(["diff"], environment: environment)
        #expect(diff.exitCode == 0, "\(diff.stderr)")
        #expect(diff.stdout.hasPrefix("Changes from \(sessions[0]) "))
        #expect(diff.stdout.contains("• endpoint: webhook endpoint now disabled, was enabled"))
        // No webhook secret, not even its prefix, in any output.
        for text in [diff.stdout, broken.stdout, note] {
            #expect(!text.contains("whsec_"))
        }

        let json = try DoctorProcess.run(["diff", sessions[0], sessions[1], "--format", "json"], environment: environment)
        #expect(json.exitCode == 0, "\(json.stderr)")
        let document = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect((document?["from"] as? [String: Any])?["id"] as? String == sessions[0])
        let changes = document?["changes"] as? [[String: Any]] ?? []
        #expect(changes.contains { $0["area"] as? String == "endpoint" && $0["summary"] as? String == "webhook endpoint now disabled, was enabled" })

        let report = try DoctorProcess.run(["demo", "webhooks-not-arriving", "--fault", "endpoint-disabled", "--format", "json"],
                                           environment: environment)
        let reportDocument = try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any]
        #expect((reportDocument?["changes"] as? [String: Any])?["from"] != nil, "the JSON report carries `changes`")
    }

    @Test("bad input: an unknown session is one line and exit 3, a bad flag exit 64, an old journal says it has no snapshot")
    func badInput() throws {
        let state = try stateFolder()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let environment = ["XDG_STATE_HOME": state]
        let none = try DoctorProcess.run(["diff"], environment: environment)
        #expect(none.exitCode == 3)
        #expect(none.stderr.contains("no sessions recorded yet"))

        _ = try DoctorProcess.run(["demo", "webhooks-not-arriving"], environment: environment)
        _ = try DoctorProcess.run(["demo", "webhooks-not-arriving"], environment: environment)
        let ids = SessionStore(root: state + "/doctor/sessions").ids()
        #expect(ids.count == 2)
        guard ids.count == 2 else { return }

        let unknown = try DoctorProcess.run(["diff", "20200101T000000Z-0000", ids[1]], environment: environment)
        #expect(unknown.exitCode == 3)
        #expect(unknown.stderr == "doctor: no session \"20200101T000000Z-0000\" (see `doctor sessions`)\n")
        let flag = try DoctorProcess.run(["diff", "--colour"], environment: environment)
        #expect(flag.exitCode == 64, "\(flag.stderr)")
        let format = try DoctorProcess.run(["diff", "--format", "junit"], environment: environment)
        #expect(format.exitCode == 64)

        // A journal from before snapshots: the same session without its snapshot lines.
        let journal = state + "/doctor/sessions/\(ids[0])/journal.jsonl"
        let lines = try String(contentsOfFile: journal, encoding: .utf8).split(separator: "\n").filter { !$0.contains(#""type":"snapshot""#) }
        try (lines.joined(separator: "\n") + "\n").write(toFile: journal, atomically: true, encoding: .utf8)
        let old = try DoctorProcess.run(["diff", ids[0], ids[1]], environment: environment)
        #expect(old.exitCode == 0, "\(old.stderr)")
        #expect(old.stdout.contains("session \(ids[0]) recorded no state snapshot"))
    }
}
