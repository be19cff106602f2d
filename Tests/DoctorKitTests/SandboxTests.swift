import DoctorKit
import DoctorSandbox
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("Sandbox payment API")
struct SandboxTests {
    private func started(_ fault: SandboxFault? = nil) throws -> Sandbox {
        let sandbox = Sandbox(fault: fault)
        try sandbox.start()
        return sandbox
    }

    private func signedPost(_ sandbox: Sandbox, secret: String? = nil, body: String = #"{"id":"evt_doctor_probe","type":"doctor.probe","livemode":false}"#) -> RawResult {
        let secret = secret ?? sandbox.environment["STRIPE_WEBHOOK_SECRET"]!
        let bytes = Array(body.utf8)
        let header = StripeSignature.header(secret: secret, timestamp: Int(Date().timeIntervalSince1970), payload: bytes)
        return RawHTTP.send(port: sandbox.port, method: "POST", path: "/api/webhooks/stripe",
                            headers: [("Content-Type", "application/json"), ("Stripe-Signature", header)], body: bytes)
    }

    @Test("health answers 200 with the service's JSON")
    func health() throws {
        let sandbox = try started()
        let response = try #require(RawHTTP.send(port: sandbox.port, path: "/api/health").response)
        #expect(response.status == 200)
        #expect(response.header("content-type")?.hasPrefix("application/json") == true)
        #expect(response.body.hasPrefix(#"{"status":"ok","service":"payments-api","uptime":"#))
        #expect(sandbox.apiURL == "http://127.0.0.1:\(sandbox.port)")
        let head = try #require(RawHTTP.send(port: sandbox.port, method: "HEAD", path: "/api/health").response)
        #expect(head.status == 200 && head.body.isEmpty && head.header("Content-Length") != "0")
    }

    @Test("a delivery signed with STRIPE_WEBHOOK_SECRET is accepted")
    func validWebhook() throws {
        let sandbox = try started()
        let response = try #require(signedPost(sandbox).response)
        #expect(response.status == 200)
        #expect(response.body == #"{"received":true}"#)
    }

    @Test("missing or bad signatures get 400 with Stripe's message")
    func rejectedWebhooks() throws {
        let sandbox = try started()
        let missing = try #require(RawHTTP.send(port: sandbox.port, method: "POST", path: "/api/webhooks/stripe", body: Array("{}".utf8)).response)
        #expect(missing.status == 400)
        #expect(missing.body == "Webhook Error: No stripe-signature header value was provided.")
        let forged = try #require(signedPost(sandbox, secret: "whsec_not_the_right_one").response)
        #expect(forged.status == 400)
        #expect(forged.body == "Webhook Error: No signatures found matching the expected signature for payload")
        let secret = try #require(sandbox.environment["STRIPE_WEBHOOK_SECRET"])
        for response in [missing, forged] {
            #expect(!response.body.contains(secret) && !response.headers.contains { $0.1.contains(secret) })
        }
        let get = try #require(RawHTTP.send(port: sandbox.port, path: "/api/webhooks/stripe").response)
        #expect(get.status == 405)
    }

    @Test("wrong-secret: our correctly signed delivery is refused")
    func wrongSecret() throws {
        let sandbox = try started(.wrongSecret)
        let response = try #require(signedPost(sandbox).response)
        #expect(response.status == 400)
        #expect(response.body.contains("No signatures found matching the expected signature"))
    }

    @Test("no-verification: a forged signature is accepted")
    func noVerification() throws {
        let sandbox = try started(.noVerification)
        let response = try #require(signedPost(sandbox, secret: "whsec_forged").response)
        #expect(response.status == 200)
    }

    @Test("unknown routes get Express's 404 wording; webhook-missing unmounts the webhook")
    func notFound() throws {
        let sandbox = try started()
        let unknown = try #require(RawHTTP.send(port: sandbox.port, path: "/api/nothing?x=1").response)
        #expect(unknown.status == 404)
        #expect(unknown.body == "Cannot GET /api/nothing")
        let missing = try started(.webhookMissing)
        let webhook = try #require(signedPost(missing).response)
        #expect(webhook.status == 404)
        #expect(webhook.body == "Cannot POST /api/webhooks/stripe")
    }

