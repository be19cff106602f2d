import Foundation
import Testing
@testable import DoctorKit
import DoctorSandbox

/// The Stripe steps of `webhooks-not-arriving` through the built binary, against the sandbox.
@Suite("Stripe end to end", .serialized)
struct StripeEndToEndTests {
    static let stripeSteps = [
        "[✓] The Stripe API answers and accepts STRIPE_SECRET_KEY: account acct_",
        "[✓] Stripe has an enabled endpoint at API_URL/api/webhooks/stripe for the handled events: endpoint we_",
        "[✓] Stripe delivered the last 24 hours of events: all 8 events of the last 24h were delivered",
        "[✓] The deployed service holds our STRIPE_WEBHOOK_SECRET (live probe): the service accepted an event signed with STRIPE_WEBHOOK_SECRET",
        "[-] A captured delivery verifies with STRIPE_WEBHOOK_SECRET (offline): skipped: no captured delivery given",
    ]

    @Test("the healthy sandbox passes every Stripe step: exit 0")
    func healthy() throws {
        let result = try DoctorProcess.run(["demo", "webhooks-not-arriving", "-v"])
        #expect(result.exitCode == 0, "\(result.stdout)\(result.stderr)")
        for line in Self.stripeSteps { #expect(result.stdout.contains(line), "missing: \(line)\n\(result.stdout)") }
    }

    @Test("each Stripe fault is found by its step, with exit 2 and a hint that says what to fix", arguments: [
        ("endpoint-missing", "[✗] Stripe has an enabled endpoint at API_URL/api/webhooks/stripe for the handled events: no webhook endpoint in test mode delivers to",
         "add an endpoint at http://127.0.0.1:"),
        ("endpoint-disabled", "[✗] Stripe has an enabled endpoint at API_URL/api/webhooks/stripe for the handled events: endpoint we_", "then enable we_"),
        ("wrong-path", "/api/webhook (same host, other path /api/webhook)", "so its URL is exactly http://127.0.0.1:"),
        ("deliveries-failing", "[✗] Stripe delivered the last 24 hours of events: 6 of 8 events of the last 24h not delivered (25.0% delivered)",
         "open the endpoint in Stripe Dashboard → Developers → Webhooks to see the response codes"),
        ("wrong-secret", "[✗] The deployed service holds our STRIPE_WEBHOOK_SECRET (live probe): the service rejected an event signed with STRIPE_WEBHOOK_SECRET: HTTP 400 Webhook Error: No signatures found matching the expected signature for payload",
         "copy the endpoint's signing secret"),
        ("no-verification", "[✗] The deployed service holds our STRIPE_WEBHOOK_SECRET (live probe): the endpoint accepted an event with a wrong signature (HTTP 200): it does not verify Stripe signatures",
         "Verify every request with stripe.webhooks.constructEvent"),
        ("stripe-rate-limited", "[✗] The Stripe API answers and accepts STRIPE_SECRET_KEY: Stripe rate limited the request (HTTP 429, rate_limit); not retried",
         "back off exponentially"),
    ])
    func fault(name: String, finding: String, hint: String) throws {
        let result = try DoctorProcess.run(["demo", "webhooks-not-arriving", "--fault", name])
        #expect(result.exitCode == 2, "\(name): \(result.stdout)")
        #expect(result.stdout.contains(finding), "\(name): \(result.stdout)")
        #expect(result.stdout.contains(hint), "\(name): \(result.stdout)")
        #expect(result.stdout.range(of: #"(sk|rk)_test_[A-Za-z0-9]{8,}"#, options: .regularExpression) == nil)
        #expect(result.stdout.range(of: #"whsec_[A-Za-z0-9]"#, options: .regularExpression) == nil)
    }

    @Test("--read-only skips the live probe with the reason; the endpoint and delivery checks still run")
    func readOnly() throws {
        let result = try DoctorProcess.run(["demo", "webhooks-not-arriving", "--read-only", "-v"])
        #expect(result.exitCode == 0, "\(result.stdout)")
        #expect(result.stdout.contains("[-] The deployed service holds our STRIPE_WEBHOOK_SECRET (live probe): skipped under --read-only"))
        #expect(result.stdout.contains("[✓] Stripe has an enabled endpoint"))
        #expect(result.stdout.contains("[✓] Stripe delivered the last 24 hours"))
    }

    @Test("--check with a captured delivery: a raw capture verifies, a re-serialised one is named; no secret or key in any output")
    func capture() throws {
        let sandbox = Sandbox()
        try sandbox.start()
        defer { sandbox.stop() }
        // The whole-path step (webhook-e2e) needs the database to pass.
        let database = sandbox.startDatabase()
        let environment = sandbox.environment
        let secret = try #require(environment["STRIPE_WEBHOOK_SECRET"])
        let key = try #require(environment["STRIPE_SECRET_KEY"])
        let body = "{\n  \"id\": \"evt_1E2E\",\n  \"object\": \"event\",\n  \"type\": \"payment_intent.succeeded\"\n}"
        let now = Int(Date().timeIntervalSince1970)
        let header = StripeSignature.header(secret: secret, timestamp: now, payload: Array(body.utf8))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("capture-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let raw = directory.appendingPathComponent("raw.txt")
        try "Stripe-Signature: \(header)\n\n\(body)".write(to: raw, atomically: true, encoding: .utf8)
        let compact = directory.appendingPathComponent("compact.txt")
        try "Stripe-Signature: \(header)\n\n{\"id\":\"evt_1E2E\",\"object\":\"event\",\"type\":\"payment_intent.succeeded\"}".write(to: compact, atomically: true, encoding: .utf8)

        var env = environment
        env["DOCTOR_WEBHOOK_CAPTURE"] = raw.path
        let good = try DoctorProcess.run(["--check", "webhooks-not-arriving", "--format", "json"], environment: env)
        #expect(good.exitCode == 0 || database != nil, "\(good.stdout)\(good.stderr)")
        #expect(good.stdout.contains("the captured delivery verifies with STRIPE_WEBHOOK_SECRET"))
        #expect(good.stdout.contains("STRIPE_API_BASE overridden to http://127.0.0.1:"), "the override is announced")

        env["DOCTOR_WEBHOOK_CAPTURE"] = compact.path
        let bad = try DoctorProcess.run(["--check", "webhooks-not-arriving"], environment: env)
        #expect(bad.exitCode == 2)
        #expect(bad.stdout.contains("[✗] A captured delivery verifies with STRIPE_WEBHOOK_SECRET (offline): the body was re-serialised"))

        env["STRIPE_SECRET_KEY"] = "sk_test_REJECTEDrejectedREJECTED9876"
        let rejected = try DoctorProcess.run(["--check", "webhooks-not-arriving", "--verbose"], environment: env)
        #expect(rejected.exitCode == 2)
        #expect(rejected.stdout.contains("Stripe rejected STRIPE_SECRET_KEY (sk_test_…9876): Invalid API Key provided"))
        for output in [good, bad, rejected].map({ $0.stdout + $0.stderr }) {
            #expect(!output.contains(secret))
            #expect(!output.contains(key))
            #expect(!output.contains("REJECTEDrejected"))
        }
    }
}
