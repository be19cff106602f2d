import Foundation
import Testing
@testable import DoctorKit
import DoctorSandbox

/// Issue 20: what an attacker or an unlucky operator tried, each refused or contained.
@Suite("Hardening")
struct HardeningTests {
    /// `x0: &a0 [lol ×10]`, then `levels` levels of ten aliases of the level before.
    static func aliasBomb(levels: Int) -> String {
        var lines = ["version: 1", "x0: &a0 [" + Array(repeating: "lol", count: 10).joined(separator: ", ") + "]"]
        for level in 1...levels {
            lines.append("x\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test("a YAML alias bomb is refused before it is composed, at the first anchor, in bounded time")
    func aliasBomb() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let loader = RunbookLoader(registry: .standard)
        #expect(throws: RunbookError.self) { try loader.load(yaml: Self.aliasBomb(levels: 9), file: "bomb.yml") }
        do {
            _ = try loader.load(yaml: Self.aliasBomb(levels: 9), file: "bomb.yml")
        } catch {
            #expect(error.description == "bomb.yml:2:5: YAML anchors (&name) are not allowed in runbooks: write the value out")
        }
        // Composing nine levels would take 10^10 nodes: refusing it takes no time at all.
        #expect(clock.now - start < .seconds(1))
    }

    @Test("a runbook that uses an alias is invalid, with the alias's place")
    func aliasInRunbook() throws {
        let yaml = """
            version: 1
            id: r
            title: R
            symptom: s
            steps:
              - id: a
                title: A
                check: http
                with: { url: "${API_URL}/api/health" }
                hint: &shared Fix it.
              - id: b
                title: B
                check: http
                with: { url: "${API_URL}/api/health", expect_status: [201] }
                hint: *shared
            """
        #expect(throws: RunbookError.self) { try RunbookLoader(registry: .standard).load(yaml: yaml, file: "r.yml") }
        do {
            _ = try RunbookLoader(registry: .standard).load(yaml: yaml, file: "r.yml")
        } catch {
            #expect(error.description.hasPrefix("r.yml:10:"), "\(error)")
        }
    }

    @Test("YAML over the size bound is refused with the file and the limit")
    func oversizedYAML() {
        let yaml = "version: 1\n" + String(repeating: "# padding\n", count: 120_000)
        do {
            _ = try RunbookLoader(registry: .standard).load(yaml: yaml, file: "big.yml")
            Issue.record("an oversized runbook loaded")
        } catch {
            #expect(error.description.hasPrefix("big.yml:1:1: the file is "))
            #expect(error.description.hasSuffix("over the 1024 KiB a runbook may have"))
        }
    }

    static func redactor(_ variables: [String: String]) -> Redactor {
        var configuration = Configuration()
        for (name, value) in variables { configuration.set(name, value, origin: .process) }
        return Redactor(configuration)
    }

    @Test("a secret followed by a combining mark is still masked: the search is literal, not by characters")
    func combiningMark() {
        let redactor = Self.redactor(["DATABASE_URL": "postgresql://payments:Pw0rdXYZ123@db.example:5432/payments"])
        for text in ["FATAL: password authentication failed: Pw0rdXYZ123\u{301}", "\u{301}Pw0rdXYZ123\u{301}x"] {
            let shown = redactor.redact(text)
            #expect(!shown.utf8.elementsEqual(text.utf8))
            #expect(shown.range(of: "Pw0rdXYZ123", options: .literal) == nil, "\(shown)")
        }
    }

    @Test("a Sentry DSN's key is a secret in every form: sentry_key=KEY, the bare key, https://KEY:@host")
    func sentryKey() {
        let key = "abcdef0123456789abcdef0123456789"
        let redactor = Self.redactor(["SENTRY_DSN": "https://\(key)@o123.ingest.us.sentry.io/456"])
        for text in ["X-Sentry-Auth: Sentry sentry_version=7, sentry_key=\(key)", "key \(key) rejected",
                     "https://\(key):@o123.ingest.us.sentry.io/456"] {
            #expect(!redactor.redact(text).contains(key), "\(redactor.redact(text))")
        }
    }

    @Test("a password's percent-encoding is masked in lower case as in upper case")
    func percentEncodingCase() {
        let redactor = Self.redactor(["DATABASE_URL": "postgresql://payments:a%2Bb%3Fc%5Bd@db.example:5432/payments"])
        for text in ["connect a%2Bb%3Fc%5Bd failed", "connect a%2bb%3fc%5bd failed", "connect a+b?c[d failed"] {
            let shown = redactor.redact(text)
            #expect(!shown.lowercased().contains("a%2bb%3fc%5bd") && !shown.contains("a+b?c[d"), "\(shown)")
        }
    }

    @Test("usage errors never echo a secret given by mistake")
    func usageErrors() throws {
        let key = "sk_test_" + "51HxQz7Abcdefghijklmnop4f2a"
        let secret = "whsec_" + "Zx9yW8vU7tS6rQ5pO4nM3lK2"
        for arguments in [["--check", "all", "--timeout", key], ["--check", "all", "--concurrency", secret]] {
            let result = try DoctorProcess.run(arguments)
            #expect(result.exitCode == 64, "\(result.stderr)")
            #expect(!result.stderr.contains(key) && !result.stderr.contains(secret), "\(result.stderr)")
            #expect(!result.stdout.contains(key) && !result.stdout.contains(secret))
        }
        let password = "Sup3rS3cretPw"
        let demo = try DoctorProcess.run(["demo", "--fault", password],
                                         environment: ["DATABASE_URL": "postgresql://u:\(password)@db.example/payments"])
        #expect(demo.exitCode == 64)
        #expect(!demo.stderr.contains(password), "\(demo.stderr)")
    }

    @Test("control characters a server sends are escaped before the screen, the JSON, the journal and the note")
    func terminalEscapes() async throws {
        let server = try HTTPServer { _ in ServerResponse(status: 500, text: "\u{0}\u{1B}[31mred\u{1B}[2J gone", contentType: "text/plain") }
        defer { server.stop() }
        var configuration = Configuration()
        configuration.set("API_URL", "http://127.0.0.1:\(server.port)", origin: .process)
        let runbook = try RunbookLoader(registry: .standard).load(yaml: """
            version: 1
            id: r
            title: R
            symptom: s
            steps:
              - id: api-health
                title: Health
                check: http
                with: { url: "${API_URL}/api/health", expect_status: [200] }
                hint: Fix it.
            """, file: "r.yml")
        let store = SessionStore(root: NSTemporaryDirectory() + "doctor-escapes-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: store.root) }
        let session = DiagnosisSession(mode: "check", configuration: configuration, runbooks: [runbook], store: store)
        let report = await session.run([runbook])
        let note = try String(contentsOfFile: try #require(session.finish()), encoding: .utf8)
        let journal = try String(contentsOfFile: store.journalPath(of: session.id), encoding: .utf8)
        let rendered = [JSONRenderer.render(report), TextRenderer(style: TextStyle(color: false, verbose: true)).render(report), note, journal]
        for text in rendered {
            #expect(!text.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{0}" }, "a raw control character got through")
        }
        #expect(report.runbooks[0].steps[0].evidence["body_excerpt"]?.text.contains("\\x00\\x1b[31mred") == true,
                "\(report.runbooks[0].steps[0].evidence.entries)")
    }

    @Test("input files are read up to a bound: a sparse 2 GB capture, /dev/zero, a FIFO, a 10 MB env line; /dev/null is an empty env file")
    func boundedReads() throws {
        let folder = NSTemporaryDirectory() + "doctor-bounded-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let huge = folder + "/capture.txt"
        FileManager.default.createFile(atPath: huge, contents: nil)
        let handle = try #require(FileHandle(forWritingAtPath: huge))
        try handle.truncate(atOffset: 2 << 30)
        try handle.close()
        let fifo = folder + "/fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        let clock = ContinuousClock()
        let start = clock.now
        for (path, words) in [(huge, "larger than the 4 MiB this input may have"), ("/dev/zero", "larger than the 4 MiB"),
                              (fifo, "is a FIFO, not a file")] {
            do {
                _ = try CapturedDelivery.load(path: path)
                Issue.record("\(path) loaded")
            } catch {
                #expect(error.localizedDescription.contains(path) && error.localizedDescription.contains(words),
                        "\(error.localizedDescription)")
            }
        }
        let env = folder + "/.env"
        try ("API_URL=" + String(repeating: "x", count: 10 << 20) + "\n").write(toFile: env, atomically: true, encoding: .utf8)
        #expect(throws: ConfigurationError.unreadableFile(path: env, reason: "larger than the 1 MiB this input may have")) {
            try DotEnv.load(path: env)
        }
        #expect(try DotEnv.load(path: "/dev/null").isEmpty)
        #expect(clock.now - start < .seconds(2))
    }

    @Test("a journal that cannot be written (a full disk: /dev/full) says so once, at once, and keeps taking events")
    func fullDisk() throws {
        let told = Locked<[String]>([])
        let journal = try Journal(path: "/dev/full", redactor: Redactor(Configuration()),
                                  onFailure: { message in told.withLock { $0.append(message) } })
        for index in 0..<20 { journal.append(.note(text: "event \(index)", time: Date())) }
        journal.sync()
        for index in 0..<20 { journal.append(.note(text: "later \(index)", time: Date())) }
        journal.close()
        let messages = told.withLock { $0 }
        #expect(messages.count == 1, "\(messages)")
        #expect(messages.first?.contains("cannot write the session journal /dev/full: No space left on device") == true)
        #expect(journal.writeFailure == messages.first)
    }

    @Test("doctor note prints what it can rebuild from a cut-off journal, says it is partial, and prints even when note.md cannot be saved")
    func partialNote() throws {
        let state = NSTemporaryDirectory() + "doctor-partial-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: state) }
        let store = SessionStore(root: state + "/doctor/sessions")
        let recorder = try SessionRecorder(mode: "check", configuration: Configuration(), store: store)
        recorder.record(.finished(runbook: "r", result: StepResult(
            id: "api-health", kind: "http", title: "Health", status: .fail, durationMs: 3, summary: "HTTP 503",
            hint: nil, evidence: Evidence(), startedAt: Date())))
        recorder.sync()
        // No end: as when the disk filled up before session_end. And note.md cannot be written.
        try FileManager.default.createDirectory(atPath: store.notePath(of: recorder.id), withIntermediateDirectories: true)
        let result = try DoctorProcess.run(["note", recorder.id], environment: ["XDG_STATE_HOME": state])
        #expect(result.stdout.contains("HTTP 503"), "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("**Partial:** the journal ends at"))
        #expect(result.stderr.contains("the note is printed above but not saved"))
    }

    @Test("a link planted where the report or note is written is never followed; a state folder of another user or a link is refused")
    func plantedLinks() throws {
        let folder = NSTemporaryDirectory() + "doctor-links-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let victim = folder + "/victim"
        try "precious\n".write(toFile: victim, atomically: true, encoding: .utf8)
        chmod(victim, 0o644)
        let output = folder + "/report.txt"
        #expect(symlink(victim, output + ".tmp-\(getpid())") == 0)
        try SessionStore.writeFile("the report\n", to: output)
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")
        #expect(try String(contentsOfFile: output, encoding: .utf8) == "the report\n")
        #expect((try FileManager.default.attributesOfItem(atPath: victim)[.posixPermissions] as? Int) == 0o644)

        // A link the user made to a folder of their own is theirs: it is followed.
        let elsewhere = folder + "/elsewhere"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder + "/mine/doctor", withIntermediateDirectories: true)
        #expect(symlink(elsewhere, folder + "/mine/doctor/sessions") == 0)
        _ = try SessionStore(root: folder + "/mine/doctor/sessions").create(id: makeSessionID())
        // A link someone else planted, and a folder of another user, are refused with the reason
        // (only root can make them here).
        if geteuid() == 0 {
            try FileManager.default.createDirectory(atPath: folder + "/state/doctor", withIntermediateDirectories: true)
            #expect(symlink(elsewhere, folder + "/state/doctor/sessions") == 0)
            #expect(lchown(folder + "/state/doctor/sessions", 65534, 65534) == 0)
            #expect(throws: SessionError.self) {
                try SessionRecorder(mode: "check", configuration: Configuration(), store: SessionStore(root: folder + "/state/doctor/sessions"))
            }
            do {
                _ = try SessionStore(root: folder + "/state/doctor/sessions").create(id: makeSessionID())
            } catch {
                #expect(error.localizedDescription.contains("is a symbolic link made by another user (uid 65534): refusing to keep the session there"),
                        "\(error)")
            }
            let theirs = folder + "/theirs/doctor/sessions"
            try FileManager.default.createDirectory(atPath: theirs, withIntermediateDirectories: true)
            #expect(chown(theirs, 65534, 65534) == 0)
            #expect(throws: SessionError.self) { try SessionStore(root: theirs).create(id: makeSessionID()) }
        }
    }

    static func httpRunbook(headers: String) -> String {
        """
        version: 1
        id: r
        title: R
        symptom: s
        steps:
          - id: a
            title: A
            check: http
            with:
              url: "${API_URL}/api/health"
              headers: \(headers)
            hint: Fix it.
        """
    }

    @Test("header names must be RFC 9110 tokens; the credential blocklist compares trimmed, case-folded names; values hold no line break")
    func headerNames() {
        let loader = RunbookLoader(registry: .standard)
        for (headers, words) in [(#"{ "X-A\r\nAuthorization": z }"#, "is not a valid HTTP field name"),
                                 (#"{ "Authorization ": z }"#, "is not a valid HTTP field name"),
                                 (#"{ "AUTHORIZATION": z }"#, "carries credentials"),
                                 (#"{ "Proxy-Authorization": z }"#, "carries credentials"),
                                 (#"{ "X-Ok": "a\r\nAuthorization: z" }"#, "holds a line break")] {
            do {
                _ = try loader.load(yaml: Self.httpRunbook(headers: headers), file: "r.yml")
                Issue.record("\(headers) loaded")
            } catch {
                #expect(error.description.hasPrefix("r.yml:11:") && error.description.contains(words), "\(error)")
                #expect(!error.description.unicodeScalars.contains("\r"))
            }
        }
        #expect((try? loader.load(yaml: Self.httpRunbook(headers: #"{ "X-Request-Id": abc, "Content-Type": application/json }"#), file: "r.yml")) != nil)
    }

    @Test("2000 steps in one runbook: --timeout bounds the whole command, and the note and listing rebuild in linear time")
    func manySteps() throws {
        let folder = NSTemporaryDirectory() + "doctor-many-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder + "/runbooks", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var lines = ["version: 1", "id: big", "title: Big", "symptom: s", "steps:"]
        for index in 0..<2000 {
            lines += ["  - id: s\(index)", "    title: Step \(index)", "    check: env", "    with: { required: [API_URL] }"]
            if index > 0 { lines.append("    needs: [s\(index - 1)]") }
            lines.append("    hint: h")
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: folder + "/runbooks/big.yml", atomically: true, encoding: .utf8)
        let environment = ["XDG_STATE_HOME": folder, "API_URL": "http://127.0.0.1:9"]
        let clock = ContinuousClock()
        var start = clock.now
        let run = try DoctorProcess.run(["--check", "big", "--runbooks", folder + "/runbooks", "--timeout", "5s", "--format", "json"],
                                        environment: environment)
        #expect(run.exitCode == 0 || run.exitCode == 3, "\(run.stderr)")
        #expect(clock.now - start < .seconds(6.5), "the command took \(clock.now - start) under --timeout 5s")
        start = clock.now
        let note = try DoctorProcess.run(["note"], environment: environment)
        #expect(note.stdout.contains("s1999"))
        _ = try DoctorProcess.run(["sessions"], environment: environment)
        #expect(clock.now - start < .seconds(4), "rebuilding took \(clock.now - start)")
    }

    @Test("stripe-deliveries counts and rates over one set: a thousand failures beyond the newest sample are never '100% delivered'")
    func deliveriesFiguresAgree() {
        func event(_ id: String, pending: Int) -> StripeEvent {
            StripeEvent(.object([("id", .string(id)), ("type", .string("payment_intent.succeeded")),
                                 ("created", .int(1_700_000_000)), ("pending_webhooks", .int(pending))]))!
        }
        let probe = StripeDeliveriesCheck.Probe(window: .seconds(86_400), shown: 5, warn: 95, fail: 90, timeout: .seconds(20))
        let failing = (0..<1000).map { event("evt_failed_\($0)", pending: 1) }
        let recent = (0..<500).map { event("evt_ok_\($0)", pending: 0) }
        let outcome = probe.evaluate(failing: failing, failingTruncated: true, recent: recent, recentTruncated: true, evidence: Evidence())
        #expect(outcome.status == .warn, "failures older than the newest sample still count")
        #expect(outcome.summary.hasPrefix("1000+ events of the last 24h not delivered; of the newest 500, 0 not delivered (100.0% delivered)"),
                "\(outcome.summary)")
        // A busy account with a few failures is judged on the sample, not on the two sets mixed.
        let busy = (0..<500).map { event("evt_\($0)", pending: $0 < 2 ? 1 : 0) }
        let few = Array(busy.prefix(2)) + (0..<28).map { event("evt_old_\($0)", pending: 1) }
        let judged = probe.evaluate(failing: few, failingTruncated: false, recent: busy, recentTruncated: true, evidence: Evidence())
        #expect(judged.summary.hasPrefix("30 events of the last 24h not delivered; of the newest 500, 2 not delivered (99.6% delivered)"), "\(judged.summary)")
        #expect(judged.status == .warn)
    }

    @Test("a database URL's user name is not a secret (only a web URL's key-as-user is); an env file from a pipe is read")
    func noOverRedaction() throws {
        let redactor = Self.redactor(["DATABASE_URL": "postgresql://postgres@localhost:5432/app"])
        #expect(redactor.redact("postgres-ping: PostgreSQL 15 on localhost") == "postgres-ping: PostgreSQL 15 on localhost")
        let folder = NSTemporaryDirectory() + "doctor-fifo-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let fifo = folder + "/secrets.env"
        #expect(mkfifo(fifo, 0o600) == 0)
        // As `--env-file <(sops -d secrets.env)`: a writer feeds the pipe while it is read.
        let writer = Thread { try? "API_URL=https://api.example\n".write(toFile: fifo, atomically: false, encoding: .utf8) }
        writer.start()
        #expect(try DotEnv.load(path: fifo).map(\.0) == ["API_URL"])
    }
}
