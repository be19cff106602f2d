import Foundation
import Testing
@testable import DoctorKit
import DoctorSandbox

/// Builds a step of `kind` from YAML-free parts and runs it with `environment`.
private func runCheck(
    _ kind: any CheckKind.Type, with parameters: [(String, RunbookValue)] = [], thresholds: (warn: String?, fail: String?) = (nil, nil),
    environment: [String: String], readOnly: Bool = false
) async throws -> CheckOutcome {
    let check = try build(kind, with: parameters, thresholds: thresholds)
    var configuration = Configuration()
    for (name, value) in environment { configuration.set(name, value, origin: .sandbox) }
    let http = HTTPClient()
    defer { http.close() }
    let context = CheckContext(configuration: configuration, http: http, readOnly: readOnly, deadline: .now + check.timeout)
    return await check.run(in: context)
}

private let here = SourceLocation(file: "test.yml", line: 1, column: 1)

private func scalar(_ text: String) -> RunbookValue { .scalar(text, here, quoted: false) }

private func build(
    _ kind: any CheckKind.Type, with parameters: [(String, RunbookValue)], thresholds: (warn: String?, fail: String?) = (nil, nil)
) throws -> any Check {
    let mapping = RunbookValue.mapping(parameters.map { (key: $0.0, keyLocation: here, value: $0.1) }, here)
    let reader = try ParameterReader(parameters.isEmpty ? nil : mapping, at: here)
    let step = StepSettings(id: "t", warn: thresholds.warn.map(scalar), fail: thresholds.fail.map(scalar), timeout: nil,
                            timeoutLocation: here, location: here)
    let check = try kind.make(reader, step: step)
    try reader.finish(kind: kind.name)
    return check
}

private func startedSandbox(_ fault: SandboxFault? = nil) throws -> Sandbox {
    let sandbox = Sandbox(fault: fault)
    try sandbox.start()
    return sandbox
}

@Suite("Stripe checks", .serialized)
struct StripeChecksTests {
    // MARK: stripe-api

    @Test("stripe-api: the sandbox account answers with its id; no key skips with the reason; a wrong key fails without echoing it")
    func stripeAPI() async throws {
        let sandbox = try startedSandbox()
        defer { sandbox.stop() }
        let healthy = try await runCheck(StripeAPICheck.self, environment: sandbox.environment)
        #expect(healthy.status == .pass, "\(healthy.summary)")
        #expect(healthy.evidence["account_id"]?.text.hasPrefix("acct_") == true)
        #expect(healthy.evidence["request_id"]?.text.hasPrefix("req_") == true)

        var noKey = sandbox.environment
        noKey["STRIPE_SECRET_KEY"] = nil
        let skipped = try await runCheck(StripeAPICheck.self, environment: noKey)
        #expect(skipped.status == .skip && skipped.summary.contains("STRIPE_SECRET_KEY is not set"))

        var wrong = sandbox.environment
        let wrongKey = "sk_test_WRONGwrongWRONGwrong1234"
        wrong["STRIPE_SECRET_KEY"] = wrongKey
        let rejected = try await runCheck(StripeAPICheck.self, environment: wrong)
        #expect(rejected.status == .fail)
        #expect(rejected.summary.contains("Stripe rejected STRIPE_SECRET_KEY (sk_test_…1234)"))
        let everything = rejected.summary + (rejected.hint ?? "") + "\(rejected.evidence.json)"
        #expect(!everything.contains(wrongKey) && !everything.contains("WRONGwrong"))
        #expect(rejected.evidence["http_status"] == .int(401))
    }

    @Test("stripe-api: a 429 fails as rate limiting and names the missing Stripe-Should-Retry")
    func stripeAPIRateLimited() async throws {
        let sandbox = try startedSandbox(.stripeRateLimited)
        defer { sandbox.stop() }
        let outcome = try await runCheck(StripeAPICheck.self, environment: sandbox.environment)
        #expect(outcome.status == .fail)
        #expect(outcome.summary.contains("rate limited") && outcome.summary.contains("not retried"))
        #expect(outcome.evidence["attempts"] == .int(1))
        #expect(outcome.hint?.contains("exponential") == true)
    }

    // MARK: stripe-endpoint

    @Test("stripe-endpoint: each sandbox fault is named; the healthy endpoint passes")
    func endpointFaults() async throws {
        let cases: [(SandboxFault?, Status, String)] = [
            (nil, .pass, "is enabled at"),
            (.endpointMissing, .fail, "no webhook endpoint in test mode delivers to"),
            (.endpointDisabled, .fail, "is disabled"),
            (.wrongPath, .fail, "same host, other path /api/webhook"),
        ]
        for (fault, status, text) in cases {
            let sandbox = try startedSandbox(fault)
            defer { sandbox.stop() }
            let outcome = try await runCheck(
                StripeEndpointCheck.self, with: [("events", .sequence([scalar("payment_intent.succeeded")], here))],
                environment: sandbox.environment)
            #expect(outcome.status == status, "\(fault?.name ?? "healthy"): \(outcome.summary)")
            #expect(outcome.summary.contains(text), "\(fault?.name ?? "healthy"): \(outcome.summary)")
        }
    }

