import Foundation
import Testing
@testable import DoctorKit
import DoctorSandbox

/// The libcurl client against real local servers that behave well and badly.
@Suite("HTTP client")
struct HTTPClientTests {
    @Test("five requests to endpoints that each take 1 s finish together, not one after another")
    func concurrentTransfers() async throws {
        let server = try HTTPServer { _ in ServerResponse(status: 200, body: Array("ok".utf8), delay: .seconds(1)) }
        defer { server.stop() }
        let client = HTTPClient()
        defer { client.close() }
        let clock = ContinuousClock()
        let start = clock.now
        let statuses = await withTaskGroup(of: Int.self) { group in
            for i in 0..<5 {
                group.addTask {
                    (try? await client.perform(HTTPRequest(url: "http://127.0.0.1:\(server.port)/slow/\(i)")))?.status ?? -1
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let elapsed = clock.now - start
        #expect(statuses == [200, 200, 200, 200, 200])
        #expect(elapsed < .seconds(2), "took \(elapsed)")
    }

    @Test("a closed port is reported as a refused connection, quickly")
    func closedPort() async throws {
        let port = try closedLoopbackPort()
        let client = HTTPClient()
        defer { client.close() }
        await #expect(throws: HTTPError.self) {
            _ = try await client.perform(HTTPRequest(url: "http://127.0.0.1:\(port)/api/health", timeout: .seconds(5)))
        }
        do {
            _ = try await client.perform(HTTPRequest(url: "http://127.0.0.1:\(port)/", timeout: .seconds(5)))
        } catch {
            guard case .connectionRefused = error else { Issue.record("expected connectionRefused, got \(error)"); return }
            #expect(error.localizedDescription.contains("nothing is listening"))
        }
    }

    @Test("a server that accepts and never answers times out at the request's timeout")
    func hangingServer() async throws {
        let server = try HTTPServer { _ in ServerResponse(status: 200, behaviour: .hang) }
        defer { server.stop() }
        let client = HTTPClient()
        defer { client.close() }
        let clock = ContinuousClock()
        let start = clock.now
        do {
            _ = try await client.perform(HTTPRequest(url: "http://127.0.0.1:\(server.port)/", timeout: .milliseconds(700)))
            Issue.record("a hanging server produced a response")
        } catch {
            guard case let .timedOut(_, phase) = error else { Issue.record("expected timedOut, got \(error)"); return }
            #expect(phase.contains("sent nothing"))
        }
        #expect(clock.now - start < .milliseconds(1500))
    }

    @Test("cancelling the task ends a transfer at once")
    func cancellation() async throws {
        let server = try HTTPServer { _ in ServerResponse(status: 200, behaviour: .hang) }
        defer { server.stop() }
        let client = HTTPClient()
        defer { client.close() }
        let clock = ContinuousClock()
        let start = clock.now
        let task = Task { try await client.perform(HTTPRequest(url: "http://127.0.0.1:\(server.port)/", timeout: .seconds(30))) }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        let result = await task.result
        #expect(clock.now - start < .seconds(2))
        guard case let .failure(error) = result, let httpError = error as? HTTPError else {
            Issue.record("expected a cancellation error"); return
        }
        #expect(httpError == .cancelled)
    }

    @Test("garbage instead of HTTP and a silent close are protocol errors in plain words")
    func misbehavingServers() async throws {
        let client = HTTPClient()
        defer { client.close() }
        for behaviour in [ServerResponse.Behaviour.garbage, .close] {
            let server = try HTTPServer { _ in ServerResponse(status: 200, behaviour: behaviour) }
            defer { server.stop() }
            do {
                _ = try await client.perform(HTTPRequest(url: "http://127.0.0.1:\(server.port)/", timeout: .seconds(3)))
                Issue.record("\(behaviour) produced a response")
            } catch {
                guard case .protocolError = error else { Issue.record("\(behaviour): expected protocolError, got \(error)"); continue }
            }
        }
    }

    @Test("https to a port that speaks plain HTTP is a TLS failure in plain words")
    func tlsFailure() async throws {
        // Like a plain HTTP server that rejects the ClientHello at once (nginx's 400 on an http port).
        let port = try greetingServer("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        let client = HTTPClient()
        defer { client.close() }
        do {
            _ = try await client.perform(HTTPRequest(url: "https://127.0.0.1:\(port)/", timeout: .seconds(5)))
            Issue.record("a TLS handshake with a plain HTTP server succeeded")
        } catch {
            guard case .tls = error else { Issue.record("expected tls, got \(error)"); return }
            #expect(error.localizedDescription.hasPrefix("TLS failed: the TLS handshake failed"))
        }
    }

    @Test("the body read stops at the cap and says it was truncated")
    func bodyCap() async throws {
        let big = [UInt8](repeating: 65, count: 300_000)
        let server = try HTTPServer { _ in ServerResponse(status: 200, body: big) }
        defer { server.stop() }
        let client = HTTPClient()
        defer { client.close() }
        let response = try await client.perform(HTTPRequest(url: "http://127.0.0.1:\(server.port)/", maxBodyBytes: 1000))
        #expect(response.status == 200)
        #expect(response.body.count == 1000)
        #expect(response.bodyTruncated)
    }

    @Test("a redirect to another host drops credential headers; the same host keeps them")
    func redirectDropsCredentials() async throws {
        let seen = Locked<[String: String]>([:])
        let target = try HTTPServer { request in
            seen.withLock { $0[request.path] = request.header("authorization") ?? "none" }
            return ServerResponse(status: 200, text: "ok")
        }
        defer { target.stop() }
        let origin = try HTTPServer { request in
            if request.path == "/same" { return ServerResponse(status: 200, text: "ok") }
            let location = request.path == "/local" ? "/same" : "http://localhost:\(target.port)/elsewhere"
            return ServerResponse(status: 302, headers: [("Location", location)])
        }
        defer { origin.stop() }
        let client = HTTPClient()
        defer { client.close() }
        let away = try await client.perform(HTTPRequest(
            url: "http://127.0.0.1:\(origin.port)/away", maxRedirects: 3,
            credentialHeaders: [("Authorization", "Bearer sk_test_credential")]))
        #expect(away.status == 200)
        #expect(away.redirects == 1)
        #expect(seen.withLock { $0["/elsewhere"] } == "none")

        let noFollow = try await client.perform(HTTPRequest(url: "http://127.0.0.1:\(origin.port)/away", maxRedirects: 0))
        #expect(noFollow.status == 302)

        let same = try await client.perform(HTTPRequest(url: "http://127.0.0.1:\(origin.port)/local", maxRedirects: 3))
        #expect(same.status == 200)
        #expect(same.effectiveURL.hasSuffix("/same"))
    }

    @Test("timings break the transfer into phases that add up to no more than the total")
    func timings() async throws {
        let server = try HTTPServer { _ in ServerResponse(status: 200, body: Array("ok".utf8), delay: .milliseconds(150)) }
        defer { server.stop() }
        let client = HTTPClient()
        defer { client.close() }
        let response = try await client.perform(HTTPRequest(url: "http://127.0.0.1:\(server.port)/"))
        let t = response.timings
        #expect(t.firstByte >= Duration.milliseconds(140))
        #expect(t.dns + t.connect + t.tls + t.firstByte <= t.total + Duration.milliseconds(5))
        #expect(t.tls == Duration.zero)
    }

    @Test("a URL that is not absolute http(s) is refused before any transfer")
    func invalidURL() async {
        let client = HTTPClient()
        defer { client.close() }
        for url in ["ftp://example.com/", "not a url", "/api/health", "http://"] {
            do {
                _ = try await client.perform(HTTPRequest(url: url))
                Issue.record("\(url) was accepted")
            } catch {
                guard case .invalidURL = error else { Issue.record("\(url): expected invalidURL, got \(error)"); continue }
            }
        }
    }
}

/// A loopback listener that writes `greeting` to each connection as soon as it is accepted, then
/// closes it; returns its port. It lives until the test process ends.
func greetingServer(_ greeting: String) throws -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound, listen(fd, 8) == 0 else { throw HTTPServerError.socket(call: "bind", reason: String(cString: strerror(errno))) }
    let bytes = Array(greeting.utf8)
    Thread {
        while true {
            let client = accept(fd, nil, nil)
            guard client >= 0 else { return }
            _ = bytes.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            usleep(50_000)
            close(client)
        }
    }.start()
    return UInt16(bigEndian: address.sin_port)
}

/// A port on 127.0.0.1 that nothing listens on (bound, then closed).
///
/// The port stays bound, without `listen()`, for the rest of the test process: connections to it
/// are refused, and no other process can take it in the meantime.
func closedLoopbackPort() throws -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard fd >= 0, bound else { throw HTTPServerError.socket(call: "bind", reason: String(cString: strerror(errno))) }
    return UInt16(bigEndian: address.sin_port)
}

/// A port on 127.0.0.1 that was free a moment ago, for starting a server of the test's own.
func freeLoopbackPort() throws -> UInt16 {
    let server = try HTTPServer { _ in ServerResponse(status: 200) }
    let port = server.port
    server.stop()
    return port
}

/// A value shared between a test and a server's handler threads.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
