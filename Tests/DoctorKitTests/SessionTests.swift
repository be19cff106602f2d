import Foundation
import Testing
@testable import DoctorKit

/// A fresh sessions folder under the temporary directory.
func temporaryStore() -> SessionStore {
    SessionStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("doctor-sessions-\(UUID().uuidString)/doctor/sessions").path)
}

func result(_ id: String, _ status: Status, summary: String = "summary", evidence: Evidence = Evidence(), hint: String? = nil) -> StepResult {
    StepResult(id: id, kind: "http", title: "Title of \(id)", status: status, durationMs: 12, summary: summary,
               hint: hint, evidence: evidence, startedAt: Date())
}

@Suite("Sessions and journal")
struct SessionTests {
    @Test("the journal is 0600 in a 0700 folder and every event is on disk after sync")
    func journalFiles() throws {
        let store = temporaryStore()
        var configuration = Configuration()
        configuration.set("API_URL", "https://payments.example", origin: .process)
        let recorder = try SessionRecorder(mode: "check", configuration: configuration, store: store)
        recorder.record(.finished(runbook: "r", result: result("a", .pass)))
        recorder.sync()
        var info = stat()
        stat(store.journalPath(of: recorder.id), &info)
        #expect(info.st_mode & 0o777 == 0o600)
        stat(store.directory(of: recorder.id), &info)
        #expect(info.st_mode & 0o777 == 0o700)
        stat(store.root, &info)
        #expect(info.st_mode & 0o777 == 0o700)
        let record = try store.load(recorder.id)
        #expect(record.allSteps.map(\.step.id) == ["a"])
        #expect(record.info.target == "https://payments.example")
        #expect(record.endedAt == nil)
    }

