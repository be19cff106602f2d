import Foundation
import Testing
@testable import DoctorKit
import DoctorSandbox

/// The Render client against local servers answering in the documented shapes (api-facts section 3).
@Suite("Render API client", .serialized)
struct RenderClientTests {
    let key = "rnd_" + "Qx7Wv2Lm9Tz4Rb8Nc1Kd6Pf3Hs5Jg0Ay"

    func header(_ request: ServerRequest, _ name: String) -> String? {
        request.headers.first { $0.0.lowercased() == name }?.1
    }

    @Test("cursor pagination follows the last item's cursor until a short page, with Bearer auth on every page")
    func pagination() async throws {
        let authorized = Locked(0)
        let server = try HTTPServer { request in
            if self.header(request, "authorization") == "Bearer \(self.key)" { authorized.withLock { $0 += 1 } }
            let start = Int(request.query["cursor"]?.dropFirst(2) ?? "0") ?? 0
            let limit = Int(request.query["limit"] ?? "20") ?? 20
            let ids = Array(start..<min(start + limit, 45))
            let body = "[" + ids.map { #"{"cursor":"c-\#($0 + 1)","deploy":{"id":"dep-\#($0)","status":"deactivated"}}"# }.joined(separator: ",") + "]"
            return .json(200, body, headers: [("Ratelimit-Limit", "100"), ("Ratelimit-Remaining", "90")])
        }
        defer { server.stop() }
        let http = HTTPClient()
        defer { http.close() }
        let client = try RenderClient(key: key, base: "http://127.0.0.1:\(server.port)/v1", http: http)
        let listed = try await client.list("/services/srv-a/deploys", itemKey: "deploy", pageSize: 20, deadline: .now + .seconds(5))
        #expect(listed.items.count == 45)
        #expect(listed.items.last?.string("id") == "dep-44")
        #expect(!listed.hasMore)
        #expect(authorized.withLock { $0 } == 3)
    }

    @Test("Render's error bodies in plain words: 401 names the key, never its value; 404 the service")
    func errors() async throws {
        let server = try HTTPServer { request in
            request.path.contains("srv-missing")
                ? .json(404, #"{"id":"not-found","message":"service not found"}"#)
                : .json(401, #"{"id":"unauthorized","message":"unauthorized"}"#)
        }
        defer { server.stop() }
        let http = HTTPClient()
        defer { http.close() }
        let client = try RenderClient(key: key, base: "http://127.0.0.1:\(server.port)/v1", http: http)
        do {
            _ = try await client.get("/services/srv-a", deadline: .now + .seconds(5))
            Issue.record("no error")
        } catch {
            #expect(error.localizedDescription == "Render rejected RENDER_API_KEY (HTTP 401: unauthorized)")
            let outcome = RenderCheckSupport.outcome(for: error, service: "srv-a", evidence: Evidence())
            #expect(outcome.status == .unknown)
            #expect(outcome.hint?.contains("Account Settings → API Keys") == true)
        }
        do {
            _ = try await client.get("/services/srv-missing", deadline: .now + .seconds(5))
        } catch {
            let outcome = RenderCheckSupport.outcome(for: error, service: "srv-missing", evidence: Evidence())
            #expect(outcome.summary == "Render has no service srv-missing visible to this key (HTTP 404)")
            #expect(!"\(outcome)".contains(String(key.dropFirst(4).prefix(8))))
        }
    }

    @Test("a 429 is waited out once when Retry-After fits the deadline; paging stops before the budget runs out")
    func rateLimits() async throws {
        let calls = Locked(0)
        let server = try HTTPServer { request in
            let n = calls.withLock { $0 += 1; return $0 }
            if request.path.hasSuffix("/limited") {
                return n == 1 ? ServerResponse(status: 429, headers: [("Retry-After", "1")], body: Array(#"{"message":"rate limit exceeded"}"#.utf8))
                    : .json(200, #"{"id":"srv-a"}"#)
            }
            // Full pages with the budget nearly spent: the client must stop asking.
            let body = "[" + (0..<10).map { #"{"cursor":"c\#(n)-\#($0)","envVar":{"key":"K\#($0)","value":"v"}}"# }.joined(separator: ",") + "]"
            return .json(200, body, headers: [("Ratelimit-Limit", "100"), ("Ratelimit-Remaining", "3")])
        }
        defer { server.stop() }
        let http = HTTPClient()
        defer { http.close() }
        let client = try RenderClient(key: key, base: "http://127.0.0.1:\(server.port)/v1", http: http)
        let started = ContinuousClock.now
        let answer = try await client.get("/limited", deadline: .now + .seconds(5))
        #expect(answer.json.string("id") == "srv-a")
        #expect(answer.attempts == 2)
        #expect(ContinuousClock.now - started >= .seconds(1))
        await #expect(throws: RenderAPIError.budgetExhausted(remaining: 3)) {
            _ = try await client.list("/services/srv-a/env-vars", itemKey: "envVar", pageSize: 10, deadline: .now + .seconds(5))
        }
    }

    @Test("a steady climb is a fitted slope that explains the variance; noise and two points are not")
    func trend() {
        var climbing: [(x: Double, y: Double)] = []
        var flat: [(x: Double, y: Double)] = []
        for minute in 0..<60 {
            let t = Double(minute) * 60
            let noise = Double(minute % 5) - 2
            climbing.append((t, 180 + Double(minute) * 6 + noise * 3))
            flat.append((t, 150 + Double((minute * 37) % 11) - 5))
        }
        let fit = try! #require(Trend.fit(climbing))
        #expect(abs(fit.slopePerSecond * 3600 - 360) < 20)
        #expect(fit.rSquared > 0.95)
        #expect((Trend.fit(flat)?.rSquared ?? 0) < 0.3)
        #expect(Trend.fit([(0, 100), (60, 300)]) == nil)
    }

    @Test("deployed values are compared without showing either: same, differs, or which URL part differs")
    func comparison() {
        let same = RenderEnvCheck.Probe.compare("STRIPE_WEBHOOK_SECRET", deployed: "whsec_a", local: "whsec_a")
        #expect(same.text == "same as local" && same.problem == nil)
        let differs = RenderEnvCheck.Probe.compare("STRIPE_WEBHOOK_SECRET", deployed: "whsec_deployedvalue", local: "whsec_localvalue")
        #expect(differs.fails && differs.problem == "the deployed STRIPE_WEBHOOK_SECRET differs from the local one")
        let database = RenderEnvCheck.Probe.compare(
            "DATABASE_URL", deployed: "postgresql://app:s3cretA@db.internal:5432/payments",
            local: "postgresql://app:s3cretB@localhost:5432/payments")
        #expect(database.text == "differs from local (host, password)")
        #expect(!database.fails)
        #expect(!(database.problem ?? "").contains("s3cret"))
    }
}
