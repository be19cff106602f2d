@testable import DoctorSandbox
import Foundation
import Testing
@testable import DoctorKit

/// The canary payment (issue 18, item 3): the Stripe stand-in creates and delivers a test payment
/// as Stripe documents it, the `payment-canary` step follows it to the rows only when the user
/// agreed, refuses a live key and `--read-only`, finds where a broken path loses it, and every
/// other count leaves the doctor's canaries out.
@Suite("Payment canary")
struct PaymentCanaryTests {
    // MARK: The stand-in, as strict as Stripe's documented API

    static func post(_ sandbox: Sandbox, _ form: String, key: String? = nil, idempotency: String? = nil) -> (status: Int, json: JSONValue?, headers: [(String, String)]) {
        var headers = [("Authorization", "Bearer \(key ?? sandbox.environment["STRIPE_SECRET_KEY"]!)"),
                       ("Content-Type", "application/x-www-form-urlencoded")]
        if let idempotency { headers.append(("Idempotency-Key", idempotency)) }
        let response = sandbox.handle(ServerRequest(method: "POST", path: "/v1/payment_intents", headers: headers, body: Array(form.utf8)))
        return (response.status, JSONValue.parse(Data(response.body)), response.headers)
    }

    static let card = "amount=50&currency=usd&payment_method=pm_card_visa&payment_method_types%5B%5D=card&confirm=true&metadata%5Bdoctor_canary%5D=true"

    @Test("POST /v1/payment_intents refuses what Stripe refuses: missing or small amounts, unknown parameters, a confirm that could redirect, unknown payment methods")
    func refusals() throws {
        let sandbox = Sandbox()
        try sandbox.start()
        defer { sandbox.stop() }
        let cases: [(String, String?, String?)] = [
            ("currency=usd", "parameter_missing", "amount"),
            ("amount=50", "parameter_missing", "currency"),
            ("amount=10&currency=usd", "amount_too_small", "amount"),
            ("amount=50&currency=usd&colour=red", "parameter_unknown", "colour"),
            ("amount=50&currency=usd&confirm=yes", "parameter_invalid_boolean", "confirm"),
            ("amount=0&currency=eur", "parameter_invalid_integer", "amount"),
            ("amount=20&currency=gbp", "amount_too_small", "amount"),
            ("amount=50&currency=xyz", "parameter_invalid_string", "currency"),
            ("amount=50&currency=usd&payment_method=pm_card_visa&payment_method_types%5B%5D=sepa_debit&confirm=true",
             "payment_intent_incompatible_payment_method", "payment_method"),
            ("amount=50&currency=usd&payment_method=pm_card_visa&confirm=true", nil, "return_url"),
            ("amount=50&currency=usd&payment_method=pm_card_nope&confirm=true&payment_method_types%5B%5D=card", "resource_missing", "payment_method"),
        ]
        for (form, code, param) in cases {
            let answer = Self.post(sandbox, form)
            #expect(answer.status == 400, "\(form)")
            #expect(answer.json?["error"]?["type"] == .string("invalid_request_error"), "\(form)")
            if let code { #expect(answer.json?["error"]?["code"] == .string(code), "\(form)") }
            #expect(answer.json?["error"]?["param"] == param.map(JSONValue.string), "\(form)")
        }
        #expect(Self.post(sandbox, Self.card, key: "sk_test_wrong").status == 401)
    }

    @Test("a confirmed test payment: succeeded, its events carry the idempotency key, a replayed key returns the same intent, other parameters under it are refused")
    func creates() throws {
        let sandbox = Sandbox()
        try sandbox.start()
        defer { sandbox.stop() }
        let first = Self.post(sandbox, Self.card, idempotency: "doctor-canary-test-1")
        #expect(first.status == 200)
        let id = try #require(first.json?["id"]?.text)
        #expect(first.json?["status"] == .string("succeeded"))
        #expect(first.json?["metadata"]?["doctor_canary"] == .string("true"))
        let again = Self.post(sandbox, Self.card, idempotency: "doctor-canary-test-1")
        #expect(again.json?["id"]?.text == id)
        #expect(again.headers.contains { $0.0 == "Idempotent-Replayed" && $0.1 == "true" })
        let other = Self.post(sandbox, Self.card.replacingOccurrences(of: "amount=50", with: "amount=60"), idempotency: "doctor-canary-test-1")
        #expect(other.status == 400 && other.json?["error"]?["type"] == .string("idempotency_error"))
        #expect(sandbox.paymentIntentCalls == 3)

        let key = sandbox.environment["STRIPE_SECRET_KEY"]!
        let events = sandbox.handle(ServerRequest(method: "GET", path: "/v1/events", query: ["type": "payment_intent.succeeded"],
                                                  queryItems: [("type", "payment_intent.succeeded")], headers: [("Authorization", "Bearer \(key)")]))
        guard case let .array(list)? = JSONValue.parse(Data(events.body))?["data"] else { Issue.record("no event list"); return }
        let event = try #require(list.first { $0["data"]?["object"]?["id"]?.text == id })
        #expect(event["request"]?["idempotency_key"] == .string("doctor-canary-test-1"))
        let retrieved = sandbox.handle(ServerRequest(method: "GET", path: "/v1/payment_intents/\(id)", headers: [("Authorization", "Bearer \(key)")]))
        #expect(retrieved.status == 200)
    }

    @Test("a live-mode key: the test card does not exist there")
    func liveStandIn() throws {
        let live = "sk_live_" + SandboxSecrets.random(24, from: SandboxSecrets.alphanumerics)
        let sandbox = Sandbox(chosen: .init(stripeKey: live))
        try sandbox.start()
        defer { sandbox.stop() }
        let answer = Self.post(sandbox, Self.card, key: live)
        #expect(answer.status == 400 && answer.json?["error"]?["code"] == .string("resource_missing"))
        #expect(answer.json?["error"]?["message"]?.text.contains("exists in test mode") == true)
    }

    @Test("an action is refused under --read-only first, then without a terminal unless confirmed; each face names its own stand-in")
    func refusalOrder() {
        #expect(ActionRefusal.check(.canary, readOnly: true, terminal: false, confirmedWithoutTerminal: false, noTerminalAllow: "--yes") == .readOnly(.canary))
        #expect(ActionRefusal.check(.resend, readOnly: false, terminal: false, confirmedWithoutTerminal: false, noTerminalAllow: "--yes")?.message
                == "refused: without a terminal the confirmation cannot be typed; --yes stands for it")
        #expect(ActionRefusal.check(.resend, readOnly: false, terminal: false, confirmedWithoutTerminal: true, noTerminalAllow: "--yes") == nil)
        #expect(ActionRefusal.check(.canary, readOnly: false, terminal: true, confirmedWithoutTerminal: false, noTerminalAllow: "`canary confirm yes`") == nil)
        #expect(ActionRefusal.readOnly(.canary).message.hasPrefix("refused: --read-only forbids the canary payment"))
    }

