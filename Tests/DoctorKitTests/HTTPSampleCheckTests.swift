import Foundation
import Testing
@testable import DoctorKit
import DoctorSandbox

/// The `http-sample` kind against local servers: success rate, failure classes, percentiles.
@Suite("HTTP sampling", .serialized)
struct HTTPSampleCheckTests {
    func check(_ yaml: String) throws -> any Check {
        let runbook = try RunbookLoader(registry: .standard).load(yaml: """
            version: 1
            id: sample
            title: Sample
            symptom: test
            steps:
              - id: probe
                title: Probe
                check: http-sample
            \(yaml)
            """, file: "sample.yml")
        return runbook.steps[0].check
    }

    func run(_ check: any Check, port: UInt16) async -> CheckOutcome {
        var configuration = Configuration()
        configuration.set("API_URL", "http://127.0.0.1:\(port)", origin: .process)
        let http = HTTPClient()
        defer { http.close() }
        return await check.run(in: CheckContext(configuration: configuration, http: http, readOnly: false,
                                                deadline: .now + check.timeout))
    }

    @Test("a URL that expands to something unusable is unknown and names the runbook line that wrote it")
    func unusableURLNamesItsLine() async throws {
        let sample = try check("""
                with: { url: "${API_URL}/api/health", samples: 2, interval: 100ms }
            """)
        var configuration = Configuration()
        configuration.set("API_URL", "ftp://[::1", origin: .process)
        let http = HTTPClient()
        defer { http.close() }
        let outcome = await sample.run(in: CheckContext(configuration: configuration, http: http, readOnly: false,
                                                        deadline: .now + sample.timeout))
        #expect(outcome.status == .unknown, "\(outcome.summary)")
        #expect(outcome.evidence["url_written_at"]?.text.hasPrefix("sample.yml:9:") == true, "\(outcome.evidence.entries)")
    }

