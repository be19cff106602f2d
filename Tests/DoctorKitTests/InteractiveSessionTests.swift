import Foundation
import Testing

/// The interactive session on a real pseudo-terminal: what an engineer on call would type.
@Suite("Interactive session (pseudo-terminal)", .serialized)
struct InteractiveSessionTests {
    static let prompt = "doctor(practice)> "

    /// A fresh state folder (history, sessions) for one test.
    static func stateFolder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("doctor-repl-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func start(_ fault: String?, state: String) throws -> PseudoTerminal {
        try PseudoTerminal(["demo", "--interactive"] + (fault.map { ["--fault", $0] } ?? []),
                           environment: ["HOME": state, "XDG_STATE_HOME": state])
    }

    @Test("greets, streams a run as steps finish, Tab completes a runbook id, Up recalls, Ctrl-D exits with the worst result")
    func promptRunCompletionHistory() throws {
        let state = try Self.stateFolder()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let terminal = try Self.start("slow", state: state)
        let greeting = try terminal.expect(Self.prompt)
        #expect(greeting.contains("target http://127.0.0.1:"))
        #expect(greeting.contains("Stripe test mode"))
        #expect(greeting.contains("webhooks-not-arriving"))

        terminal.send("run webh\t")
        try terminal.expect("run webhooks-not-arriving")
        terminal.send("\r")
        // The variables step answers at once; the health check waits 1.5 s for the slow API: the
        // first result is on screen while the second is still running.
        let early = try terminal.expect("[✓] The service's variables are set and well formed")
        #expect(!early.contains("The API answers its health check:"), "results were not streamed:\n\(early)")
        try terminal.expect("[!] The API answers its health check")
        try terminal.expect("Warnings found")
        try terminal.expect(Self.prompt)
        // While the slow step ran, a status line said so; it was erased before each result and at
        // the end, so no line left on screen holds it.
        #expect(terminal.raw.contains("running, "), "no status line:\n\(terminal.raw)")
        #expect(terminal.raw.contains("Ctrl-C cancels"))
        #expect(terminal.raw.contains("api-health ("), "the longest-running step is not named")
        #expect(!terminal.visibleLines.contains { $0.contains(" running, ") }, "\(terminal.visibleLines)")

        terminal.send("\u{1B}[A")
        try terminal.expect("run webhooks-not-arriving")
        terminal.send("\r")
        try terminal.expect("Warnings found")
        try terminal.expect(Self.prompt)

        terminal.send("\u{4}")
        #expect(terminal.waitForExit() == 1, "\(terminal.transcript)")
        #expect(terminal.transcript.contains("session note written to \(state)/doctor/sessions/"))
    }

    @Test("doctor demo on a terminal: the status line shows a sampler's count and is gone before the report; NO_PROGRESS turns it off")
    func statusLineInCheckMode() throws {
        let state = try Self.stateFolder()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let terminal = try PseudoTerminal(["demo", "high-latency", "--fault", "slow"],
                                          environment: ["HOME": state, "XDG_STATE_HOME": state])
        try terminal.expect("latency-sample ")
        #expect(terminal.waitForExit(timeout: .seconds(30)) == 1, "\(terminal.transcript)")
        #expect(terminal.raw.range(of: #"latency-sample \d+/10"#, options: .regularExpression) != nil, "\(terminal.raw)")
        #expect(!terminal.visibleLines.contains { $0.contains(" running, ") }, "\(terminal.visibleLines)")
        #expect(terminal.transcript.contains("Warnings found"))

        let quiet = try PseudoTerminal(["demo", "webhooks-not-arriving", "--fault", "slow"],
                                       environment: ["HOME": state, "XDG_STATE_HOME": state, "NO_PROGRESS": "1"])
        #expect(quiet.waitForExit(timeout: .seconds(30)) == 1, "\(quiet.transcript)")
        #expect(!quiet.raw.contains(" running, "), "\(quiet.raw)")
        #expect(!quiet.raw.contains("\u{1B}[K"))
    }