    @Test("stripe-endpoint: near-misses, events, duplicates and mode are judged from the listed endpoints")
    func endpointEvaluation() throws {
        let probe = try #require(try build(StripeEndpointCheck.self, with: [("events", .sequence([scalar("payment_intent.succeeded"), scalar("charge.refunded")], here))]) as? StripeEndpointCheck.Probe)
        let expected = "https://pay.onrender.com/api/webhooks/stripe"
        func endpoint(_ url: String, status: String = "enabled", events: [String] = ["*"], live: Bool = false, id: String = "we_1") -> StripeWebhookEndpoint {
            StripeWebhookEndpoint(.object([
                ("id", .string(id)), ("url", .string(url)), ("status", .string(status)),
                ("enabled_events", .array(events.map { .string($0) })), ("livemode", .bool(live)),
            ]))!
        }
        func judge(_ endpoints: [StripeWebhookEndpoint], mode: String = "test") -> CheckOutcome {
            probe.evaluate(endpoints, expected: expected, mode: mode, evidence: Evidence())
        }
        #expect(judge([endpoint(expected)]).status == .pass)
        #expect(judge([endpoint(expected + "/")]).summary.contains("a trailing slash"))
        #expect(judge([endpoint("http://pay.onrender.com/api/webhooks/stripe")]).summary.contains("http instead of https"))
        #expect(judge([endpoint("https://old.onrender.com/api/webhooks/stripe")]).summary.contains("same path, other host"))
        let partial = judge([endpoint(expected, events: ["payment_intent.*"])])
        #expect(partial.status == .fail && partial.summary.contains("not subscribed to charge.refunded"))
        #expect(!partial.summary.contains("payment_intent.succeeded"))
        #expect(judge([endpoint(expected, live: true)]).summary.contains("live-mode endpoint but STRIPE_SECRET_KEY is a test key"))
        let duplicated = judge([endpoint(expected, status: "disabled", id: "we_old"), endpoint(expected, id: "we_new")])
        #expect(duplicated.status == .warn && duplicated.evidence["endpoint_id"] == .string("we_new"))
        #expect(judge([]).summary.contains("0 endpoints listed"))
    }

    @Test("stripe-endpoint pages through every endpoint of the sandbox with a small page size")
    func sandboxPagination() async throws {
        let sandbox = try startedSandbox()
        defer { sandbox.stop() }
        let http = HTTPClient()
        defer { http.close() }
        var configuration = Configuration()
        for (name, value) in sandbox.environment { configuration.set(name, value, origin: .sandbox) }
        let client = try StripeClient(configuration: configuration, http: http)
        let list = try await client.list("/v1/webhook_endpoints", pageSize: 1, deadline: .now + .seconds(5))
        #expect(list.items.count == 3 && list.pages == 3)
        #expect(Set(list.items.compactMap { $0.string("id") }).count == 3)
        let events = try await client.list("/v1/events", query: [("created[gte]", String(Int(Date().timeIntervalSince1970) - 86_400))], pageSize: 3, deadline: .now + .seconds(5))
        #expect(events.items.count == 8, "the event from two days ago is outside the window")
        do {
            _ = try await client.get("/v1/events", query: [("bogus", "1")], deadline: .now + .seconds(5))
            Issue.record("an unknown parameter was accepted")
        } catch {
            guard case let .api(failure) = error else { Issue.record("unexpected \(error)"); return }
            #expect(failure.status == 400 && failure.code == "parameter_unknown" && failure.param == "bogus")
            #expect(failure.requestID?.hasPrefix("req_") == true)
        }
    }

    // MARK: stripe-deliveries