    @Test("api-down: health answers 503 with the database disconnected")
    func apiDown() throws {
        let sandbox = try started(.apiDown)
        let response = try #require(RawHTTP.send(port: sandbox.port, path: "/api/health").response)
        #expect(response.status == 503)
        #expect(response.body == #"{"status":"error","database":"disconnected"}"#)
    }

    @Test("hang: nothing answers within 1 s, and stop() is prompt with the connection open")
    func hang() throws {
        let sandbox = try started(.hang)
        let port = sandbox.port
        let result = RawHTTP.send(port: port, path: "/api/health", timeout: 1)
        #expect(result.isTimeout)
        // A second client left hanging in the background while the sandbox stops.
        let client = Thread { _ = RawHTTP.send(port: port, path: "/api/health", timeout: 10) }
        client.start()
        Thread.sleep(forTimeInterval: 0.2)
        let clock = ContinuousClock()
        let elapsed = clock.measure { sandbox.stop() }
        #expect(elapsed < .seconds(1))
        #expect(RawHTTP.send(port: port, path: "/api/health", timeout: 1).isRefused)
    }

    @Test("slow: health takes at least 1.5 s")
    func slow() throws {
        let sandbox = try started(.slow)
        let clock = ContinuousClock()
        var response: RawResponse?
        let elapsed = clock.measure { response = RawHTTP.send(port: sandbox.port, path: "/api/health").response }
        #expect(response?.status == 200)
        #expect(elapsed >= .milliseconds(1500))
    }

    @Test("the rate limit lets 100 requests through and refuses the 101st")
    func rateLimit() throws {
        let sandbox = try started()
        for index in 1...100 {
            let response = try #require(RawHTTP.send(port: sandbox.port, path: "/api/health").response)
            try #require(response.status == 200, "request \(index)")
            if index == 100 { #expect(response.header("RateLimit-Remaining") == "0") }
        }
        let refused = try #require(RawHTTP.send(port: sandbox.port, path: "/api/health").response)
        #expect(refused.status == 429)
        #expect(refused.body == #"{"error":"Rate limit exceeded"}"#)
        #expect(Int(refused.header("Retry-After") ?? "") ?? 0 > 0)
        #expect(refused.header("RateLimit-Limit") == "100")
    }

    @Test("rate-limited: every request gets 429 with Retry-After: 60")
    func rateLimitedFault() throws {
        let sandbox = try started(.rateLimited)
        let response = try #require(RawHTTP.send(port: sandbox.port, path: "/api/health").response)
        #expect(response.status == 429)
        #expect(response.header("retry-after") == "60")
    }

    @Test("two sandboxes run at once on different free ports with different secrets")
    func twoSandboxes() throws {
        let first = try started()
        let second = try started()
        #expect(first.port != 0 && second.port != 0 && first.port != second.port)
        #expect(RawHTTP.send(port: first.port, path: "/api/health").response?.status == 200)
        #expect(RawHTTP.send(port: second.port, path: "/api/health").response?.status == 200)
        let a = first.environment, b = second.environment
        for name in ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "DATABASE_URL", "SENTRY_DSN"] {
            #expect(a[name] != b[name], "\(name) is the same in two sandboxes")
        }
        #expect(a["STRIPE_SECRET_KEY"]?.hasPrefix("sk_test_") == true && a["STRIPE_SECRET_KEY"]?.count == 32)
        #expect(a["STRIPE_WEBHOOK_SECRET"]?.hasPrefix("whsec_") == true)
        #expect(a["DATABASE_URL"]?.hasPrefix("postgresql://payments:") == true)
        #expect(a["DATABASE_URL"]?.hasSuffix("/payments?schema=public&connection_limit=5") == true)
        #expect(a["RENDER_SERVICE_ID"]?.hasPrefix("srv-sandbox") == true)
        #expect(a["API_URL"] == first.apiURL)
        #expect(a["REDIS_URL"] == nil)
        // The webhook secret of one sandbox does not sign for the other.
        #expect(signedPost(second, secret: a["STRIPE_WEBHOOK_SECRET"]).response?.status == 400)
    }

