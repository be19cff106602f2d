import Foundation
import Testing
@testable import DoctorKit
import DoctorSandbox

/// Runs the built `doctor` binary as a user or a script would.
struct DoctorProcess {
    struct Output {
        var stdout: String
        var stderr: String
        var exitCode: Int32
        var duration: Duration
    }

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The sanitizers' options of the test process (scripts/sanitize), passed on to every doctor the
    /// tests start with a scrubbed environment, so an instrumented binary reads the same suppressions.
    static var sanitizerEnvironment: [String: String] {
        ProcessInfo.processInfo.environment.filter { ["ASAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"].contains($0.key) }
    }

    /// The built binary: `DOCTOR_BINARY` when set (builds in another scratch path), else `.build`'s.
    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["DOCTOR_BINARY"], !path.isEmpty { return path }
        for folder in [".build/debug", ".build/x86_64-unknown-linux-gnu/debug"] {
            let path = packageRoot.appendingPathComponent(folder).appendingPathComponent("doctor").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return packageRoot.appendingPathComponent(".build/debug/doctor").path
    }

    /// Runs doctor with only the given variables (plus PATH and HOME), in a scratch directory; `stdin`
    /// is fed to its standard input (else it reads /dev/null).
    static func run(_ arguments: [String], environment: [String: String] = [:], shell: String? = nil,
                    stdin: String? = nil) throws -> Output {
        let process = Process()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("doctor-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        if let shell {
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = ["-c", shell.replacingOccurrences(of: "DOCTOR", with: "'\(binary)'")]
        } else {
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
        }
        process.currentDirectoryURL = directory
        var env = ["PATH": "/usr/bin:/bin", "HOME": directory.path, "XDG_STATE_HOME": directory.path]
            .merging(sanitizerEnvironment) { $1 }
        env.merge(environment) { $1 }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = stdin.map { _ in Pipe() }
        process.standardInput = input ?? FileHandle.nullDevice
        let clock = ContinuousClock()
        let start = clock.now
        try process.run()
        if let input, let stdin {
            // From another thread: a long script must not block on a full pipe while output piles up.
            DispatchQueue.global().async {
                input.fileHandleForWriting.write(Data(stdin.utf8))
                try? input.fileHandleForWriting.close()
            }
        }
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(stdout: String(decoding: stdoutData, as: UTF8.self), stderr: String(decoding: stderrData, as: UTF8.self),
                      exitCode: process.terminationStatus, duration: clock.now - start)
    }
}

@Suite("End to end", .serialized)
struct EndToEndTests {
    @Test("the healthy sandbox passes every step: exit 0 and a summary line")
    func healthyDemo() throws {
        let result = try DoctorProcess.run(["demo"])
        #expect(result.exitCode == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("No problem found."))
        #expect(result.stdout.contains("No issues found: "))
        // What passed is one line per runbook; every step with --verbose.
        #expect(result.stdout.contains("✓ Webhooks not arriving (webhooks-not-arriving): "))
        #expect(!result.stdout.contains("[✓] The API answers its health check"))
        let verbose = try DoctorProcess.run(["demo", "webhooks-not-arriving", "-v"])
        #expect(verbose.stdout.contains("[✓] The API answers its health check"))
        #expect(!result.stdout.contains("\u{1B}["), "colour on a pipe")
    }

    @Test("a missing webhook route fails the route step with exit 2 and the hint")
    func webhookMissing() throws {
        let result = try DoctorProcess.run(["demo", "webhooks-not-arriving", "--fault", "webhook-missing"])
        #expect(result.exitCode == 2)
        #expect(result.stdout.contains("[✗] The webhook route is mounted and rejects unsigned events: HTTP 404 (expected 400)"))
        #expect(result.stdout.contains("A 404 means the route is not at /api/webhooks/stripe"))
    }

    @Test("an endpoint that accepts unsigned events fails: it does not verify signatures")
    func noVerification() throws {
        let result = try DoctorProcess.run(["demo", "webhooks-not-arriving", "--fault", "no-verification"])
        #expect(result.exitCode == 2)
        #expect(result.stdout.contains("HTTP 200 (expected 400)"))
    }

    @Test("a slow API is a warning: exit 1")
    func slow() throws {
        let result = try DoctorProcess.run(["demo", "webhooks-not-arriving", "--fault", "slow"])
        #expect(result.exitCode == 1, "\(result.stdout)")
        // Standard error is a pipe: no status line, not a byte of one.
        #expect(!result.stderr.contains(" running, ") && !result.stderr.contains("\u{1B}[K"), "\(result.stderr)")
        #expect(result.stdout.contains("over the 1.0s healthy threshold"))
        let lenient = try DoctorProcess.run(["demo", "webhooks-not-arriving", "--fault", "slow", "--fail-on", "fail"])
        #expect(lenient.exitCode == 0)
    }

