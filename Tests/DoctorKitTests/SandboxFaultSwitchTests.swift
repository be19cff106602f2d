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
