import Foundation
import Testing

@testable import DoctorKit
import DoctorSandbox

#if canImport(Glibc)
import Glibc
#endif

/// A loopback TCP server that hands every accepted connection to `serve` on a thread of its own,
/// for faults below what `HTTPServer` imitates: a reset in the middle of a response, headers a byte
/// a second, a body that never ends, broken chunked encoding, a database that never speaks.
///
/// `stop()` shuts every open connection down (which ends a blocked read or write at once), so no
/// connection thread outlives the test by more than a moment.
final class RawServer: @unchecked Sendable {
    let port: UInt16
    private let listenFD: Int32
    private let condition = NSCondition()
    private var stopped = false
    private var open: Set<Int32> = []
    private let acceptEnded = DispatchSemaphore(value: 0)

    init(_ serve: @escaping @Sendable (RawConnection) -> Void) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HTTPServerError.socket(call: "socket", reason: String(cString: strerror(errno))) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ready = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 256) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ready else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw HTTPServerError.socket(call: "bind", reason: reason)
        }
        listenFD = fd
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in acceptLoop(serve) }
        thread.name = "fault-server.accept"
        thread.start()
    }

    deinit { stop() }

    var isStopped: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopped
    }

    /// Closes the listener and shuts every open connection down; may be called again.
    func stop() {
        condition.lock()
        if stopped {
            condition.unlock()
            return
        }
        stopped = true
        for fd in open { shutdown(fd, Int32(SHUT_RDWR)) }
        condition.broadcast()
        condition.unlock()
        acceptEnded.wait()
        close(listenFD)
    }

    /// Sleeps `seconds` unless the server stops first; false when it stopped.
    func pause(_ seconds: Double) -> Bool {
        let until = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        defer { condition.unlock() }
        while !stopped {
            if !condition.wait(until: until) { return !stopped }
        }
        return false
    }

    private func acceptLoop(_ serve: @escaping @Sendable (RawConnection) -> Void) {
        defer { acceptEnded.signal() }
        while !isStopped {
            var fds = [pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0)]
            guard poll(&fds, 1, 100) > 0 else { continue }
            let fd = accept(listenFD, nil, nil)
            guard fd >= 0 else { continue }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            condition.lock()
            guard !stopped else {
                condition.unlock()
                close(fd)
                return
            }
            open.insert(fd)
            condition.unlock()
            let thread = Thread { [self] in
                serve(RawConnection(fd: fd, server: self))
                condition.lock()
                open.remove(fd)
                condition.unlock()
                close(fd)
            }
            thread.name = "fault-server.connection"
            thread.start()
        }
    }
}

/// One accepted connection of a `RawServer`; the server closes it when `serve` returns.
struct RawConnection {
    let fd: Int32
    let server: RawServer

    /// Reads until the end of the request head (or the client stops sending); false at end of stream.
    @discardableResult
    func readRequestHead() -> Bool {
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !received.contains(subsequence: [13, 10, 13, 10]) {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return false }
            received.append(contentsOf: chunk[..<count])
        }
        return true
    }

    /// Writes every byte; false once the peer has gone.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if sent > 0 {
                offset += sent
            } else if sent < 0 && errno == EINTR {
                continue
            } else {
                return false
            }
        }
        return true
    }

    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Makes the coming close a TCP reset (RST) instead of an orderly end of stream.
    func resetOnClose() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
    }

    /// Waits until the peer closes or the server stops, reading and discarding what it sends.
    func waitForPeer() {
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !server.isStopped {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 || (count < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) { return }
        }
    }
}

extension Array where Element == UInt8 {
    func contains(subsequence: [UInt8]) -> Bool {
        guard count >= subsequence.count else { return false }
        return (0...(count - subsequence.count)).contains { Array(self[$0..<($0 + subsequence.count)]) == subsequence }
    }
}

/// The misbehaving servers of the fault suite.
enum FaultServers {
    /// Answers 200 with a `Content-Length` of 100 000, sends 1 000 bytes of the body, then resets.
    static func resetMidResponse() throws -> RawServer {
        try RawServer { connection in
            guard connection.readRequestHead() else { return }
            connection.send("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n")
            connection.send([UInt8](repeating: UInt8(ascii: "x"), count: 1000))
            _ = connection.server.pause(0.05)
            connection.resetOnClose()
        }
    }

    /// Sends a complete, valid response one byte a second.
    static func trickle() throws -> RawServer {
        try RawServer { connection in
            guard connection.readRequestHead() else { return }
            for byte in Array("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok".utf8) {
                guard connection.send([byte]), connection.server.pause(1) else { return }
            }
        }
    }

    /// Announces and streams a 100 MB body as fast as the client reads; `sent` counts what left.
    static func hugeBody(sent: Locked<Int>) throws -> RawServer {
        try RawServer { connection in
            guard connection.readRequestHead() else { return }
            let size = 100 * 1024 * 1024
            connection.send("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: \(size)\r\n\r\n")
            let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 64 * 1024)
            var total = 0
            while total < size, !connection.server.isStopped, connection.send(chunk) {
                total += chunk.count
                sent.withLock { $0 += chunk.count }
            }
        }
    }

    /// Declares `Transfer-Encoding: chunked` and sends a chunk size that is not hexadecimal.
    static func invalidChunked() throws -> RawServer {
        try RawServer { connection in
            guard connection.readRequestHead() else { return }
            connection.send("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\nzz-not-hex\r\nhello\r\n0\r\n\r\n")
            connection.waitForPeer()
        }
    }

    /// Accepts TCP connections and never says a word (a PostgreSQL behind a stuck proxy).
    static func silent() throws -> RawServer {
        try RawServer { connection in connection.waitForPeer() }
    }

    /// Accepts a connection and closes it at once, before the client says anything.
    static func closeOnConnect() throws -> RawServer {
        try RawServer { _ in }
    }

    /// Redirects every request to itself.
    static func redirectLoop() throws -> HTTPServer {
        try HTTPServer { request in
            ServerResponse(status: 302, headers: [("Location", request.path == "/loop" ? "/loop-again" : "/loop")])
        }
    }

    /// Answers 200 with a body that starts like Stripe's account object and is not JSON.
    static func invalidJSON() throws -> HTTPServer {
        try HTTPServer { _ in
            .json(200, #"{"id": "acct_1Fault", "object": "account", "charges_enabled": tru"#, headers: [("Request-Id", "req_fault")])
        }
    }
}

