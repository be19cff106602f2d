import Foundation
import Testing
@testable import DoctorKit
import DoctorSandbox

/// A local stand-in for the Stripe API that answers from a script and records what it was asked.
private final class ScriptedStripe: @unchecked Sendable {
    let requests = Locked<[ServerRequest]>([])
    let server: HTTPServer

    init(_ answer: @escaping @Sendable (Int, ServerRequest) -> ServerResponse) throws {
        let requests = self.requests
        server = try HTTPServer { request in
            let index = requests.withLock { list -> Int in
                list.append(request)
                return list.count - 1
            }
            return answer(index, request)
        }
    }

    var base: String { "http://127.0.0.1:\(server.port)" }
    var count: Int { requests.withLock { $0.count } }
    deinit { server.stop() }
}

private let testKey = "sk_test_51TESTabcdefghijklmnopqrstuvwxyz0123456789KEYZ"

private func client(_ base: String, http: HTTPClient, delays: Locked<[Duration]>? = nil) throws -> StripeClient {
    var client = try StripeClient(key: testKey, base: base, http: http)
    client.jitter = { 1 }
    client.sleep = { delay in delays?.withLock { $0.append(delay) } }
    return client
}

private func stripeError(_ status: Int, type: String, code: String? = nil, message: String, headers: [(String, String)] = []) -> ServerResponse {
    let codePart = code.map { #","code":"\#($0)""# } ?? ""
    return .json(status, #"{"error":{"type":"\#(type)"\#(codePart),"message":"\#(message)"}}"#,
                 headers: [("Request-Id", "req_err\(status)")] + headers)
}

private func soon(_ seconds: Double = 10) -> ContinuousClock.Instant { .now + .milliseconds(Int64(seconds * 1000)) }

@Suite("StripeClient", .serialized)
struct StripeClientTests {
    @Test("sends the key as Bearer auth, never in the URL, and keeps the Request-Id")
    func bearerAndRequestID() async throws {
        let stripe = try ScriptedStripe { _, _ in .json(200, #"{"id":"acct_1","object":"account"}"#, headers: [("Request-Id", "req_abc123")]) }
        let http = HTTPClient()
        defer { http.close() }
        let response = try await client(stripe.base, http: http).get("/v1/account", deadline: soon())
        #expect(response.requestID == "req_abc123")
        #expect(response.json.string("id") == "acct_1")
        let request = try #require(stripe.requests.withLock { $0.first })
        #expect(request.header("Authorization") == "Bearer \(testKey)")
        #expect(!request.path.contains(testKey) && !request.queryItems.contains { $0.1.contains(testKey) })
    }

    @Test("follows has_more with starting_after until the list ends, keeping every page's Request-Id")
    func pagination() async throws {
        let ids = (1...5).map { "we_\($0)" }
        let stripe = try ScriptedStripe { index, request in
            let limit = Int(request.query["limit"] ?? "10")!
            var rest = ids
            if let after = request.query["starting_after"], let at = ids.firstIndex(of: after) { rest = Array(ids[(at + 1)...]) }
            let page = rest.prefix(limit).map { #"{"id":"\#($0)","object":"webhook_endpoint","url":"https://x.test/\#($0)"}"# }
            return .json(200, #"{"object":"list","url":"/v1/webhook_endpoints","has_more":\#(rest.count > limit),"data":[\#(page.joined(separator: ","))]}"#,
                         headers: [("Request-Id", "req_page\(index)")])
        }
        let http = HTTPClient()
        defer { http.close() }
        let list = try await client(stripe.base, http: http).list("/v1/webhook_endpoints", pageSize: 2, deadline: soon())
        #expect(list.items.compactMap { $0.string("id") } == ids)
        #expect(list.pages == 3)
        #expect(list.requestIDs == ["req_page0", "req_page1", "req_page2"])
        #expect(!list.hasMore)
        #expect(stripe.requests.withLock { $0.map { $0.query["starting_after"] } } == [nil, "we_2", "we_4"])

        let capped = try await client(stripe.base, http: http).list("/v1/webhook_endpoints", pageSize: 2, maxItems: 3, deadline: soon())
        #expect(capped.items.count == 3 && capped.hasMore)
    }

    @Test("a 429 is not retried unless Stripe-Should-Retry says true")
    func rateLimitNotRetried() async throws {
        let stripe = try ScriptedStripe { _, _ in
            stripeError(429, type: "invalid_request_error", code: "rate_limit", message: "Too many requests hit the API too quickly.")
        }
        let http = HTTPClient()
        defer { http.close() }
        do {
            _ = try await client(stripe.base, http: http).get("/v1/account", deadline: soon())
            Issue.record("a 429 was taken for success")
        } catch {
            guard case let .api(failure)? = error as? StripeAPIError else { Issue.record("unexpected \(error)"); return }
            #expect(failure.status == 429 && failure.isRateLimit && failure.attempts == 1)
            #expect(failure.requestID == "req_err429")
        }
        #expect(stripe.count == 1)

        let told = try ScriptedStripe { index, _ in
            index < 2 ? stripeError(429, type: "invalid_request_error", code: "lock_timeout", message: "busy", headers: [("Stripe-Should-Retry", "true")])
                : .json(200, #"{"id":"acct_1","object":"account"}"#)
        }
        let delays = Locked<[Duration]>([])
        let response = try await client(told.base, http: http, delays: delays).get("/v1/account", deadline: soon())
        #expect(response.attempts == 3)
        #expect(delays.withLock { $0 } == [.milliseconds(500), .seconds(1)])
    }

    @Test("5xx and 409 are retried at most twice with backoff; Stripe-Should-Retry: false stops it; 400 is not retried")
    func serverErrorsRetried() async throws {
        let http = HTTPClient()
        defer { http.close() }
        let failing = try ScriptedStripe { _, _ in stripeError(500, type: "api_error", message: "An unknown error occurred") }
        let delays = Locked<[Duration]>([])
        do {
            _ = try await client(failing.base, http: http, delays: delays).get("/v1/account", deadline: soon())
            Issue.record("a 500 was taken for success")
        } catch {
            guard case let .api(failure)? = error as? StripeAPIError else { Issue.record("unexpected \(error)"); return }
            #expect(failure.attempts == 3 && failure.errorClass == "APIError")
        }
        #expect(failing.count == 3)
        #expect(delays.withLock { $0 } == [.milliseconds(500), .seconds(1)])

        let conflict = try ScriptedStripe { index, _ in
            index == 0 ? stripeError(409, type: "invalid_request_error", message: "conflict") : .json(200, #"{"object":"account"}"#)
        }
        #expect(try await client(conflict.base, http: http).get("/v1/account", deadline: soon()).attempts == 2)

        let refused = try ScriptedStripe { _, _ in stripeError(503, type: "api_error", message: "down", headers: [("Stripe-Should-Retry", "false")]) }
        _ = try? await client(refused.base, http: http).get("/v1/account", deadline: soon())
        #expect(refused.count == 1)

        let invalid = try ScriptedStripe { _, _ in stripeError(400, type: "invalid_request_error", code: "parameter_unknown", message: "Received unknown parameter: x") }
        _ = try? await client(invalid.base, http: http).get("/v1/account", deadline: soon())
        #expect(invalid.count == 1)
    }

    @Test("a connection error is retried; retries stop at the step's deadline")
    func connectionErrorsAndDeadline() async throws {
        let http = HTTPClient()
        defer { http.close() }
        let port = try closedLoopbackPort()
        let delays = Locked<[Duration]>([])
        do {
            _ = try await client("http://127.0.0.1:\(port)", http: http, delays: delays).get("/v1/account", deadline: soon())
            Issue.record("a closed port answered")
        } catch {
            guard case let .transport(httpError, attempts)? = error as? StripeAPIError else { Issue.record("unexpected \(error)"); return }
            #expect(attempts == 3)
            if case .connectionRefused = httpError {} else { Issue.record("expected connection refused, got \(httpError)") }
        }

        // With real sleeps and 300 ms left, a 0.5 s backoff does not fit: one attempt, and an answer in time.
        let failing = try ScriptedStripe { _, _ in stripeError(500, type: "api_error", message: "boom") }
        let real = try StripeClient(key: testKey, base: failing.base, http: http)
        let start = ContinuousClock.now
        _ = try? await real.get("/v1/account", deadline: .now + .milliseconds(300))
        // Under 500 ms: a 0.5 s backoff sleep would go over it; one attempt is also counted below.
        #expect(ContinuousClock.now - start < .milliseconds(500))
        #expect(failing.count == 1)
    }

    @Test("backoff: 0.5 s doubling, jitter down to half but never under 0.5 s, capped at 5 s, a reasonable Retry-After honoured")
    func backoff() {
        let policy = StripeRetryPolicy()
        #expect(policy.delay(beforeRetry: 1, jitter: 1) == .milliseconds(500))
        #expect(policy.delay(beforeRetry: 2, jitter: 1) == .seconds(1))
        #expect(policy.delay(beforeRetry: 2, jitter: 0.5) == .milliseconds(500))
        #expect(policy.delay(beforeRetry: 1, jitter: 0.5) == .milliseconds(500))
        #expect(policy.delay(beforeRetry: 8, jitter: 1) == .seconds(5))
        #expect(policy.delay(beforeRetry: 1, jitter: 1, retryAfter: "2") == .seconds(2))
        #expect(policy.delay(beforeRetry: 1, jitter: 1, retryAfter: "120") == .milliseconds(500))
        #expect(!policy.shouldRetry(status: 429, shouldRetryHeader: nil, retries: 0))
        #expect(policy.shouldRetry(status: 429, shouldRetryHeader: "true", retries: 0))
        #expect(!policy.shouldRetry(status: 500, shouldRetryHeader: "false", retries: 0))
        #expect(!policy.shouldRetry(status: 500, shouldRetryHeader: nil, retries: 2))
        #expect(!policy.shouldRetry(after: .tls("bad certificate"), retries: 0))
    }

    @Test("a rejected key: the error says so without the key, even when the body echoes it")
    func rejectedKeyNeverEchoed() async throws {
        let stripe = try ScriptedStripe { _, request in
            let given = request.header("Authorization")?.replacingOccurrences(of: "Bearer ", with: "") ?? ""
            return stripeError(401, type: "invalid_request_error", message: "Invalid API Key provided: \(given)")
        }
        let http = HTTPClient()
        defer { http.close() }
        do {
            _ = try await client(stripe.base, http: http).get("/v1/account", deadline: soon())
            Issue.record("a 401 was taken for success")
        } catch {
            let text = error.localizedDescription
            #expect(!text.contains(testKey))
            #expect(!text.contains("abcdefghijklmnop"))
            #expect(text.contains("sk_test_…KEYZ"))
            #expect(text.contains("HTTP 401"))
            guard case let .api(failure)? = error as? StripeAPIError else { Issue.record("unexpected \(error)"); return }
            #expect(failure.errorClass == "AuthenticationError")
        }
    }

    @Test("an answer that is not a Stripe object is named as such; a bad base URL is refused before any request")
    func invalidAnswers() async throws {
        let proxy = try ScriptedStripe { _, _ in ServerResponse(status: 502, text: "<html>Bad Gateway</html>", contentType: "text/html") }
        let http = HTTPClient()
        defer { http.close() }
        var noRetry = try client(proxy.base, http: http)
        noRetry.retryPolicy.maxRetries = 0
        do {
            _ = try await noRetry.get("/v1/account", deadline: soon())
        } catch {
            guard case let .invalidResponse(status, _, detail) = error else { Issue.record("unexpected \(error)"); return }
            #expect(status == 502 && detail.contains("Bad Gateway"))
        }
        #expect(throws: StripeAPIError.invalidBase("api.stripe.com")) { try StripeClient(key: testKey, base: "api.stripe.com", http: http) }
        #expect(StripeClient.encode([("created[gte]", "17"), ("delivery_success", "false")]) == "?created%5Bgte%5D=17&delivery_success=false")
    }
}