    @Test("a half-written last line (a killed process) is skipped; the rest is read")
    func halfWrittenLine() throws {
        let store = temporaryStore()
        let recorder = try SessionRecorder(mode: "check", configuration: Configuration(), store: store)
        recorder.record(.finished(runbook: "r", result: result("a", .fail)))
        recorder.sync()
        let handle = try #require(FileHandle(forWritingAtPath: store.journalPath(of: recorder.id)))
        handle.seekToEndOfFile()
        handle.write(Data(#"{"type":"step_result","runbook":"r","result":{"id":"b","kin"#.utf8))
        try handle.close()
        let record = try store.load(recorder.id)
        #expect(record.allSteps.map(\.step.id) == ["a"])
        #expect(record.status == .fail)
    }

    @Test("steps come back in the runbook's order, a re-run replaces the earlier result, unfinished steps are kept")
    func rebuild() throws {
        let store = temporaryStore()
        let recorder = try SessionRecorder(mode: "interactive", configuration: Configuration(), store: store)
        let runbook = Runbook(id: "r", title: "R", symptom: "s", steps: [
            Step(id: "first", title: "First", kind: "test", check: ScriptedCheck(), location: SourceLocation(file: "r.yml", line: 1, column: 1)),
            Step(id: "second", title: "Second", kind: "test", check: ScriptedCheck(), location: SourceLocation(file: "r.yml", line: 2, column: 1)),
            Step(id: "third", title: "Third", kind: "test", check: ScriptedCheck(), location: SourceLocation(file: "r.yml", line: 3, column: 1)),
        ], file: "r.yml")
        recorder.runbooksStarting([runbook])
        recorder.record(.finished(runbook: "r", result: result("second", .fail)))
        recorder.record(.finished(runbook: "r", result: result("first", .pass)))
        recorder.record(.started(runbook: "r", step: "third"))
        recorder.record(.finished(runbook: "r", result: result("second", .pass)))
        recorder.note("restarted the instance")
        let record = try recorder.current()
        #expect(record.runbooks[0].steps.map(\.id) == ["first", "second"])
        #expect(record.status == .pass)
        #expect(record.unfinished.map(\.step) == ["third"])
        #expect(record.notes.map(\.text) == ["restarted the instance"])
    }

    @Test("secrets are redacted before they reach the journal")
    func journalRedaction() throws {
        let store = temporaryStore()
        var configuration = Configuration()
        let password = "Zq9-journal-pass"
        configuration.set("DATABASE_URL", "postgresql://app:\(password)@db.internal:5432/payments", origin: .process)
        configuration.set("STRIPE_SECRET_KEY", "sk_live_journalSecretKey0123456789", origin: .process)
        let recorder = try SessionRecorder(mode: "check", configuration: configuration, store: store)
        var evidence = Evidence()
        evidence["error"] = .string("password authentication failed for \(password)")
        recorder.record(.finished(runbook: "r", result: result("db", .fail, summary: "key sk_live_journalSecretKey0123456789 rejected", evidence: evidence)))
        recorder.note("tried \(password) by hand")
        _ = try recorder.finish(status: .fail, exitCode: 2)
        for path in [store.journalPath(of: recorder.id), store.notePath(of: recorder.id)] {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(!text.contains(password))
            #expect(!text.contains("journalSecretKey"))
        }
    }

    @Test("the incident note has the when, who, what, summary table, details, notes, ruled-out and next actions")
    func incidentNote() throws {
        let store = temporaryStore()
        var configuration = Configuration()
        configuration.set("API_URL", "https://payments.example", origin: .process)
        configuration.set("STRIPE_SECRET_KEY", "sk_test_" + String(repeating: "n", count: 24), origin: .process)
        let recorder = try SessionRecorder(mode: "check", configuration: configuration, store: store)
        var evidence = Evidence()
        evidence["status"] = .int(404)
        recorder.record(.finished(runbook: "webhooks-not-arriving", result: result("webhook-route", .fail, summary: "HTTP 404 (expected 400)", evidence: evidence, hint: "Mount the route at /api/webhooks/stripe.")))
        recorder.record(.finished(runbook: "webhooks-not-arriving", result: result("api-health", .pass, summary: "HTTP 200 in 80ms")))
        recorder.note("deploy 42 went out at 03:00")
        let path = try recorder.finish(status: .fail, exitCode: 2)
        let note = try String(contentsOfFile: path, encoding: .utf8)
        #expect(note.hasPrefix("# Incident note: Title of webhook-route — FAIL"))
        #expect(note.contains("**When:**"))
        #expect(note.contains(" UTC"))
        #expect(note.contains("API `https://payments.example` · Stripe mode test"))
        #expect(note.contains("| webhook-route | webhooks-not-arriving | ✗ fail | 12ms | HTTP 404 (expected 400) |"))
        #expect(note.contains("- status: `404`"))
        #expect(note.contains("What to do: Mount the route at /api/webhooks/stripe."))
        #expect(note.contains("## Operator notes"))
        #expect(note.contains("deploy 42 went out at 03:00"))
        #expect(note.contains("## Ruled out\n\n- Service: api-health (HTTP 200 in 80ms)"), "\(note)")
        #expect(note.contains("1. Title of webhook-route: Mount the route at /api/webhooks/stripe."))
    }

    @Test("old sessions are pruned beyond the setting, but never one that may still be running")
    func prune() throws {
        let store = temporaryStore()
        let running = try SessionRecorder(id: "20250101T000000Z-0000", mode: "interactive", configuration: Configuration(), store: store)
        running.sync()
        var ids: [String] = []
        for index in 1..<5 {
            let recorder = try SessionRecorder(id: "20260101T00000\(index)Z-0000", mode: "check", configuration: Configuration(), store: store, keep: 3)
            try recorder.finish(status: .pass, exitCode: 0)
            ids.append(recorder.id)
        }
        #expect(store.ids() == [running.id] + Array(ids.suffix(3)))
    }

    @Test("the session fingerprint records the service's variables, never the rest of the shell")
    func fingerprint() {
        let configuration = Configuration(process: ["API_URL": "https://payments.example", "SSHPASS": "hunter2secret",
                                                    "SECRET_KEY_BASE": "railsbase123", "STRIPE_SECRET_KEY": "sk_live_fingerprintKey12345678"])
        let info = SessionInfo(id: "20261129T000000Z-0000", mode: "check", configuration: configuration)
        #expect(info.variables["API_URL"] == "https://payments.example")
        #expect(info.variables["SSHPASS"] == nil)
        #expect(info.variables["SECRET_KEY_BASE"] == nil)
        #expect(info.variables["STRIPE_SECRET_KEY"]?.contains("fingerprintKey") == false)
    }

    @Test("a session id that is not one is refused rather than used as a path")
    func sessionIDs() {
        let store = temporaryStore()
        #expect(throws: SessionError.notFound("../../etc")) { _ = try store.load("../../etc") }
        #expect(SessionStore.isSessionID("20261129T031240Z-3fa1"))
        #expect(!SessionStore.isSessionID("20261129T031240Z-3fa1/../x"))
    }
}

@Suite("Report formats")
struct ReportFormatTests {
    func sampleReport() -> RunReport {
        var evidence = Evidence()
        evidence["body_excerpt"] = .string("<html> & \"quotes\" \u{1}")
        let steps = [result("a", .pass), result("b", .fail, summary: "HTTP 404 <expected 400>", evidence: evidence, hint: "fix & retry"),
                     result("c", .warn), result("d", .skip), result("e", .unknown)]
        return RunReport(status: .fail, exitCode: 2, session: "s", startedAt: Date(), finishedAt: Date(), durationMs: 1234,
                         target: nil, stripeMode: nil, notices: [],
                         runbooks: [RunbookReport(id: "rb \"one\"", title: "One", status: .fail, escalation: .stripe, steps: steps)])
    }

    @Test("JUnit output validates against the JUnit XML schema; a broken document does not")
    func junitSchema() throws {
        let xml = JUnitRenderer.render(sampleReport())
        #expect(xml.contains("<failure message=\"HTTP 404 &lt;expected 400&gt;\""))
        #expect(xml.contains("<error message=\"summary\" type=\"unknown\">"))
        #expect(xml.contains("<skipped message=\"summary\"/>"))
        let lint = try xmllint(xml)
        #expect(lint.valid, "\(lint.output)")
        let broken = xml.replacingOccurrences(of: "classname=", with: "klass=")
        #expect(try xmllint(broken).valid == false)
    }

    @Test("Prometheus output parses with the official client's parser and carries the last-run timestamp")
    func prometheusParses() throws {
        let text = PrometheusRenderer.render(sampleReport())
        let script = """
            import sys
            from prometheus_client.parser import text_string_to_metric_families
            names = {}
            for family in text_string_to_metric_families(sys.stdin.read()):
                for sample in family.samples:
                    names.setdefault(sample.name, []).append(sample)
            assert names['doctor_last_run_timestamp_seconds'][0].value > 1.7e9
            failing = [s for s in names['doctor_step_status'] if s.labels['step'] == 'b' and s.labels['status'] == 'fail']
            assert failing[0].value == 1 and failing[0].labels['runbook'] == 'rb "one"', failing
            assert names['doctor_exit_code'][0].value == 2
            print(len(names))
            """
        let run = try runPython(script, stdin: text)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.trimmingCharacters(in: .whitespacesAndNewlines) == "6")
    }
}

/// Validates XML against the test JUnit schema with xmllint (libxml2-utils).
func xmllint(_ xml: String) throws -> (valid: Bool, output: String) {
    let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/junit.xsd").path
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("doctor-junit-\(UUID().uuidString).xml")
    try xml.write(to: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: file) }
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/xmllint") else {
        Issue.record("xmllint is missing: run scripts/setup (apt package libxml2-utils)")
        return (false, "")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/xmllint")
    process.arguments = ["--noout", "--schema", schema, file.path]
    let pipe = Pipe()
    process.standardError = pipe
    process.standardOutput = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus == 0, output)
}

