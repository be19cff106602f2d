@testable import DoctorSandbox
import Foundation
import Testing
@testable import DoctorKit

/// `doctor replay` (issue 18, items 2 and 5): the dry run lists and sends nothing, `--confirm`
/// resends through the Stripe stand-in, the payment API writes the rows, and the session's note
/// and Stripe summary gain "Actions taken"; the stand-in's resend refuses what Stripe refuses.
@Suite("Replay")
struct ReplayTests {
    /// One state folder for every run of a test, so `replay` finds the session `--check` recorded.
    static func stateEnvironment(_ sandbox: Sandbox) throws -> [String: String] {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("doctor-replay-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        return sandbox.environment.merging(["XDG_STATE_HOME": state]) { $1 }
    }

    @Test("missing-db-records names the payments; the dry run lists them and sends nothing; --confirm --yes heals 3 of 3; the check then passes")
    func heals() throws {
        let sandbox = Sandbox(fault: .paymentsMissing)
        try sandbox.start()
        defer { sandbox.stop() }
        try #require(sandbox.startDatabase() == nil, "the replay test needs the sandbox's PostgreSQL")
        let environment = try Self.stateEnvironment(sandbox)
        let missing = SandboxPayments.missingIndexes.sorted().map { "pi_sandbox_\($0)" }

        let before = try DoctorProcess.run(["--check", "missing-db-records", "-v"], environment: environment)
        for id in missing { #expect(before.stdout.contains(id), "\(before.stdout)") }

        let dry = try DoctorProcess.run(["replay"], environment: environment)
        #expect(dry.exitCode == 0, "\(dry.stdout)\(dry.stderr)")
        for id in missing { #expect(dry.stdout.contains(id), "\(dry.stdout)") }
        #expect(dry.stdout.contains("payment_intent.succeeded"))
        #expect(dry.stdout.contains("within Stripe's 3-day automatic retries"), "\(dry.stdout)")
        #expect(dry.stdout.contains("/api/webhooks/stripe"))
        #expect(dry.stdout.contains("dry run: nothing sent"), "\(dry.stdout)")
        #expect(sandbox.resendCalls == 0)

        let confirmed = try DoctorProcess.run(["replay", "--confirm", "--yes"], environment: environment)
        #expect(confirmed.exitCode == 0, "\(confirmed.stdout)\(confirmed.stderr)")
        #expect(confirmed.stdout.contains("healed 3 of 3"), "\(confirmed.stdout)\(confirmed.stderr)")
        #expect(confirmed.stdout.contains("req_"))
        #expect(sandbox.resendCalls == 3)
        #expect(!confirmed.stdout.contains(environment["STRIPE_SECRET_KEY"]!) && !confirmed.stdout.contains(environment["STRIPE_WEBHOOK_SECRET"]!))

        let after = try DoctorProcess.run(["--check", "missing-db-records", "-v"], environment: environment)
        #expect(after.stdout.contains("all 30 succeeded payments"), "\(after.stdout)")
        #expect(after.exitCode == 0, "\(after.stdout)")

        // The replayed session's note and the Stripe summary list what was done.
        let store = SessionStore(environment: environment)
        let replayed = try #require(store.list().first { !$0.actions.isEmpty })
        #expect(replayed.actions.count == 3 && replayed.actions.allSatisfy(\.healed))
        let note = try String(contentsOfFile: store.notePath(of: replayed.info.id), encoding: .utf8)
        #expect(note.contains("## Actions taken") && note.contains("healed 3 of 3"), "\(note)")
        let escalation = try DoctorProcess.run(["escalate", "stripe", "--session", replayed.info.id], environment: environment)
        #expect(escalation.stdout.contains("Actions taken:"), "\(escalation.stdout)")
        for id in missing { #expect(escalation.stdout.contains(id)) }
        #expect(!note.contains(environment["STRIPE_SECRET_KEY"]!) && !note.contains(environment["STRIPE_WEBHOOK_SECRET"]!))
    }

    @Test("--confirm is refused under --read-only, without a terminal unless --yes, and with a live key unless --live; nothing is sent")
    func refusals() throws {
        let sandbox = Sandbox(fault: .paymentsMissing, chosen: .init(stripeKey: "sk_live_" + SandboxSecrets.random(24, from: SandboxSecrets.alphanumerics)))
        try sandbox.start()
        defer { sandbox.stop() }
        try #require(sandbox.startDatabase() == nil, "the replay test needs the sandbox's PostgreSQL")
        let environment = try Self.stateEnvironment(sandbox)
        _ = try DoctorProcess.run(["--check", "missing-db-records"], environment: environment)

        let readOnly = try DoctorProcess.run(["replay", "--confirm", "--yes", "--read-only"], environment: environment)
        #expect(readOnly.exitCode == 64 && readOnly.stderr.contains("--read-only"), "\(readOnly.stderr)")
        let noTerminal = try DoctorProcess.run(["replay", "--confirm"], environment: environment)
        #expect(noTerminal.exitCode == 64 && noTerminal.stderr.contains("--yes"), "\(noTerminal.stderr)")
        let live = try DoctorProcess.run(["replay", "--confirm", "--yes"], environment: environment)
        #expect(live.exitCode == 64 && live.stderr.contains("--live"), "\(live.stderr)")
        #expect(!live.stderr.contains(environment["STRIPE_SECRET_KEY"]!))
        #expect(sandbox.resendCalls == 0)
    }

    @Test("the stand-in's resend refuses an unknown or expired event (404), a missing or unknown webhook_endpoint (400), in Stripe's shape with a Request-Id")
    func standInRefusals() throws {
        let sandbox = Sandbox(fault: .paymentsMissing)
        try sandbox.start()
        defer { sandbox.stop() }
        let key = sandbox.environment["STRIPE_SECRET_KEY"]!
        func post(_ path: String, _ body: String) -> ServerResponse {
            sandbox.handle(ServerRequest(method: "POST", path: path, headers: [("Authorization", "Bearer \(key)")], body: Array(body.utf8)))
        }
        func text(_ response: ServerResponse) -> String { String(decoding: response.body, as: UTF8.self) }
        let unknown = post("/v1/events/evt_nope/retry", "webhook_endpoint=we_x")
        #expect(unknown.status == 404 && text(unknown).contains("No such notification: 'evt_nope'") && text(unknown).contains("resource_missing"))
        #expect(unknown.headers.contains { $0.0 == "Request-Id" && $0.1.hasPrefix("req_") })

        // An event of the week before exists; one older than 30 days answers as if unknown.
        let api = sandbox.api.stripe
        let old = SandboxStripeEvents.event("payment_intent.succeeded", created: Int(Date().timeIntervalSince1970) - 31 * 86_400, object: [])
        api.lock.withLock { api.events.append(old) }
        let expired = post("/v1/events/\(old.string("id")!)/retry", "webhook_endpoint=we_x")
        #expect(expired.status == 404 && text(expired).contains("No such notification"))

        let known = try #require(api.lock.withLock { api.events.first { $0.string("type") == "payment_intent.succeeded" } }?.string("id"))
        let missingParameter = post("/v1/events/\(known)/retry", "")
        #expect(missingParameter.status == 400 && text(missingParameter).contains("parameter_missing"))
        let unknownEndpoint = post("/v1/events/\(known)/retry", "webhook_endpoint=we_unknown")
        #expect(unknownEndpoint.status == 400 && text(unknownEndpoint).contains("we_unknown"))
    }
}
