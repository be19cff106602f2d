import Foundation
import Testing
@testable import DoctorKit
@testable import DoctorSandbox

/// `replay` in the interactive session behaves as `doctor replay` does (issue 18: the REPL and
/// `--check` behave the same for every new command).
@Suite("Replay in the session", .serialized)
struct ReplayREPLTests {
    @Test("practice session on missing-payment: a dry run sends nothing, `replay confirm yes` heals all three, the re-run passes, the note lists the actions")
    func heals() throws {
        guard TemporaryPostgres.binDirectory != nil else {
            if DatabaseServers.isCI { Issue.record("PostgreSQL server binaries are required under CI=true") }
            return
        }
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("replay-repl-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        let result = try DoctorProcess.run(["demo", "--interactive", "--fault", "missing-payment"], environment: ["XDG_STATE_HOME": state],
                                           stdin: "run missing-db-records\nreplay\nreplay confirm yes\nrun missing-db-records\n")
        #expect(result.exitCode == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("dry run: nothing sent; `replay confirm` resends 3 events"), "\(result.stdout)")
        #expect(result.stdout.contains("healed 3 of 3"), "\(result.stdout)")
        #expect(result.stdout.hasSuffix("No problem found.\n") || result.stdout.contains("No problem found."), "\(result.stdout)")
        let sessions = try FileManager.default.contentsOfDirectory(atPath: state + "/doctor/sessions")
        let note = try String(contentsOfFile: state + "/doctor/sessions/\(try #require(sessions.first))/note.md", encoding: .utf8)
        #expect(note.contains("Actions taken"), "\(note)")
        // Keys show only in their masked form (`sk_test_…4f2a`), never whole.
        #expect(result.stdout.range(of: #"(sk|rk)_test_[A-Za-z0-9]{8,}"#, options: .regularExpression) == nil)
        #expect(result.stdout.range(of: #"whsec_[A-Za-z0-9]"#, options: .regularExpression) == nil)
    }

    @Test("without a terminal `replay confirm` needs `yes`, and --read-only refuses it: nothing is sent, exit 64")
    func refusals() throws {
        guard TemporaryPostgres.binDirectory != nil else { return }
        let unconfirmed = try DoctorProcess.run(["demo", "--interactive", "--fault", "missing-payment"],
                                                stdin: "run missing-db-records\nreplay confirm\n")
        #expect(unconfirmed.exitCode == 2 || unconfirmed.exitCode == 64, "\(unconfirmed.stdout)")
        #expect(unconfirmed.stderr.contains("refused: without a terminal the confirmation cannot be typed; `replay confirm yes` stands for it"), "\(unconfirmed.stderr)")
        #expect(!unconfirmed.stdout.contains("healed"))
        let readOnly = try DoctorProcess.run(["demo", "--interactive", "--fault", "missing-payment", "--read-only"],
                                             stdin: "run missing-db-records\nreplay confirm yes\n")
        #expect(readOnly.stderr.contains("refused: --read-only forbids resending events"), "\(readOnly.stderr)")
        #expect(!readOnly.stdout.contains("healed"))
    }
}