    @Test("every fault has a name users can type and a one-line summary")
    func faults() {
        #expect(SandboxFault.all.map(\.name) == [
            "api-down", "slow", "hang", "wrong-secret", "webhook-missing", "no-verification", "rate-limited",
            "endpoint-missing", "endpoint-disabled", "wrong-path", "deliveries-failing", "stripe-rate-limited", "flaky",
            "db-down", "payments-missing", "deploy-failed", "env-missing", "env-secret-differs", "memory-climb", "suspended", "notifications-off",
            "unhandled-events", "db-errors-in-logs", "cold-start", "dispute-spike", "reconciliation-stale", "error-spike", "duplicate-payment", "audit-short",
            "clock-skew", "status-mismatch", "migration-failed", "events-not-recorded",
        ])
        for fault in SandboxFault.all {
            #expect(SandboxFault(name: fault.name) == fault)
            #expect(!fault.summary.isEmpty && !fault.summary.contains("\n"))
        }
        #expect(SandboxFault(name: "nope") == nil)
    }
}

@Suite("Embedded HTTP server")
struct HTTPServerTests {
    @Test("parses method, path, query, case-insensitive headers and body")
    func parsesRequests() throws {
        let server = try HTTPServer { request in
            let summary = [
                request.method, request.path, request.query["q"] ?? "-", request.header("x-probe") ?? "-",
                String(decoding: request.body, as: UTF8.self),
            ].joined(separator: "|")
            return ServerResponse(status: 200, text: summary)
        }
        let response = try #require(RawHTTP.send(
            port: server.port, method: "POST", path: "/a%20b?q=one+two&z", headers: [("X-PROBE", "yes")],
            body: Array("hello".utf8)).response)
        #expect(response.body == "POST|/a b|one two|yes|hello")
        #expect(response.header("connection") == "close")
        #expect(response.header("content-length") == "\(response.body.utf8.count)")
    }

    @Test("chunked bodies and Expect: 100-continue are understood")
    func chunkedAndContinue() throws {
        let server = try HTTPServer { ServerResponse(status: 200, text: String(decoding: $0.body, as: UTF8.self)) }
        let chunked = RawHTTP.sendRaw(port: server.port, Array(
            "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n".utf8))
        #expect(chunked.response?.body == "hello world")
        let expect = RawHTTP.sendRaw(port: server.port, Array(
            "POST /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok".utf8))
        #expect(expect.response?.body == "ok")
    }

    @Test("curl talks to it, 5 kB body included")
    func curl() throws {
        let server = try HTTPServer { ServerResponse(status: 201, text: "got \($0.body.count)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-sS", "--max-time", "5", "-w", " %{http_code}", "--data-binary", String(repeating: "x", count: 5000),
                             "http://127.0.0.1:\(server.port)/upload"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(text == "got 5000 201")
    }

    @Test("bodies over 1 MiB get 413")
    func tooLarge() throws {
        let server = try HTTPServer { _ in ServerResponse(status: 200) }
        let body = [UInt8](repeating: 0x61, count: HTTPServer.maxBodyBytes + 1)
        #expect(RawHTTP.send(port: server.port, method: "POST", path: "/", body: body).response?.status == 413)
        let exact = [UInt8](repeating: 0x61, count: HTTPServer.maxBodyBytes)
        #expect(RawHTTP.send(port: server.port, method: "POST", path: "/", body: exact).response?.status == 200)
    }

    @Test("malformed requests get 400")
    func malformed() throws {
        let server = try HTTPServer { _ in ServerResponse(status: 200) }
        #expect(RawHTTP.sendRaw(port: server.port, Array("NONSENSE\r\n\r\n".utf8)).response?.status == 400)
        #expect(RawHTTP.sendRaw(port: server.port, Array("GET / HTTP/1.1\r\nbroken header\r\n\r\n".utf8)).response?.status == 400)
    }

    @Test("close and garbage behaviours misbehave as asked")
    func misbehaviours() throws {
        let server = try HTTPServer { request in
            ServerResponse(status: 200, behaviour: request.path == "/close" ? .close : .garbage)
        }
        #expect(RawHTTP.send(port: server.port, path: "/close").isClosedWithoutAnswer)
        let garbage = RawHTTP.send(port: server.port, path: "/garbage")
        guard case .garbage(let bytes) = garbage else {
            Issue.record("expected non-HTTP bytes, got \(garbage)")
            return
        }
        #expect(!bytes.isEmpty && !bytes.starts(with: Array("HTTP/".utf8)))
    }

    @Test("a delay is served, and stop() cuts it short")
    func delay() throws {
        let server = try HTTPServer { _ in ServerResponse(status: 200, delay: .milliseconds(300)) }
        let clock = ContinuousClock()
        let elapsed = clock.measure { #expect(RawHTTP.send(port: server.port, path: "/").response?.status == 200) }
        #expect(elapsed >= .milliseconds(300))
        let long = try HTTPServer { _ in ServerResponse(status: 200, delay: .seconds(30)) }
        let port = long.port
        Thread { _ = RawHTTP.send(port: port, path: "/", timeout: 10) }.start()
        Thread.sleep(forTimeInterval: 0.2)
        #expect(clock.measure { long.stop() } < .seconds(1))
        long.stop()  // idempotent
    }

    @Test("a port in use is reported with the system's reason")
    func portInUse() throws {
        let server = try HTTPServer { _ in ServerResponse(status: 200) }
        #expect(throws: HTTPServerError.self) { _ = try HTTPServer(port: server.port) { _ in ServerResponse(status: 200) } }
        do {
            _ = try HTTPServer(port: server.port) { _ in ServerResponse(status: 200) }
        } catch {
            #expect(error.localizedDescription.contains("127.0.0.1:\(server.port)"))
            #expect(error.localizedDescription.lowercased().contains("in use"))
        }
    }
}

// MARK: - A plain-socket client, independent of the project's HTTP client

fileprivate struct RawResponse {
    var status: Int
    var headers: [(String, String)]
    var body: String

    func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }
}

fileprivate enum RawResult: CustomStringConvertible {
    case response(RawResponse)
    case timedOut
    case refused
    case closedWithoutAnswer
    case garbage([UInt8])

    var response: RawResponse? {
        if case .response(let response) = self { response } else { nil }
    }
    var isTimeout: Bool { if case .timedOut = self { true } else { false } }
    var isRefused: Bool { if case .refused = self { true } else { false } }
    var isClosedWithoutAnswer: Bool { if case .closedWithoutAnswer = self { true } else { false } }

    var description: String {
        switch self {
        case .response(let response): "HTTP \(response.status)"
        case .timedOut: "timed out"
        case .refused: "connection refused"
        case .closedWithoutAnswer: "closed without answer"
        case .garbage(let bytes): "\(bytes.count) non-HTTP bytes"
        }
    }
}

fileprivate enum RawHTTP {
    static func send(
        port: UInt16, method: String = "GET", path: String, headers: [(String, String)] = [],
        body: [UInt8] = [], timeout: Double = 5
    ) -> RawResult {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if method != "GET" || !body.isEmpty { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        return sendRaw(port: port, Array(head.utf8) + body, timeout: timeout)
    }

    static func sendRaw(port: UInt16, _ bytes: [UInt8], timeout: Double = 5) -> RawResult {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        precondition(fd >= 0)
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: .init((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return .refused }
        #if canImport(Glibc)
        let flags = Int32(MSG_NOSIGNAL)
        #else
        let flags: Int32 = 0
        #endif
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { socketSend(fd, $0.baseAddress! + offset, $0.count - offset, flags) }
            if sent <= 0 { break }  // The server may answer early (413) and stop reading.
            offset += sent
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 { received += chunk[..<count]; continue }
            if count < 0 && errno == EINTR { continue }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && received.isEmpty { return .timedOut }
            break
        }
        if received.isEmpty { return .closedWithoutAnswer }
        guard received.starts(with: Array("HTTP/1.".utf8)),
              var text = String(validating: received, as: UTF8.self)
        else { return .garbage(received) }
        // Interim answers (100 Continue) come before the real one.
        while text.hasPrefix("HTTP/1.1 1"), let end = text.range(of: "\r\n\r\n") {
            text = String(text[end.upperBound...])
        }
        guard let split = text.range(of: "\r\n\r\n") else { return .garbage(received) }
        var lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return .garbage(received) }
        let headers = lines.compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return .response(RawResponse(status: status, headers: headers, body: String(text[split.upperBound...])))
    }
}

/// `send(2)` under a name the helper's own `send` does not hide.
private func socketSend(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int, _ flags: Int32) -> Int {
    send(fd, buffer, count, flags)
}