/// Runs a Python script with `stdin`, failing loudly when python3 or a module is missing.
func runPython(_ script: String, stdin: String) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script]
    let input = Pipe(), output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = output
    try process.run()
    input.fileHandleForWriting.write(Data(stdin.utf8))
    try input.fileHandleForWriting.close()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, text)
}

@Suite("Redaction")
struct RedactionTests {
    @Test("configured secrets are removed in every encoding an output uses; keys keep prefix and last four")
    func encodings() {
        var configuration = Configuration()
        let password = "p@ss/wörd#42"
        let encoded = password.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        configuration.set("DATABASE_URL", "postgresql://app:\(encoded)@db.internal:5432/payments", origin: .process)
        configuration.set("STRIPE_SECRET_KEY", "sk_live_51Hx9redactionKey4f2a", origin: .process)
        configuration.set("STRIPE_WEBHOOK_SECRET", "whsec_redactionWebhookSecret123", origin: .process)
        let redactor = Redactor(configuration)
        let secret = "whsec_redactionWebhookSecret123"
        let samples = [
            "url postgresql://app:\(encoded)@db.internal:5432/payments failed",
            "raw \(password) and encoded \(encoded)",
            "json \"\(password.replacingOccurrences(of: "/", with: "\\/"))\"",
            "base64 \(Data(password.utf8).base64EncodedString()) \(Data(secret.utf8).base64EncodedString())",
            "key sk_live_51Hx9redactionKey4f2a and \(secret)",
        ]
        for sample in samples {
            let clean = redactor.redact(sample)
            #expect(!clean.contains(password) && !clean.contains(encoded) && !clean.contains("redactionWebhook"), "\(clean)")
            #expect(!clean.contains(Data(password.utf8).base64EncodedString()))
        }
        #expect(redactor.redact("key sk_live_51Hx9redactionKey4f2a") == "key sk_live_…4f2a")
    }

    @Test("patterns catch secrets the configuration does not know, card numbers and e-mail addresses")
    func patterns() {
        let redactor = Redactor(Configuration())
        #expect(redactor.redact("Authorization: Bearer rnd_abcdefghijklmnop1234") == "Authorization: Bearer rnd_…1234")
        #expect(redactor.redact("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload") == "Authorization: Bearer [redacted]")
        #expect(redactor.redact("sk_test_unknownKey00001234") == "sk_test_…1234")
        #expect(redactor.redact("signing with whsec_abc123") == "signing with whsec_…")
        #expect(redactor.redact("prisma://accelerate.prisma-data.net/?api_key=eyJhbGciOi") == "prisma://accelerate.prisma-data.net/?api_key=[redacted]")
        #expect(redactor.redact("redis://default:hunter2@cache:6379") == "redis://default:[redacted]@cache:6379")
        #expect(redactor.redact("https://0123456789abcdef0123456789abcdef@o1.ingest.sentry.io/5") == "https://[redacted]@o1.ingest.sentry.io/5")
        #expect(redactor.redact("card 4242 4242 4242 4242 declined") == "card [card …4242] declined")
        #expect(redactor.redact("order 4242424242424241 total") == "order 4242424242424241 total")  // fails Luhn
        #expect(redactor.redact("customer jane.doe@example.com paid") == "customer [email] paid")
        #expect(redactor.redact("postgresql://payments@db.example.com:5432/x") == "postgresql://payments@db.example.com:5432/x")
    }
}
