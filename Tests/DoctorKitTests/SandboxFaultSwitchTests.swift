import Foundation
import Testing
@testable import DoctorKit
@testable import DoctorSandbox

/// A delivery of a harmless event signed with the sandbox's `STRIPE_WEBHOOK_SECRET`, answered in process.
private func signedDelivery(_ sandbox: Sandbox) -> ServerResponse {
    let body = Array(#"{"id":"evt_doctor_probe","type":"doctor.probe","livemode":false}"#.utf8)
    let header = StripeSignature.header(secret: sandbox.environment["STRIPE_WEBHOOK_SECRET"]!,
                                        timestamp: Int(Date().timeIntervalSince1970), payload: body)
    return sandbox.handle(ServerRequest(method: "POST", path: "/api/webhooks/stripe",
                                        headers: [("Content-Type", "application/json"), ("Stripe-Signature", header)], body: body))
}

private func control(_ sandbox: Sandbox, _ method: String = "POST", body: String = "") -> (status: Int, json: JSONValue?) {
    let response = sandbox.handle(ServerRequest(method: method, path: Sandbox.faultRoute, body: Array(body.utf8)))
    return (response.status, JSONValue.parse(Data(response.body)))
}

/// The rows of `sql`'s first column at the sandbox's `DATABASE_URL`.
private func column(_ sandbox: Sandbox, _ sql: String) async throws -> [String?] {
    let url = try PostgresURL.parse(sandbox.environment["DATABASE_URL"]!)
    let connection = try await PostgresConnection.connect(PostgresConnectionInfo(url: url), deadline: .now + .seconds(10))
    defer { connection.close() }
    return try await connection.query(sql, deadline: .now + .seconds(10)).rows.map { $0[0] }
}

/// Runs a blocking switch off the cooperative pool, as the server's threads do.
private func switchOffPool(_ sandbox: Sandbox, to fault: SandboxFault?) async throws {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
        Thread.detachNewThread {
            do { try sandbox.switchFault(to: fault); continuation.resume() } catch { continuation.resume(throwing: error) }
        }
    }
}

@Suite("Sandbox fault switch", .serialized)
struct SandboxFaultSwitchTests {
    @Test("two sandboxes share their deploy history, Stripe account and endpoint ids, never their keys; a fault's own deploys are new")
    func stableIDs() {
        func ids(_ sandbox: Sandbox) -> (deploys: [String], account: String?, endpoints: [String]) {
            let api = sandbox.api
            let deploys = api.render.service.deploys.map(\.id)
            let (account, endpoints) = api.stripe.lock.withLock { (api.stripe.account, api.stripe.endpoints) }
            return (deploys, account["id"]?.text, endpoints.compactMap { $0["id"]?.text })
        }
        let (a, b, failed) = (Sandbox(), Sandbox(), Sandbox(fault: .deployFailed))
        try? a.start()
        try? b.start()
        try? failed.start()
        defer { a.stop(); b.stop(); failed.stop() }
        #expect(ids(a).deploys == ids(b).deploys && ids(a).account == ids(b).account && ids(a).endpoints == ids(b).endpoints)
        #expect(!ids(a).endpoints.isEmpty && ids(a).account != nil)
        #expect(a.environment["STRIPE_SECRET_KEY"] != b.environment["STRIPE_SECRET_KEY"])
        #expect(a.environment["STRIPE_WEBHOOK_SECRET"] != b.environment["STRIPE_WEBHOOK_SECRET"])
        #expect(Array(ids(failed).deploys.dropFirst(2)) == ids(a).deploys)
        #expect(!ids(a).deploys.contains(ids(failed).deploys[0]))
    }

    @Test("wrong-secret lifted: the same secrets, port and Stripe ids; a signed delivery now verifies; the switch is announced")
    func liftWrongSecret() throws {
        let sandbox = Sandbox(fault: .wrongSecret)
        try sandbox.start()
        defer { sandbox.stop() }
        let switches = Switches()
        sandbox.onFaultSwitch { switches.append($0) }
        #expect(signedDelivery(sandbox).status == 400)
        let before = sandbox.environment
        let endpoints = sandbox.api.stripe.lock.withLock { sandbox.api.stripe.endpoints.map { $0["id"] } }
        let account = sandbox.api.stripe.lock.withLock { sandbox.api.stripe.account["id"] }
        try sandbox.switchFault(to: nil)
        #expect(sandbox.fault == nil)
        #expect(sandbox.environment == before)
        #expect(signedDelivery(sandbox).status == 200)
        #expect(sandbox.api.stripe.lock.withLock { sandbox.api.stripe.endpoints.map { $0["id"] } } == endpoints)
        #expect(sandbox.api.stripe.lock.withLock { sandbox.api.stripe.account["id"] } == account)
        let change = try #require(switches.all.first)
        #expect(change.from == .wrongSecret && change.to == nil)
        #expect(change.line.range(of: #"^fault wrong-secret lifted at \d\d:\d\d:\d\d UTC: healthy$"#, options: .regularExpression) != nil, "\(change.line)")
    }