/// Throwaway certificates made with the `openssl` command: a self-signed one, and a test CA with a
/// valid and an expired leaf (dates in the past through `openssl ca -startdate/-enddate`, which
/// OpenSSL 3.0 has; `x509 -not_before` only arrived in 3.4).
struct TestCertificates {
    let folder: String
    var selfSigned: (cert: String, key: String) { (folder + "/self.pem", folder + "/self-key.pem") }
    var ca: String { folder + "/ca.pem" }
    var valid: (cert: String, key: String) { (folder + "/valid.pem", folder + "/leaf-key.pem") }
    var expired: (cert: String, key: String) { (folder + "/expired.pem", folder + "/leaf-key.pem") }

    static let shared: Result<TestCertificates, TemporaryPostgresError> = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("doctor-fault-tls-\(UUID().uuidString)").path
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let san = "subjectAltName=DNS:localhost,IP:127.0.0.1"
            try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                         "-addext", san, "-keyout", folder + "/self-key.pem", "-out", folder + "/self.pem"])
            try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=doctor fault-suite CA",
                         "-keyout", folder + "/ca-key.pem", "-out", folder + "/ca.pem"])
            try openssl(["req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
                         "-keyout", folder + "/leaf-key.pem", "-out", folder + "/leaf.csr"])
            try "".write(toFile: folder + "/index.txt", atomically: true, encoding: .utf8)
            try "1000\n".write(toFile: folder + "/serial", atomically: true, encoding: .utf8)
            try """
                [ca]
                default_ca = test
                [test]
                database = \(folder)/index.txt
                new_certs_dir = \(folder)
                serial = \(folder)/serial
                certificate = \(folder)/ca.pem
                private_key = \(folder)/ca-key.pem
                default_md = sha256
                policy = anything
                unique_subject = no
                [anything]
                commonName = supplied
                [leaf]
                basicConstraints = CA:FALSE
                keyUsage = digitalSignature, keyEncipherment
                extendedKeyUsage = serverAuth
                \(san)

                """.write(toFile: folder + "/ca.cnf", atomically: true, encoding: .utf8)
            let sign = ["ca", "-batch", "-notext", "-config", folder + "/ca.cnf", "-extensions", "leaf", "-in", folder + "/leaf.csr"]
            try openssl(sign + ["-days", "2", "-out", folder + "/valid.pem"])
            try openssl(sign + ["-startdate", "20200101000000Z", "-enddate", "20200102000000Z", "-out", folder + "/expired.pem"])
            atexit { if case let .success(certificates) = TestCertificates.shared { try? FileManager.default.removeItem(atPath: certificates.folder) } }
            return .success(TestCertificates(folder: folder))
        } catch let error as TemporaryPostgresError {
            return .failure(error)
        } catch {
            return .failure(.failed("cannot write the certificate files: \(error)"))
        }
    }()

    /// The certificates, recording an issue under CI when openssl cannot make them (nil: skip).
    static func made() -> TestCertificates? {
        switch shared {
        case let .success(certificates): return certificates
        case let .failure(error):
            if DatabaseServers.isCI { Issue.record("openssl is required under CI=true: \(error)") }
            return nil
        }
    }

    private static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        do { try process.run() } catch { throw TemporaryPostgresError.failed("cannot run /usr/bin/openssl (apt-get install openssl): \(error)") }
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TemporaryPostgresError.failed("openssl \(arguments.prefix(2).joined(separator: " ")) failed: \(text)")
        }
    }
}

/// An HTTPS server in a python3 subprocess (`ssl` + `http.server`) presenting `cert`: answers
/// `{"status":"ok"}` to every GET once a client accepts the certificate.
final class TLSServer: @unchecked Sendable {
    let port: UInt16
    private let process: Process
    private let input: Pipe

    static let script = #"""
        import http.server, ssl, sys, threading
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def do_GET(self):
                body = b'{"status":"ok"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args):
                pass
        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256
            def handle_error(self, request, address):
                pass  # a client that rejects the certificate ends its handshake: expected here
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[1], sys.argv[2])
        server = Server(("127.0.0.1", 0), Handler)
        # The handshake happens on the connection's own thread, so one client cannot stall the others.
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        print(server.server_address[1], flush=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        sys.stdin.read()  # the test closes standard input to stop the server
        """#

    init(cert: String, key: String) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.script, cert, key]
        input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let more = output.fileHandleForReading.availableData
            if more.isEmpty { break }
            line.append(more)
        }
        guard let port = UInt16(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw TemporaryPostgresError.failed("the python3 TLS server did not start (python3 with its ssl module is needed)")
        }
        self.port = port
    }

    deinit { stop() }

    func stop() {
        guard process.isRunning else { return }
        try? input.fileHandleForWriting.close()
        // SIGKILL as well: the child inherits the test runner's blocked signal mask (see DatabaseServers).
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
