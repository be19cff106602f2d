import Foundation
import Testing

/// The session's commands read from standard input (`doctor < commands.txt`): no prompt, errors on
/// standard error, the exit code of the worst result.
@Suite("Scripted session", .serialized)
struct ScriptedSessionTests {
    static func withState<T>(_ body: (String) throws -> T) throws -> T {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("doctor-script-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try body(path)
    }

    @Test("a script runs, shows and explains steps; exit 2 for a failure; the note is written 0600")
    func failingRun() throws {
        try Self.withState { state in
            let script = """
                # comments and blank lines are skipped

                runbooks
                run webhooks-not-arriving
                show webhook-route
                why api-health
                note checked the Render dashboard: last deploy 02:50
                status
                """
            let result = try DoctorProcess.run(["demo", "--interactive", "--fault", "webhook-missing"],
                                               environment: ["XDG_STATE_HOME": state], stdin: script)
            #expect(result.exitCode == 2, "\(result.stdout)\n\(result.stderr)")
            #expect(!result.stdout.contains("doctor(practice)>"), "prompt decoration on a pipe")
            #expect(!result.stdout.contains("\u{1B}["), "colour on a pipe")
            #expect(result.stdout.contains("[✗] The webhook route is mounted and rejects unsigned events: HTTP 404 (expected 400)"))
            #expect(result.stdout.contains("body_excerpt: Cannot POST /api/webhooks/stripe"))
            #expect(result.stdout.contains("the guide (Webhooks Not Arriving): Check if API is running"))
            #expect(result.stdout.contains("exit code if the session ended now: 2"))
            #expect(result.stderr.isEmpty, "\(result.stderr)")
            let line = try #require(result.stdout.split(separator: "\n").last { $0.hasPrefix("session note written to ") })
            let path = String(line.dropFirst("session note written to ".count).prefix { $0 != " " })
            #expect(path.hasPrefix(state + "/doctor/sessions/"))
            let note = try String(contentsOfFile: path, encoding: .utf8)
            #expect(note.contains("checked the Render dashboard: last deploy 02:50"))
            #expect(note.contains("webhook-route"))
            #expect((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) == 0o600)
        }
    }

    @Test("escalate prints the Stripe summary of this session once its runbooks ran")
    func escalate() throws {
        try Self.withState { state in
            let result = try DoctorProcess.run(["demo", "--interactive", "--fault", "webhook-missing"], environment: ["XDG_STATE_HOME": state],
                                               stdin: "escalate stripe\nrun webhooks-not-arriving\nescalate stripe\n")
            #expect(result.exitCode == 2, "\(result.stdout)\n\(result.stderr)")
            #expect(result.stdout.contains("nothing feeding the stripe summary has run yet"))
            let summary = try #require(result.stdout.components(separatedBy: "Problems found").last)
            #expect(summary.localizedCaseInsensitiveContains("stripe"))
            #expect(summary.contains("/api/webhooks/stripe"))
        }
    }

    @Test("a healthy run exits 0; step re-runs one step; save writes where asked")
    func healthyRun() throws {
        try Self.withState { state in
            let target = state + "/incident.md"
            let result = try DoctorProcess.run(["demo", "--interactive"], environment: ["XDG_STATE_HOME": state],
                                               stdin: "run all\nstep high-latency/webhook-latency\nsave \(target)\nquit\nrun all\n")
            #expect(result.exitCode == 0, "\(result.stdout)\n\(result.stderr)")
            #expect(result.stdout.contains("No issues found"))
            #expect(result.stdout.contains("high-latency: [✓]"), "a multi-runbook run names each step's runbook")
            #expect(result.stdout.contains("session note written to \(target)"))
            #expect(FileManager.default.fileExists(atPath: target))
            // `quit` ends the script: the last line never ran.
            #expect(result.stdout.components(separatedBy: "No issues found").count == 2)
        }
    }

    @Test("an unknown command suggests the nearest and makes a script exit 64")
    func unknownCommand() throws {
        let result = try DoctorProcess.run(["demo", "--interactive"], stdin: "rn all\nescalate strip\nstep api-helth\n")
        #expect(result.exitCode == 64)
        #expect(result.stderr.contains("unknown command \"rn\" (did you mean \"run\"?)"))
        #expect(result.stderr.contains("escalate needs stripe or render (did you mean \"stripe\"?)"))
        #expect(result.stderr.contains("no step \"api-helth\" in any runbook (did you mean \"api-health\"?)"))
        let empty = try DoctorProcess.run(["demo", "--interactive"], stdin: "")
        #expect(empty.exitCode == 64)
        #expect(empty.stderr.contains("no commands on standard input"))
    }

    @Test("doctor with no arguments reads commands from a pipe; set and unset change the session only; secrets stay masked")
    func variables() throws {
        let port = try closedLoopbackPort()
        let key = "sk_live_" + "51HxQz7Abcdefghijklmnop4f2a"
        let script = """
            set STRIPE_SECRET_KEY=\(key)
            env
            run webhooks-not-arriving
            unset API_URL
            env
            """
        let result = try DoctorProcess.run([], environment: ["API_URL": "http://127.0.0.1:\(port)"], stdin: script)
        #expect(result.exitCode == 2, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("Stripe live mode") == false, "the greeting predates the set")
        #expect(result.stdout.contains("STRIPE_SECRET_KEY = sk_live_…4f2a for this session"))
        #expect(result.stdout.contains("connection refused"))
        #expect(result.stdout.contains("API_URL unset for this session"))
        #expect(!(result.stdout + result.stderr).contains(key))
    }

    @Test("a secret variable without a value is refused when not on a terminal (no prompt on a pipe)")
    func secretWithoutTerminal() throws {
        let result = try DoctorProcess.run(["demo", "--interactive"], stdin: "set STRIPE_WEBHOOK_SECRET\n")
        #expect(result.exitCode == 64)
        #expect(result.stderr.contains("set STRIPE_WEBHOOK_SECRET needs a value"))
    }
}