    @Test("to a fault and back: each world as a fresh sandbox has it, the live log lines kept")
    func toFaultAndBack() throws {
        let sandbox = Sandbox()
        try sandbox.start()
        defer { sandbox.stop() }
        #expect(sandbox.handle(ServerRequest(method: "GET", path: "/api/health")).status == 200)
        try sandbox.switchFault(to: .webhookMissing)
        #expect(sandbox.fault == .webhookMissing)
        #expect(signedDelivery(sandbox).status == 404)
        try sandbox.switchFault(to: nil)
        #expect(signedDelivery(sandbox).status == 200)
        // Both worlds' requests are in the one log Render's stand-in serves.
        let requests = sandbox.api.payment.log.all.filter { $0.type == "request" }.map(\.message)
        #expect(requests.contains("GET /api/health 200") && requests.contains("POST /api/webhooks/stripe 404"), "\(requests)")
        #expect(!requests.contains { $0.contains(Sandbox.faultRoute) })
    }

    @Test("the control route: GET says the fault, POST switches it, 400 for an unknown name or a malformed body")
    func route() throws {
        let sandbox = Sandbox(fault: .slow)
        let get = control(sandbox, "GET")
        #expect(get.status == 200 && get.json?["fault"] == .string("slow") && get.json?["summary"] == .string(SandboxFault.slow.summary))
        let set = control(sandbox, body: #"{"fault": "missing-payment"}"#)
        #expect(set.status == 200 && set.json?["fault"] == .string("payments-missing") && set.json?["previous"] == .string("slow"))
        #expect(sandbox.fault == .paymentsMissing)
        let lift = control(sandbox, body: #"{"fault": null}"#)
        #expect(lift.status == 200 && lift.json?["fault"] == .null && lift.json?["previous"] == .string("payments-missing"))
        #expect(control(sandbox, "GET").json?["summary"] == .string("the sandbox is healthy"))
        let unknown = control(sandbox, body: #"{"fault": "wrong-secrets"}"#)
        #expect(unknown.status == 400 && unknown.json?["error"] == .string(#"no fault named "wrong-secrets""#))
        for malformed in ["", "{", #"{"fault": 3}"#, #"["wrong-secret"]"#, #"{"name": "slow"}"#] {
            #expect(control(sandbox, body: malformed).status == 400, "\(malformed)")
        }
        #expect(control(sandbox, "DELETE").status == 405)
        #expect(sandbox.fault == nil)
    }

    @Test("payments-missing lifted with the database: the rows appear, reseeded as a fresh sandbox has them; db-down stops and restarts it on one port")
    func database() async throws {
        guard TemporaryPostgres.binDirectory != nil else {
            if DatabaseServers.isCI { Issue.record("PostgreSQL server binaries are required under CI=true") }
            return
        }
        let sandbox = Sandbox(fault: .paymentsMissing)
        try sandbox.start()
        defer { sandbox.stop() }
        #expect(sandbox.startDatabase() == nil)
        let missing = #"SELECT count(*)::text FROM "Payment" WHERE "stripePaymentIntentId" IN ('pi_sandbox_3', 'pi_sandbox_11', 'pi_sandbox_19')"#
        #expect(try await column(sandbox, missing) == ["0"])
        let url = sandbox.environment["DATABASE_URL"]
        try await switchOffPool(sandbox, to: nil)
        #expect(try await column(sandbox, missing) == ["3"])
        #expect(try await column(sandbox, #"SELECT count(*)::text FROM "Payment""#) == ["40"])
        #expect(try await column(sandbox, #"SELECT count(*)::text FROM "_prisma_migrations""#) == ["2"])
        try await switchOffPool(sandbox, to: .dbDown)
        await #expect(throws: (any Error).self) { _ = try await column(sandbox, "SELECT 1") }
        try await switchOffPool(sandbox, to: .migrationFailed)
        #expect(sandbox.environment["DATABASE_URL"] == url)
        #expect(try await column(sandbox, #"SELECT count(*)::text FROM "_prisma_migrations" WHERE finished_at IS NULL"#) == ["1"])
    }

    @Test("begun under db-down, lifted: a database starts on the port DATABASE_URL named all along")
    func databaseBegunDown() async throws {
        guard TemporaryPostgres.binDirectory != nil else { return }
        let sandbox = Sandbox(fault: .dbDown)
        try sandbox.start()
        defer { sandbox.stop() }
        #expect(sandbox.startDatabase() == nil && sandbox.databaseAddress == nil)
        let url = sandbox.environment["DATABASE_URL"]
        try await switchOffPool(sandbox, to: nil)
        #expect(sandbox.environment["DATABASE_URL"] == url)
        #expect(try await column(sandbox, #"SELECT count(*)::text FROM "Payment""#) == ["40"])
    }
}

/// The switches a test saw, from the server's threads.
private final class Switches: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [SandboxFaultSwitch] = []
    func append(_ change: SandboxFaultSwitch) { lock.withLock { seen.append(change) } }
    var all: [SandboxFaultSwitch] { lock.withLock { seen } }
}

/// A one-step runbook folder: the live webhook-secret probe, the step `wrong-secret` fails.
private func secretRunbooks() throws -> String {
    try temporaryRunbooks(["secret.yml": """
        version: 1
        id: secret
        title: Secret
        symptom: webhooks fail their signature check
        steps:
          - id: webhook-secret-match
            title: The deployed service holds our STRIPE_WEBHOOK_SECRET
            check: webhook-secret
            with: { mode: probe, url: "${API_URL}/api/webhooks/stripe" }
            thresholds: { warn: 1s, fail: 5s }
            timeout: 10s
            hint: Copy the endpoint's signing secret.
        """])
}

@Suite("Sandbox fault switch through the binary", .serialized)
struct SandboxFaultSwitchEndToEndTests {
    @Test("doctor watch turns ✗→✓ and exits 0 when doctor demo --lift-fault lifts wrong-secret from another process")
    func watchSeesTheLift() throws {
        let sandbox = Sandbox(fault: .wrongSecret)
        try sandbox.start()
        defer { sandbox.stop() }
        let runbooks = try secretRunbooks()
        defer { try? FileManager.default.removeItem(atPath: runbooks) }
        let watched = Box<Result<DoctorProcess.Output, any Error>>()
        let done = DispatchSemaphore(value: 0)
        let environment = sandbox.environment
        Thread.detachNewThread {
            watched.value = Result { try DoctorProcess.run(["watch", "secret", "--runbooks", runbooks, "--until-pass", "30s", "--interval", "1s"],
                                                           environment: environment) }
            done.signal()
        }
        Thread.sleep(forTimeInterval: 2)
        let lift = try DoctorProcess.run(["demo", "--lift-fault"], environment: environment)
        #expect(lift.exitCode == 0, "\(lift.stderr)")
        #expect(lift.stdout == "sandbox at \(sandbox.apiURL): fault wrong-secret lifted; the sandbox is healthy\n")
        #expect(done.wait(timeout: .now() + 40) == .success)
        let result = try #require(watched.value).get()
        #expect(result.exitCode == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("webhook-secret-match ✗→✓"), "\(result.stdout)")
        for secret in ["STRIPE_WEBHOOK_SECRET", "STRIPE_SECRET_KEY"] {
            #expect(!(lift.stdout + lift.stderr + result.stdout + result.stderr).contains(environment[secret]!))
        }
    }

    @Test("--lift-fault and --set-fault refuse what is not a served sandbox, unknown names and mixed flags, in one line")
    func refusals() throws {
        let plain = try HTTPServer { _ in ServerResponse(status: 404) }
        defer { plain.stop() }
        let notSandbox = try DoctorProcess.run(["demo", "--lift-fault"], environment: ["API_URL": "http://127.0.0.1:\(plain.port)"])
        #expect(notSandbox.exitCode == 3)
        #expect(notSandbox.stderr == "doctor: http://127.0.0.1:\(plain.port) is not a doctor sandbox (no /sandbox/fault route: HTTP 404)\n")
        let unset = try DoctorProcess.run(["demo", "--lift-fault"])
        #expect(unset.exitCode == 3 && unset.stderr.hasPrefix("doctor: API_URL is not set"), "\(unset.stderr)")
        // An API_URL from a .env may name the real service: nothing but loopback is ever asked.
        let remote = try DoctorProcess.run(["demo", "--lift-fault"], environment: ["API_URL": "https://payments.example.com"])
        #expect(remote.exitCode == 64 && remote.stderr.contains("loopback"), "\(remote.stderr)")
        let unknown = try DoctorProcess.run(["demo", "--set-fault", "wrong-secrte"], environment: ["API_URL": "http://127.0.0.1:9"])
        #expect(unknown.exitCode == 64 && unknown.stderr.contains(#"(did you mean "wrong-secret"?)"#), "\(unknown.stderr)")
        for arguments in [["demo", "--lift-fault", "--set-fault", "slow"], ["demo", "--lift-fault", "--serve"], ["demo", "--sandbox", "http://127.0.0.1:9"]] {
            let mixed = try DoctorProcess.run(arguments)
            #expect(mixed.exitCode == 64 && mixed.stderr.split(separator: "\n").count == 1, "\(arguments): \(mixed.stderr)")
        }
    }

    @Test("doctor demo --serve --fault wrong-secret: --lift-fault with its exports switches it, the served process says so, SIGTERM exits 0")
    func servedLift() throws {
        let served = try ServedSandbox(["--fault", "wrong-secret"])
        let exports = served.exports()
        #expect(served.text.contains("doctor demo --lift-fault"), "\(served.text)")
        let lift = try DoctorProcess.run(["demo", "--lift-fault"], environment: exports)
        #expect(lift.exitCode == 0 && lift.stdout.contains("fault wrong-secret lifted"), "\(lift.stdout)\(lift.stderr)")
        served.read(until: "UTC: healthy")
        #expect(served.text.range(of: #"sandbox: fault wrong-secret lifted at \d\d:\d\d:\d\d UTC: healthy"#, options: .regularExpression) != nil, "\(served.text)")
        #expect(served.terminate() == 0)
    }
}

/// A value handed back from another thread.
private final class Box<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value?
    var value: Value? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