    @Test("a closed port fails the health step in plain words with exit 2")
    func closedPort() throws {
        let port = try closedLoopbackPort()
        let result = try DoctorProcess.run(["--check", "webhooks-not-arriving"], environment: ["API_URL": "http://127.0.0.1:\(port)"])
        #expect(result.exitCode == 2)
        #expect(result.stdout.contains("[✗] The API answers its health check: connection refused: nothing is listening"))
        #expect(result.stdout.contains("kept from running: webhook-route (webhooks-not-arriving)"), "\(result.stdout)")
    }

    @Test("a server that never answers: --check all --timeout 3s ends within 4 s, not a hang")
    func hangingTarget() throws {
        let server = try HTTPServer { _ in ServerResponse(status: 200, behaviour: .hang) }
        defer { server.stop() }
        let result = try DoctorProcess.run(["--check", "all", "--timeout", "3s"], environment: ["API_URL": "http://127.0.0.1:\(server.port)"])
        #expect(result.duration < .seconds(4), "took \(result.duration)")
        #expect(result.exitCode == 3)
        #expect(result.stdout.contains("not finished before the run deadline (3.0s)"))
    }

    @Test("a server that never answers fails the step when its own timeout passes")
    func stepTimeoutFails() throws {
        let server = try HTTPServer { _ in ServerResponse(status: 200, behaviour: .hang) }
        defer { server.stop() }
        let runbooks = try temporaryRunbooks(["quick.yml": """
            version: 1
            id: quick
            title: Quick
            symptom: test
            steps:
              - id: health
                title: Health
                check: http
                with: { url: "${API_URL}/api/health" }
                thresholds: { warn: 200ms, fail: 500ms }
                timeout: 1s
            """])
        let result = try DoctorProcess.run(["--check", "all", "--runbooks", runbooks], environment: ["API_URL": "http://127.0.0.1:\(server.port)"])
        #expect(result.exitCode == 2)
        #expect(result.stdout.contains("no answer within the 500ms fail threshold"), "\(result.stdout)")
    }

    @Test("with API_URL unset, --check all exits 3 naming the variable")
    func missingAPIURL() throws {
        let result = try DoctorProcess.run(["--check", "all"])
        #expect(result.exitCode == 3)
        #expect(result.stderr.contains("API_URL is not set"))
        #expect(result.stdout.contains("API_URL is not set"))
    }

    @Test("JSON output parses and has the stable core of DESIGN section 2")
    func jsonCore() throws {
        let result = try DoctorProcess.run(["demo", "--fault", "webhook-missing", "--format", "json"])
        #expect(result.exitCode == 2)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["status"] as? String == "fail")
        #expect(json["exit_code"] as? Int == 2)
        #expect(json["session"] is String)
        #expect((json["started_at"] as? String)?.hasSuffix("Z") == true)
        let runbooks = try #require(json["runbooks"] as? [[String: Any]])
        #expect(runbooks.count == 7)
        let webhooks = try #require(runbooks.first { $0["id"] as? String == "webhooks-not-arriving" })
        #expect(webhooks["status"] as? String == "fail")
        let steps = try #require(webhooks["steps"] as? [[String: Any]])
        let route = try #require(steps.first { $0["id"] as? String == "webhook-route" })
        #expect(route["kind"] as? String == "http")
        #expect(route["status"] as? String == "fail")
        #expect(route["duration_ms"] is Int)
        #expect(route["summary"] is String)
        #expect(route["hint"] is String)
        let evidence = try #require(route["evidence"] as? [String: Any])
        #expect(evidence["status"] as? Int == 404)
        #expect(evidence["timings"] is [String: Any])
    }

    @Test("a malformed runbook gives exit 3 and a file:line:column message, no crash")
    func malformedRunbook() throws {
        let runbooks = try temporaryRunbooks(["broken.yml": """
            version: 1
            id: broken
            title: Broken
            symptom: test
            steps:
              - id: health
                title: Health
                check: htp
            """])
        let result = try DoctorProcess.run(["--check", "all", "--runbooks", runbooks], environment: ["API_URL": "http://127.0.0.1:9"])
        #expect(result.exitCode == 3)
        #expect(result.stderr.contains("broken.yml:8:"))
        #expect(result.stderr.contains("did you mean"))
        let lint = try DoctorProcess.run(["lint", runbooks])
        #expect(lint.exitCode == 3)
        #expect(lint.stdout.contains("broken.yml:8:"))
        let shipped = try DoctorProcess.run(["lint"])
        #expect(shipped.exitCode == 0, "\(shipped.stdout)")
    }