    // MARK: Through the binary

    static func environment(_ sandbox: Sandbox) throws -> [String: String] {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("doctor-canary-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        return sandbox.environment.merging(["XDG_STATE_HOME": state]) { $1 }
    }

    /// A runbook with the shipped canary step and a short `within`, so a lost canary is told in seconds.
    static func canaryRunbooks(within: String = "3s") throws -> String {
        try temporaryRunbooks(["canary.yml": """
            version: 1
            id: canary
            title: Canary
            symptom: payments go missing
            steps:
              - id: canary-payment
                title: A test payment reaches the database
                check: payment-canary
                with: { url: "${API_URL}/api/webhooks/stripe", within: \(within) }
                thresholds: { warn: 1s, fail: 5s }
                timeout: 15s
            """])
    }

    @Test("without --canary it is a dry run that makes no payment; with it the payment reaches both rows, hop by hop, and the session keeps its ids; nothing secret is printed")
    func followsThePayment() throws {
        let sandbox = Sandbox()
        try sandbox.start()
        defer { sandbox.stop() }
        try #require(sandbox.startDatabase() == nil, "the canary test needs the sandbox's PostgreSQL")
        let environment = try Self.environment(sandbox)

        let dry = try DoctorProcess.run(["--check", "missing-db-records", "-v"], environment: environment)
        #expect(dry.exitCode == 0, "\(dry.stdout)\(dry.stderr)")
        #expect(dry.stdout.contains("dry run, no payment made: --canary"), "\(dry.stdout)")
        #expect(sandbox.paymentIntentCalls == 0)

        let run = try DoctorProcess.run(["--check", "missing-db-records", "--canary", "--format", "json"], environment: environment)
        #expect(run.exitCode == 0, "\(run.stdout)\(run.stderr)")
        #expect(sandbox.paymentIntentCalls == 1)
        let report = try #require(JSONValue.parse(Data(run.stdout.utf8)))
        guard case let .array(runbooks)? = report["runbooks"], case let .array(steps)? = runbooks.first?["steps"] else {
            Issue.record("no steps in \(run.stdout)")
            return
        }
        let canary = try #require(steps.first { $0["id"]?.text == "canary-payment" })
        #expect(canary["status"] == .string("pass"), "\(canary)")
        let summary = canary["summary"]?.text ?? ""
        #expect(summary.contains("Stripe delivered it and the service logged it in AiEvent") && summary.contains("Payment row"), "\(summary)")
        let evidence = canary["evidence"]
        #expect(evidence?["payment_intent"]?.text.hasPrefix("pi_") == true)
        #expect(evidence?["request_id"]?.text.hasPrefix("req_") == true)
        #expect(evidence?["idempotency_key"]?.text.hasPrefix("doctor-canary-") == true)
        #expect(evidence?["event_id"]?.text.hasPrefix("evt_") == true)
        #expect(evidence?["processing_ms"] != nil && evidence?["payment_to_row_ms"] != nil)
        // The intent's client secret never leaves Stripe's answer; the keys never appear.
        #expect(!run.stdout.contains("_secret_"))
        #expect(!run.stdout.contains(environment["STRIPE_SECRET_KEY"]!) && !run.stdout.contains(environment["STRIPE_WEBHOOK_SECRET"]!))
        // The note lists the payment under Actions taken, with its request id and idempotency key.
        let store = SessionStore(environment: environment)
        let session = try #require(report["session"]?.text)
        let note = try String(contentsOfFile: store.notePath(of: session), encoding: .utf8)
        #expect(note.contains("## Actions taken") && note.contains("canary payment \(evidence?["payment_intent"]?.text ?? "?")"), "\(note)")
        #expect(note.contains(evidence?["request_id"]?.text ?? "?") && note.contains(evidence?["idempotency_key"]?.text ?? "?"))
        // Nothing the doctor wrote (journal, note, ledger) holds the client secret or a key.
        let written = FileManager.default.enumerator(atPath: environment["XDG_STATE_HOME"]!)?.compactMap { $0 as? String } ?? []
        for file in written {
            guard let text = try? String(contentsOfFile: environment["XDG_STATE_HOME"]! + "/" + file, encoding: .utf8) else { continue }
            #expect(!text.contains("_secret_") && !text.contains(environment["STRIPE_SECRET_KEY"]!), "\(file)")
        }
        // The doctor's ledger knows the canary, so the next runs leave it out of their counts.
        let ledger = OwnRequestLedger(stateDirectory: environment["XDG_STATE_HOME"]! + "/doctor")
        #expect(ledger.canaryIntents(since: 0) == [evidence?["payment_intent"]?.text ?? ""])
    }

    @Test("in the interactive session: `canary` is the dry run, `canary confirm` without a terminal is refused, `canary confirm yes` makes the payment")
    func interactive() throws {
        try #require(TemporaryPostgres.binDirectory != nil, "the canary test needs PostgreSQL's server binaries")
        let run = try DoctorProcess.run(["demo", "--interactive"], stdin: "canary\ncanary confirm\ncanary confirm yes\nquit\n")
        #expect(run.stdout.contains("dry run, no payment made"), "\(run.stdout)")
        #expect(run.stderr.contains("refused: without a terminal the confirmation cannot be typed; `canary confirm yes` stands for it"), "\(run.stderr)")
        #expect(run.stdout.contains("canary payment pi_") && run.stdout.contains("reached the database"), "\(run.stdout)")
        let readOnly = try DoctorProcess.run(["demo", "--interactive", "--read-only"], stdin: "canary confirm yes\nquit\n")
        #expect(readOnly.stderr.contains("refused: --read-only forbids the canary payment"), "\(readOnly.stderr)")
        #expect(!readOnly.stdout.contains("canary payment pi_"))
    }

    @Test("refused for a live key and under --read-only, with no payment asked of Stripe; --canary with --read-only is a usage error")
    func refusedForLiveAndReadOnly() throws {
        let live = "sk_live_" + SandboxSecrets.random(24, from: SandboxSecrets.alphanumerics)
        let sandbox = Sandbox(chosen: .init(stripeKey: live))
        try sandbox.start()
        defer { sandbox.stop() }
        try #require(sandbox.startDatabase() == nil, "the canary test needs the sandbox's PostgreSQL")
        let environment = try Self.environment(sandbox)
        let runbooks = try Self.canaryRunbooks()
        let refused = try DoctorProcess.run(["--check", "canary", "--runbooks", runbooks, "--canary", "-v"], environment: environment)
        #expect(refused.stdout.contains("refused: a canary payment needs a test-mode key"), "\(refused.stdout)")
        #expect(!refused.stdout.contains(live))
        let readOnly = try DoctorProcess.run(["--check", "canary", "--runbooks", runbooks, "--read-only", "-v"], environment: environment)
        #expect(readOnly.stdout.contains("skipped under --read-only"), "\(readOnly.stdout)")
        let both = try DoctorProcess.run(["--check", "canary", "--runbooks", runbooks, "--read-only", "--canary"], environment: environment)
        #expect(both.exitCode == 64 && both.stderr.contains("--read-only"), "\(both.stderr)")
        #expect(sandbox.paymentIntentCalls == 0)
    }

    @Test("a broken path is found at its first missing hop: a wrong secret leaves Stripe's delivery pending, a lost write leaves no row")
    func findsTheBrokenHop() throws {
        let runbooks = try Self.canaryRunbooks()
        for (fault, expected) in [(SandboxFault.wrongSecret, "Stripe has not delivered the canary's evt_"),
                                  (.dbErrorsInLogs, "but wrote no Payment row")] {
            let sandbox = Sandbox(fault: fault)
            try sandbox.start()
            defer { sandbox.stop() }
            try #require(sandbox.startDatabase() == nil, "the canary test needs the sandbox's PostgreSQL")
            let environment = try Self.environment(sandbox)
            let run = try DoctorProcess.run(["--check", "canary", "--runbooks", runbooks, "--canary"], environment: environment)
            #expect(run.exitCode == 2, "\(fault.name): \(run.stdout)\(run.stderr)")
            #expect(run.stdout.contains(expected), "\(fault.name): \(run.stdout)")
            #expect(run.duration < .seconds(12))
        }
        // The payment's row without the event's: the payment landed, and the service's processing
        // time cannot be told from Stripe's delivery time, so it is not judged (webhook-e2e finds the lost row).
        let sandbox = Sandbox(fault: .eventsNotRecorded)
        try sandbox.start()
        defer { sandbox.stop() }
        try #require(sandbox.startDatabase() == nil, "the canary test needs the sandbox's PostgreSQL")
        let run = try DoctorProcess.run(["--check", "canary", "--runbooks", runbooks, "--canary", "-v"], environment: try Self.environment(sandbox))
        #expect(run.exitCode == 0 && run.stdout.contains("so the processing time is not measured"), "\(run.stdout)")
    }

    @Test("a wrong secret or an endpoint Stripe cannot deliver to explains a lost canary: one problem; a lost write stays its own")
    func oneDiagnosis() {
        let canary = DiagnosisTests.step("canary-payment", PaymentCanaryCheck.name, .fail, "Stripe has not delivered the canary's evt_1",
                                         evidence: [("lost_at", .string("delivery"))])
        let received = DiagnosisTests.step("canary-payment", PaymentCanaryCheck.name, .fail, "Stripe delivered … but wrote no Payment row",
                                           evidence: [("lost_at", .string("payment-row"))])
        for cause in [DiagnosisTests.step("webhook-secret-match", "webhook-secret", .fail, "HTTP 400"),
                      DiagnosisTests.step("stripe-endpoint", "stripe-endpoint", .fail, "the endpoint is disabled")] {
            let diagnosis = Diagnosis(DiagnosisTests.report([("webhooks-not-arriving", [cause, canary])]))
            #expect(diagnosis.problems.map(\.id) == [cause.id])
            #expect(diagnosis.symptoms.map(\.id) == ["canary-payment"])
            // A canary the service received proves the delivery works: its loss is its own problem.
            let own = Diagnosis(DiagnosisTests.report([("webhooks-not-arriving", [cause, received])]))
            #expect(Set(own.problems.map(\.id)) == [cause.id, "canary-payment"])
        }
        let notSent = DiagnosisTests.step("canary-payment", PaymentCanaryCheck.name, .unknown, "not sent: Stripe's endpoint we_1 is disabled",
                                          evidence: [("lost_at", .string("endpoint"))])
        let endpoint = DiagnosisTests.step("stripe-endpoint", "stripe-endpoint", .fail, "the endpoint is disabled")
        #expect(Diagnosis(DiagnosisTests.report([("webhooks-not-arriving", [endpoint, notSent])])).symptoms.map(\.id) == ["canary-payment"])
        let unrelated = DiagnosisTests.step("env-vars", "env", .fail, "SENTRY_DSN missing")
        let diagnosis = Diagnosis(DiagnosisTests.report([("missing-db-records", [unrelated, canary])]))
        #expect(Set(diagnosis.problems.map(\.id)) == ["env-vars", "canary-payment"])
    }

    // MARK: Left out of every other count

    @Test("Stripe objects marked as the doctor's, or carrying a known canary intent, are canaries; others are not")
    func recognisesCanaries() {
        let marked: JSONValue = .object([("id", .string("pi_1")), ("object", .string("payment_intent")),
                                         ("metadata", .object([(PaymentCanary.metadataKey, .string("true"))]))])
        let charge: JSONValue = .object([("id", .string("ch_1")), ("object", .string("charge")), ("payment_intent", .string("pi_2"))])
        let other: JSONValue = .object([("id", .string("pi_3")), ("object", .string("payment_intent")), ("metadata", .object([]))])
        #expect(PaymentCanary.isCanary(object: marked, known: []))
        #expect(PaymentCanary.isCanary(object: charge, known: ["pi_2"]))
        #expect(!PaymentCanary.isCanary(object: charge, known: ["pi_9"]))
        #expect(!PaymentCanary.isCanary(object: other, known: ["pi_2"]))
        #expect(PaymentCanary.isCanary(event: .object([("data", .object([("object", charge)]))]), known: ["pi_2"]))
        #expect(!PaymentCanary.isIntentID("pi_1 2") && !PaymentCanary.isIntentID("ch_1") && PaymentCanary.isIntentID("pi_3MtwBwLkdIwHu7ix28a3tqPa"))
    }

    @Test("a log scan counts the canary's lines as the doctor's own, not as the service's payments")
    func logsLeaveCanariesOut() async throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("doctor-canary-ledger-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        let ledger = OwnRequestLedger(stateDirectory: state)
        ledger.record("canary pi_canary123")
        #expect(ledger.canaryIntents(since: 0) == ["pi_canary123"])
        let now = Date()
        let lines = [
            "\(UTCTime.string(now.addingTimeInterval(-60), .iso8601)) 💰 Processing successful payment: pi_real1",
            "\(UTCTime.string(now.addingTimeInterval(-30), .iso8601)) 💰 Processing successful payment: pi_canary123",
            "\(UTCTime.string(now.addingTimeInterval(-29), .iso8601)) ✅ Payment record created: pi_canary123",
        ]
        let log = state + "/service.log"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        try (lines.joined(separator: "\n") + "\n").write(toFile: log, atomically: true, encoding: .utf8)
        let runbook = try LogScanPassTests.runbook("""
              - id: payments
                title: Payments in the logs
                check: log-scan
                with:
                  window: 1h
                  patterns:
                    - { id: started, text: Processing successful payment, meaning: Started }
                    - { id: created, text: Payment record created, meaning: Success }
            """)
        var configuration = Configuration()
        configuration.set("DOCTOR_LOG_FILE", log, origin: .flag)
        let http = HTTPClient()
        defer { http.close() }
        let runner = Runner(configuration: configuration, http: http, resources: SharedResources(ownRequests: ledger))
        let report = await runner.run([runbook], session: "canary-logs")
        let step = try #require(report.runbooks.first?.steps.first)
        #expect(step.evidence["own_probe_lines"] == .int(2), "\(step.evidence.json)")
        #expect(step.evidence["counts"]?["started"] == .int(1) && step.evidence["counts"]?["created"] == .int(0), "\(step.evidence.json)")
    }
}