    @Test("a healthy endpoint: every sample succeeds, percentiles and a breakdown are evidence")
    func healthy() async throws {
        let server = try HTTPServer { _ in .json(200, #"{"status":"ok"}"#) }
        defer { server.stop() }
        let outcome = await run(try check("    with: { url: \"${API_URL}/api/health\", samples: 5, interval: 100ms }"), port: server.port)
        #expect(outcome.status == .pass, "\(outcome.summary)")
        #expect(outcome.summary.hasPrefix("5 samples: 100% succeeded, p50 "))
        #expect(outcome.evidence["success_rate"] == .string("100.0%"))
        #expect(outcome.evidence["latency"]?["p90_ms"] != nil)
        #expect(outcome.evidence["median_breakdown_ms"]?["first_byte"] != nil)
    }

    @Test("one failure in four is a failing success rate with the failure classes counted")
    func flaky() async throws {
        let counter = Locked(0)
        let server = try HTTPServer { _ in
            let n = counter.withLock { $0 += 1; return $0 }
            if n % 4 == 0 { return ServerResponse(status: 502, text: "Bad Gateway") }
            if n % 4 == 2 { return ServerResponse(status: 429, headers: [("Retry-After", "30")], body: []) }
            return .json(200, "{}")
        }
        defer { server.stop() }
        // 1 of 8 failing already puts the rate under 95 %: the verdict is settled at the 429.
        let outcome = await run(try check("    with: { url: \"${API_URL}/api/health\", samples: 8, interval: 100ms }"), port: server.port)
        #expect(outcome.status == .fail)
        #expect(outcome.evidence["samples"] == .int(2), "\(outcome.summary)")
        #expect(outcome.evidence["success_rate"] == .string("50.0%"))
        #expect(outcome.evidence["failures"]?["429 rate limited"] == .int(1))
        #expect(outcome.evidence["retry_after"] == .string("30"))
        #expect(outcome.evidence["stopped_early"]?.text.contains("settled after 2 of 8 samples: 1 of 2 samples failed") == true)
        #expect(outcome.hint?.contains("100 requests per 60 s") == true)

        // With a looser rate band every class is seen before the verdict settles.
        counter.withLock { $0 = 0 }
        let loose = await run(try check("""
                with: { url: "${API_URL}/api/health", samples: 8, interval: 100ms, success_warn: 60%, success_fail: 10% }
            """), port: server.port)
        #expect(loose.evidence["failures"]?["502 server error"] == .int(2), "\(loose.summary)")
        #expect(loose.evidence["failures"]?["429 rate limited"] == .int(2))
        #expect(loose.status == .warn)
    }

    @Test("a service that takes 1.5 s a request gets its slow verdict within the sampling budget, with how many samples and why it stopped")
    func budgetOnASlowService() async throws {
        let server = try HTTPServer { _ in ServerResponse(status: 200, body: [], delay: .milliseconds(1500)) }
        defer { server.stop() }
        let sampler = try check("    with: { url: \"${API_URL}/api/health\", samples: 10, interval: 200ms }")
        let started = ContinuousClock.now
        let outcome = await run(sampler, port: server.port)
        let took = ContinuousClock.now - started
        #expect(outcome.status == .warn, "\(outcome.summary)")
        #expect(outcome.summary.contains("of 10 samples") && outcome.summary.contains("p90 over the 1.0s healthy threshold"), "\(outcome.summary) \(outcome.evidence.json.text)")
        #expect(took < .seconds(6), "sampling took \(took)")
        let taken = Int(outcome.evidence["samples"]?.text ?? "") ?? 0
        #expect((2...4).contains(taken), "\(taken) samples")
        #expect(outcome.evidence["planned"] == .int(10))
        #expect(outcome.evidence["stopped_early"]?.text.contains("5.0s sampling budget was reached after \(taken) of 10 samples") == true)
    }

    @Test("samples over the critical threshold settle the verdict before the planned number")
    func settledByLatency() async throws {
        let server = try HTTPServer { _ in ServerResponse(status: 200, body: [], delay: .milliseconds(350)) }
        defer { server.stop() }
        let outcome = await run(try check("""
                with: { url: "${API_URL}/api/health", samples: 10, interval: 100ms, budget: 30s }
                thresholds: { warn: 100ms, fail: 300ms }
            """), port: server.port)
        #expect(outcome.status == .fail, "\(outcome.summary)")
        // p90 of 10 is the second slowest: two samples over 300 ms settle it.
        #expect(outcome.evidence["samples"] == .int(2))
        #expect(outcome.evidence["stopped_early"]?.text.contains("2 samples over the 300ms critical threshold") == true)
        #expect(outcome.evidence["latency"]?["p99_ms"] != nil && outcome.evidence["latency"]?["p95_ms"] != nil)
        #expect(outcome.evidence["dominant_phase"] == .string("first_byte"))
        #expect(outcome.summary.contains("mostly waiting for the first byte"))
    }

    @Test("slow answers warn on the p90 latency")
    func slow() async throws {
        let server = try HTTPServer { _ in ServerResponse(status: 200, body: [], delay: .milliseconds(250)) }
        defer { server.stop() }
        let outcome = await run(try check("""
                with: { url: "${API_URL}/api/health", samples: 3, interval: 100ms }
                thresholds: { warn: 200ms, fail: 2s }
            """), port: server.port)
        #expect(outcome.status == .warn, "\(outcome.summary)")
        #expect(outcome.summary.contains("p90 over the 200ms healthy threshold"))
    }

    @Test("sampling stops early when the service's rate-limit budget runs low")
    func respectsRateLimitBudget() async throws {
        let counter = Locked(25)
        let server = try HTTPServer { _ in
            let remaining = counter.withLock { $0 -= 1; return $0 }
            return ServerResponse(status: 200, headers: [("RateLimit-Limit", "100"), ("RateLimit-Remaining", "\(remaining)")], body: [])
        }
        defer { server.stop() }
        let outcome = await run(try check("    with: { url: \"${API_URL}/api/health\", samples: 10, interval: 100ms }"), port: server.port)
        #expect(outcome.status == .pass)
        #expect(outcome.evidence["samples"] == .int(6), "\(outcome.summary)")
        #expect(outcome.evidence["stopped_early"]?.text.contains("RateLimit-Remaining was 19") == true)
    }

    @Test("bounds that protect the service's rate limit are enforced when the runbook loads")
    func bounds() throws {
        #expect(throws: RunbookError.self) { _ = try check("    with: { url: \"${API_URL}/\", samples: 100 }") }
        #expect(throws: RunbookError.self) { _ = try check("    with: { url: \"${API_URL}/\", interval: 10ms }") }
        #expect(throws: RunbookError.self) { _ = try check("    with: { url: \"${API_URL}/\", method: POST }") }
        #expect(throws: RunbookError.self) { _ = try check("    with: { url: \"${API_URL}/\", samples: 10 }\n    timeout: 2s") }
        #expect(throws: RunbookError.self) { _ = try check("    with: { url: \"${API_URL}/\", budget: 500ms }") }
    }
}