    @Test("stripe-deliveries: failing events are listed with a count and the API's limits; doctor probes are ignored")
    func deliveries() async throws {
        let failingSandbox = try startedSandbox(.deliveriesFailing)
        defer { failingSandbox.stop() }
        let failing = try await runCheck(StripeDeliveriesCheck.self, with: [("show", scalar("3"))], environment: failingSandbox.environment)
        #expect(failing.status == .fail, "\(failing.summary)")
        #expect(failing.summary.contains("6 of 8 events of the last 24h not delivered"))
        guard case let .array(listed)? = failing.evidence["events"] else { Issue.record("no events listed"); return }
        #expect(listed.count == 3 && failing.evidence["events_not_shown"] == .int(3))
        #expect(listed.allSatisfy { $0.text.hasPrefix("evt_") && $0.text.contains("pending_webhooks=1") })
        #expect(failing.evidence["note"]?.text.contains("no per-attempt response codes") == true)

        let healthySandbox = try startedSandbox()
        defer { healthySandbox.stop() }
        let healthy = try await runCheck(StripeDeliveriesCheck.self, environment: healthySandbox.environment)
        #expect(healthy.status == .pass && healthy.summary.contains("all 8 events"))

        let probe = try #require(try build(StripeDeliveriesCheck.self, with: []) as? StripeDeliveriesCheck.Probe)
        func event(_ id: String, _ type: String, pending: Int) -> StripeEvent {
            StripeEvent(.object([("id", .string(id)), ("type", .string(type)), ("created", .int(1_700_000_000)), ("pending_webhooks", .int(pending))]))!
        }
        let ours = [event("evt_doctor_probe_1", "doctor.probe", pending: 1)].filter { !$0.isDoctorProbe }
        let onlyProbes = probe.evaluate(failing: ours, failingTruncated: false, recent: ours, recentTruncated: false, evidence: Evidence())
        #expect(onlyProbes.status == .pass)
        // 1 of 150 failing is 99.3 %: healthy; 5 of 100 is 95 %: a warning; 6 of 100: critical.
        let ok = (0..<150).map { event("evt_\($0)", "charge.succeeded", pending: $0 == 0 ? 1 : 0) }
        #expect(probe.evaluate(failing: [ok[0]], failingTruncated: false, recent: ok, recentTruncated: false, evidence: Evidence()).status == .pass)
        let some = (0..<100).map { event("evt_\($0)", "charge.succeeded", pending: $0 < 5 ? 1 : 0) }
        #expect(probe.evaluate(failing: Array(some.prefix(5)), failingTruncated: false, recent: some, recentTruncated: false, evidence: Evidence()).status == .warn)
        let more = (0..<100).map { event("evt_\($0)", "charge.succeeded", pending: $0 < 6 ? 1 : 0) }
        #expect(probe.evaluate(failing: Array(more.prefix(6)), failingTruncated: false, recent: more, recentTruncated: false, evidence: Evidence()).status == .fail)
    }

    @Test("stripe-deliveries rejects a window beyond Stripe's 30 days when the runbook loads")
    func deliveriesWindow() {
        #expect(throws: RunbookError.self) { try build(StripeDeliveriesCheck.self, with: [("window", scalar("721h"))]) }
        #expect(throws: RunbookError.self) { try build(StripeDeliveriesCheck.self, with: [("window", scalar("24"))]) }
        #expect(throws: RunbookError.self) { try build(StripeEndpointCheck.self, with: [], thresholds: ("1s", nil)) }
        #expect(throws: RunbookError.self) { try build(WebhookSecretCheck.self, with: [("mode", scalar("capture"))]) }
        #expect(throws: RunbookError.self) { try build(WebhookSecretCheck.self, with: [("mode", scalar("guess"))]) }
    }

    // MARK: webhook-secret, live probe

    @Test("webhook-secret probe: match, mismatch, no verification, missing route; skipped under --read-only")
    func probe() async throws {
        let cases: [(SandboxFault?, Status, String)] = [
            (nil, .pass, "the secrets match"),
            (.wrongSecret, .fail, "rejected an event signed with STRIPE_WEBHOOK_SECRET: HTTP 400 Webhook Error: No signatures found matching"),
            (.noVerification, .fail, "does not verify Stripe signatures"),
            (.webhookMissing, .fail, "HTTP 404"),
        ]
        for (fault, status, text) in cases {
            let sandbox = try startedSandbox(fault)
            defer { sandbox.stop() }
            let outcome = try await runCheck(WebhookSecretCheck.self, environment: sandbox.environment)
            #expect(outcome.status == status, "\(fault?.name ?? "healthy"): \(outcome.summary)")
            #expect(outcome.summary.contains(text), "\(fault?.name ?? "healthy"): \(outcome.summary)")
            let secret = try #require(sandbox.environment["STRIPE_WEBHOOK_SECRET"])
            #expect(!"\(outcome.summary) \(outcome.evidence.json) \(outcome.hint ?? "")".contains(secret))
            #expect(outcome.evidence["event_id"]?.text.hasPrefix("evt_doctor_probe_") == true)
        }
        let sandbox = try startedSandbox()
        defer { sandbox.stop() }
        let readOnly = try await runCheck(WebhookSecretCheck.self, environment: sandbox.environment, readOnly: true)
        #expect(readOnly.status == .skip && readOnly.summary.contains("--read-only"))
    }
}
