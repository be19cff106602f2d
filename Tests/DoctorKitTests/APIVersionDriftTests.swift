@testable import DoctorSandbox
import Foundation
import Testing
@testable import DoctorKit

/// stripe-endpoint warns when the endpoint's API version differs from the account's events' or from
/// the version the service's library pins (STRIPE_API_VERSION), naming both (issue 19, item 6).
@Suite("API version drift")
struct APIVersionDriftTests {
    let expected = "https://pay.onrender.com/api/webhooks/stripe"

    func endpoint(version: String?) -> StripeWebhookEndpoint {
        var fields: [(String, JSONValue)] = [("id", .string("we_1")), ("url", .string(expected)), ("status", .string("enabled")),
                                             ("enabled_events", .array([.string("*")])), ("livemode", .bool(false))]
        fields.append(("api_version", version.map { .string($0) } ?? .null))
        return StripeWebhookEndpoint(.object(fields))!
    }

    func judge(_ version: String?, events: String?, pinned: String?) throws -> CheckOutcome {
        let runbook = try RunbookLoader(registry: .standard).load(yaml: """
            version: 1
            id: e
            title: E
            symptom: test
            steps:
              - { id: endpoint, title: Endpoint, check: stripe-endpoint, with: { url: "\(expected)" } }
            """, file: "e.yml")
        let probe = try #require(runbook.steps[0].check as? StripeEndpointCheck.Probe)
        return probe.evaluate([endpoint(version: version)], expected: expected, mode: "test", evidence: Evidence(),
                              versions: .init(events: events, pinned: pinned))
    }

    @Test("agreeing versions pass; an endpoint pinned elsewhere, or a library pinned elsewhere, warns naming both")
    func drift() throws {
        #expect(try judge("2025-03-31.basil", events: "2025-03-31.basil", pinned: "2025-03-31.basil").status == .pass)
        #expect(try judge(nil, events: "2025-03-31.basil", pinned: nil).status == .pass)
        let endpointOld = try judge("2023-10-16", events: "2025-03-31.basil", pinned: nil)
        #expect(endpointOld.status == .warn)
        #expect(endpointOld.summary.contains("its API version 2023-10-16 differs from the account's events' 2025-03-31.basil"), "\(endpointOld.summary)")
        // No version of its own: the endpoint is sent the account's default, which the library does not pin.
        let library = try judge(nil, events: "2025-03-31.basil", pinned: "2024-06-20")
        #expect(library.status == .warn)
        #expect(library.summary.contains("it sends events as 2025-03-31.basil but STRIPE_API_VERSION (the service's library) pins 2024-06-20"), "\(library.summary)")
        #expect(library.evidence["pinned_api_version"] == .string("2024-06-20"))
        #expect(library.hint?.contains("API version") == true)
    }

    @Test("through the binary against the sandbox: STRIPE_API_VERSION unlike the account's version warns; the same version passes")
    func sandbox() throws {
        let sandbox = Sandbox()
        try sandbox.start()
        defer { sandbox.stop() }
        var environment = sandbox.environment
        environment["STRIPE_API_VERSION"] = "2020-08-27"
        let drifted = try DoctorProcess.run(["--check", "webhooks-not-arriving", "-v"], environment: environment)
        #expect(drifted.stdout.contains("but STRIPE_API_VERSION (the service's library) pins 2020-08-27"), "\(drifted.stdout)")
        #expect(drifted.stdout.contains("[!] Stripe has an enabled endpoint"), "\(drifted.stdout)")
        environment["STRIPE_API_VERSION"] = SandboxStripeAPI.apiVersion
        let agreeing = try DoctorProcess.run(["--check", "webhooks-not-arriving", "-v"], environment: environment)
        #expect(agreeing.stdout.contains("[✓] Stripe has an enabled endpoint"), "\(agreeing.stdout)")
    }
}