    @Test("a history file planted by another user as a link to the user's file is refused, said once, and the file is untouched",
          .enabled(if: geteuid() == 0, "only root can plant a link owned by another user"))
    func plantedHistoryLink() throws {
        let state = try Self.stateFolder()
        defer { try? FileManager.default.removeItem(atPath: state) }
        try FileManager.default.createDirectory(atPath: state + "/doctor", withIntermediateDirectories: true)
        let victim = state + "/victim"
        try "precious\n".write(toFile: victim, atomically: true, encoding: .utf8)
        chmod(victim, 0o644)
        #expect(symlink(victim, state + "/doctor/history") == 0)
        #expect(lchown(state + "/doctor/history", 65534, 65534) == 0)
        let terminal = try Self.start(nil, state: state)
        try terminal.expect(Self.prompt)
        terminal.send("runbooks\r")
        try terminal.expect(Self.prompt)
        terminal.send("quit\r")
        #expect(terminal.waitForExit() == 0, "\(terminal.transcript)")
        #expect(terminal.transcript.components(separatedBy: "history not kept: \(state)/doctor/history is a symbolic link made by another user").count == 2,
                "\(terminal.transcript)")
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")
        #expect((try FileManager.default.attributesOfItem(atPath: victim)[.posixPermissions] as? Int) == 0o644)
    }

    @Test("SIGTERM during a --check on a terminal erases the status line before the process ends")
    func statusLineErasedOnSignal() throws {
        let state = try Self.stateFolder()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let server = try FaultServers.silent()
        let terminal = try PseudoTerminal(["--check", "webhooks-not-arriving"],
                                          environment: ["HOME": state, "XDG_STATE_HOME": state,
                                                        "API_URL": "http://127.0.0.1:\(server.port)"])
        try terminal.expect("api-health (")
        kill(terminal.pid, SIGTERM)
        #expect(terminal.waitForExit() == 128 + SIGTERM)
        #expect(terminal.raw.hasSuffix("\r\u{1B}[K"), "the line was left on screen: \(terminal.raw.suffix(200))")
        #expect(!terminal.visibleLines.contains { $0.contains(" running, ") })
    }

    @Test("on a terminal a revision made after the run (a cold start) is shown, kept by `status` and ends the session as the report does")
    func revisionOnScreen() throws {
        let state = try Self.stateFolder()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let terminal = try Self.start("cold-start", state: state)
        try terminal.expect(Self.prompt)
        terminal.send("run high-latency\r")
        try terminal.expect("[!] The API answers its health check: HTTP 200 in 3.")
        try terminal.expect("↻ high-latency/api-health revised: the run's requests show a cold start")
        try terminal.expect("a cold start: the run's first request took 3.")
        try terminal.expect("1 problem: HTTP 200 in 3.")
        try terminal.expect(Self.prompt)
        terminal.send("status\r")
        let status = try terminal.expect("exit code if the session ended now: 1")
        #expect(status.contains("a cold start"), "\(status)")
        terminal.send("\u{4}")
        #expect(terminal.waitForExit() == 1, "\(terminal.transcript)")
    }

    @Test("Ctrl-C cancels a hanging step and returns to the prompt; at the prompt it clears the line; the terminal is restored")
    func interrupt() throws {
        let state = try Self.stateFolder()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let terminal = try Self.start("hang", state: state)
        try terminal.expect(Self.prompt)

        terminal.send("run webhooks-not-arriving\r")
        try terminal.expect("(Ctrl-C cancels)")
        try terminal.expect("[✓] The service's variables")
        let clock = ContinuousClock()
        let start = clock.now
        terminal.send("\u{3}")
        // The health step would wait for its 10 s timeout: the cancellation ends it long before.
        let cancelled = try terminal.expect(Self.prompt, timeout: .seconds(5))
        #expect(clock.now - start < .seconds(3))
        #expect(cancelled.contains("[?] The API answers its health check: cancelled"))
        #expect(cancelled.contains("(cancelled)"))

        // Wait for libedit to echo the line before Ctrl-C: sent at once, the terminal driver's
        // input flush on SIGINT may drop it unread, and the test would prove nothing.
        terminal.send("garbage that is never run")
        try terminal.expect("garbage that is never run")
        terminal.send("\u{3}")
        try terminal.expect(Self.prompt)
        terminal.send("status\r")
        let status = try terminal.expect("exit code if the session ended now: 3")
        #expect(!status.contains("unknown command"))
        #expect(status.contains("[✓] webhooks-not-arriving/env-vars"), "a finished step stays as it was")
        #expect(status.contains("[?] webhooks-not-arriving/api-health: cancelled"))

        terminal.send("quit\r")
        #expect(terminal.waitForExit() == 3, "\(terminal.transcript)")
        // The abandoned line was never run: no command saw it.
        #expect(!terminal.transcript.contains("unknown command"))
        #expect(!terminal.transcript.contains("did you mean"))
        // Cooked mode with echo, as before the session (libedit's raw mode is gone).
        let after = terminal.localModes
        #expect(after & tcflag_t(ICANON | ECHO) == tcflag_t(ICANON | ECHO))
    }

    @Test("no secret reaches the history file; secrets typed after `set VAR` are not echoed; the file is 0600 in 0700")
    func historyHygiene() throws {
        let state = try Self.stateFolder()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let key = "sk_live_" + "51HxQz7Abcdefghijklmnop4f2a"
        let webhookSecret = "whsec_" + "Zx9yW8vU7tS6rQ5pO4nM3lK2"
        let terminal = try Self.start(nil, state: state)
        try terminal.expect(Self.prompt)
        terminal.send("set STRIPE_SECRET_KEY=\(key)\r")
        try terminal.expect("sk_live_…4f2a for this session")
        try terminal.expect(Self.prompt)
        terminal.send("note the key \(key) was rotated\r")
        try terminal.expect(Self.prompt)
        terminal.send("set STRIPE_WEBHOOK_SECRET\r")
        try terminal.expect("(not echoed): ")
        terminal.send("\(webhookSecret)\r")
        try terminal.expect("STRIPE_WEBHOOK_SECRET = whsec_… for this session")
        try terminal.expect(Self.prompt)
        terminal.send("set API_URL=http://127.0.0.1:9\r")
        try terminal.expect(Self.prompt)
        terminal.send("env\r")
        try terminal.expect(Self.prompt)
        terminal.send("quit\r")
        #expect(terminal.waitForExit() == 0)
        #expect(!terminal.transcript.contains(webhookSecret), "the webhook secret was echoed")

        let historyPath = "\(state)/doctor/history"
        let history = try String(contentsOfFile: historyPath, encoding: .utf8)
        #expect(history.contains("set\\040API_URL=http://127.0.0.1:9"))
        #expect(history.contains("env"))
        #expect(!history.contains("sk_live"))
        #expect(!history.contains("whsec"))
        #expect(!history.contains("STRIPE_SECRET_KEY"))
        #expect(!history.contains("rotated"))
        let file = try FileManager.default.attributesOfItem(atPath: historyPath)
        #expect((file[.posixPermissions] as? Int) == 0o600)
        let folder = try FileManager.default.attributesOfItem(atPath: "\(state)/doctor")
        #expect((folder[.posixPermissions] as? Int) == 0o700)
    }

    @Test("two sessions at once both keep their lines: the history is appended, not rewritten")
    func concurrentHistory() throws {
        let state = try Self.stateFolder()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let first = try Self.start(nil, state: state)
        let second = try Self.start(nil, state: state)
        try first.expect(Self.prompt)
        try second.expect(Self.prompt)
        first.send("help run\r")
        try first.expect(Self.prompt)
        second.send("help step\r")
        try second.expect(Self.prompt)
        first.send("help why\r")
        try first.expect(Self.prompt)
        second.send("quit\r")
        #expect(second.waitForExit() == 0)
        first.send("quit\r")
        #expect(first.waitForExit() == 0)

        let lines = try String(contentsOfFile: "\(state)/doctor/history", encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "_HiStOrY_V2_")
        #expect(lines.filter { $0.hasPrefix("help") }.sorted() == ["help\\040run", "help\\040step", "help\\040why"])
        #expect(lines.filter { $0 == "quit" }.count == 2)

        // A third session recalls the others' lines.
        let third = try Self.start(nil, state: state)
        try third.expect(Self.prompt)
        third.send("\u{1B}[A")
        try third.expect("quit")
        third.send("\r")
        #expect(third.waitForExit() == 0)
    }
}