    @Test("--help lists the commands with examples; bad flags are usage errors (64)")
    func help() throws {
        let help = try DoctorProcess.run(["--help"])
        #expect(help.exitCode == 0)
        for word in ["--check", "runbooks", "lint", "demo", "Examples:", "--format", "--fail-on", "--read-only"] {
            #expect(help.stdout.contains(word), "missing \(word)")
        }
        #expect(try DoctorProcess.run(["--check", "all", "--timeout", "soon"]).exitCode == 64)
        #expect(try DoctorProcess.run(["--bogus"]).exitCode == 64)
        #expect(try DoctorProcess.run(["--check", "all", "--timeout", "99999999999999999999s"]).exitCode == 64)
        let unknown = try DoctorProcess.run(["--check", "webhooks-not-arrivng"], environment: ["API_URL": "http://127.0.0.1:9"])
        #expect(unknown.exitCode == 64)
        #expect(unknown.stderr.contains("did you mean \"webhooks-not-arriving\""))
    }

    @Test("runbooks lists the six shipped runbooks with step counts")
    func runbooksCommand() throws {
        let result = try DoctorProcess.run(["runbooks"])
        #expect(result.exitCode == 0)
        for id in ["webhooks-not-arriving", "missing-db-records", "high-latency", "intermittent-failures", "deploy", "daily", "security"] {
            #expect(result.stdout.contains(id))
        }
        #expect(result.stdout.contains("steps"))
    }

    @Test("a closed pipe (doctor | head -1) does not change the exit code")
    func sigpipe() throws {
        let result = try DoctorProcess.run([], shell: "DOCTOR demo --fault webhook-missing | head -c 10 >/dev/null; echo ${PIPESTATUS[0]}")
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "2")
    }

    @Test("no secret of the sandbox appears in text or JSON output")
    func noSecrets() throws {
        let text = try DoctorProcess.run(["demo", "--verbose"])
        let json = try DoctorProcess.run(["demo", "--format", "json"])
        for output in [text.stdout + text.stderr, json.stdout + json.stderr] {
            #expect(!output.contains("whsec_") || output.contains("whsec_…"))
            #expect(output.range(of: #"sk_test_[A-Za-z0-9]{8,}"#, options: .regularExpression) == nil)
            #expect(output.range(of: #"postgresql://payments:[^*\[]"#, options: .regularExpression) == nil)
        }
    }

    @Test("colour only on a terminal, and never with NO_COLOR or --no-color")
    func colour() throws {
        // `script` gives the binary a pseudo-terminal as standard output.
        let tty = try DoctorProcess.run([], shell: "script -qec 'DOCTOR demo webhooks-not-arriving' /dev/null")
        #expect(tty.stdout.contains("\u{1B}[32m"), "no colour on a terminal")
        // Colour is SGR (`ESC[…m`); the status line's line erase (`ESC[K`), shown on a terminal
        // when a run takes long enough, is cursor control and allowed without colour.
        let sgr = "\u{1B}\\[[0-9;]*m"
        let noColor = try DoctorProcess.run([], environment: ["NO_COLOR": "1"], shell: "script -qec 'DOCTOR demo webhooks-not-arriving' /dev/null")
        #expect(noColor.stdout.range(of: sgr, options: .regularExpression) == nil, "\(noColor.stdout)")
        let flag = try DoctorProcess.run([], shell: "script -qec 'DOCTOR demo webhooks-not-arriving --no-color' /dev/null")
        #expect(flag.stdout.range(of: sgr, options: .regularExpression) == nil, "\(flag.stdout)")
    }

    @Test("a stray ./runbooks in the working directory is never used")
    func strayRunbooks() throws {
        let result = try DoctorProcess.run([], shell: """
            mkdir runbooks && printf 'version: 1\nid: stray\ntitle: Stray\nsymptom: x\nsteps:\n  - {id: a, title: A, check: env, with: {optional: [X]}}\n' > runbooks/stray.yml && DOCTOR runbooks
            """)
        #expect(result.stdout.contains("webhooks-not-arriving"))
        #expect(!result.stdout.contains("stray"))
    }

    @Test("API base overrides are announced, and ignored when they come from an env file")
    func baseOverrides() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("doctor-env-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let envFile = directory.appendingPathComponent("service.env").path
        try "API_URL=http://127.0.0.1:9\nSTRIPE_API_BASE=http://evil.example\n".write(toFile: envFile, atomically: true, encoding: .utf8)
        let fromFile = try DoctorProcess.run(["--check", "webhooks-not-arriving", "--env-file", envFile])
        #expect(fromFile.stdout.contains("STRIPE_API_BASE in \(envFile) ignored"))
        let fromFlag = try DoctorProcess.run(["--check", "webhooks-not-arriving", "--stripe-api-base", "http://127.0.0.1:12111"], environment: ["API_URL": "http://127.0.0.1:9"])
        #expect(fromFlag.stdout.contains("STRIPE_API_BASE overridden to http://127.0.0.1:12111"))
    }
}

/// Writes runbook files into a new temporary folder and returns its path.
func temporaryRunbooks(_ files: [String: String]) throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("doctor-runbooks-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    for (name, text) in files {
        try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }
    return directory.path
}
