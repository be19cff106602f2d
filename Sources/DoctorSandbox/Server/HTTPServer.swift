import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A request as the embedded server received it.
public struct ServerRequest: Sendable {
    /// The method, as sent (`GET`, `POST`, …).
    public var method: String
    /// The percent-decoded path, without the query string.
    public var path: String
    /// The query parameters; for a repeated name the last value wins (see `queryItems`).
    public var query: [String: String]
    /// Every query parameter in order, repeated names included.
    public var queryItems: [(String, String)]
    /// The header fields in the order received, names as sent.
    public var headers: [(String, String)]
    /// The raw body bytes (de-chunked when sent chunked).
    public var body: [UInt8]

    /// Creates a request; the server builds these, tests may too.
    public init(
        method: String, path: String, query: [String: String] = [:],
        queryItems: [(String, String)] = [], headers: [(String, String)] = [], body: [UInt8] = []
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.queryItems = queryItems.isEmpty ? query.map { ($0.key, $0.value) } : queryItems
        self.headers = headers
        self.body = body
    }

    /// The first value of the header `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }
}

/// What the embedded server does with a request: an answer, or a way of misbehaving.
public struct ServerResponse: Sendable {
    /// How the connection is treated, so tests and the sandbox can imitate broken servers.
    public enum Behaviour: Sendable, Equatable {
        /// Write the response.
        case normal
        /// Read the request, never answer, keep the socket open until the server stops.
        case hang
        /// Close the connection without answering.
        case close
        /// Write bytes that are not HTTP, then close.
        case garbage
    }

    /// The status code.
    public var status: Int
    /// Header fields; `Content-Length` and `Connection` are set by the server.
    public var headers: [(String, String)]
    /// The body bytes.
    public var body: [UInt8]
    /// A pause before answering (cut short when the server stops).
    public var delay: Duration?
    /// How the connection is treated.
    public var behaviour: Behaviour

    /// Creates a response.
    public init(
        status: Int, headers: [(String, String)] = [], body: [UInt8] = [],
        delay: Duration? = nil, behaviour: Behaviour = .normal
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.delay = delay
        self.behaviour = behaviour
    }

    /// A response with a UTF-8 text body and the given content type.
    public init(
        status: Int, text: String, contentType: String = "text/plain; charset=utf-8",
        headers: [(String, String)] = []
    ) {
        self.init(status: status, headers: [("Content-Type", contentType)] + headers, body: Array(text.utf8))
    }

    /// A response with a JSON body (given as already-encoded text).
    public static func json(_ status: Int, _ json: String, headers: [(String, String)] = []) -> ServerResponse {
        ServerResponse(status: status, text: json, contentType: "application/json; charset=utf-8", headers: headers)
    }
}

/// Why the embedded server could not start.
public enum HTTPServerError: Error, LocalizedError, Equatable {
    /// A socket call failed; carries the call's name and the system's error text.
    case socket(call: String, reason: String)
    /// The port could not be bound (typically already in use).
    case bind(port: UInt16, reason: String)

    /// A one-line description with the system's error text.
    public var errorDescription: String? {
        switch self {
        case .socket(let call, let reason): "Cannot start the local server: \(call) failed: \(reason)"
        case .bind(let port, let reason): "Cannot listen on 127.0.0.1:\(port): \(reason)"
        }
    }
}

/// A minimal HTTP/1.1 server on 127.0.0.1 for the sandbox and for tests.
///
/// It accepts on a thread of its own and serves each connection on its own thread, so a handler
/// that blocks (or a client that hangs) never touches the Swift concurrency pool. Every response
/// closes its connection.
public final class HTTPServer: Sendable {
    /// The function that answers requests; called on the connection's thread.
    public typealias Handler = @Sendable (ServerRequest) -> ServerResponse

    /// The largest request body accepted; larger ones get 413.
    public static let maxBodyBytes = 1 << 20

    /// The port the server listens on (the one picked when 0 was asked for).
    public let port: UInt16

    private let state: ServerState

    /// Binds 127.0.0.1:`port` (0 picks a free port) and starts serving with `handler`.
    public init(port: UInt16 = 0, handler: @escaping Handler) throws(HTTPServerError) {
        let listener = try Self.openListener(port: port)
        var wake: [Int32] = [0, 0]
        guard pipe(&wake) == 0 else {
            let reason = Self.errnoText()
            close(listener.fd)
            throw .socket(call: "pipe", reason: reason)
        }
        for fd in [wake[0], wake[1]] { Self.closeOnExec(fd) }
        self.port = listener.port
        state = ServerState(listenFD: listener.fd, wakeRead: wake[0], wakeWrite: wake[1], handler: handler)
        let state = self.state
        let thread = Thread { state.acceptLoop() }
        thread.name = "doctor.http-server.accept"
        thread.start()
    }

    deinit { state.stop() }

    /// Closes the listener and every open connection; returns promptly and may be called again.
    public func stop() { state.stop() }

    private static func openListener(port: UInt16) throws(HTTPServerError) -> (fd: Int32, port: UInt16) {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw .socket(call: "socket", reason: errnoText()) }
        closeOnExec(fd)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            let reason = errnoText()
            close(fd)
            throw .bind(port: port, reason: reason)
        }
        guard listen(fd, 128) == 0 else {
            let reason = errnoText()
            close(fd)
            throw .socket(call: "listen", reason: reason)
        }
        // Non-blocking, so a client that vanishes between poll() and accept() cannot stall the loop.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else {
            let reason = errnoText()
            close(fd)
            throw .socket(call: "getsockname", reason: reason)
        }
        return (fd, UInt16(bigEndian: address.sin_port))
    }

    /// Keeps a descriptor out of child processes, which would otherwise hold connections open
    /// after `stop()` (tests start `curl`, the demo may start other tools).
    static func closeOnExec(_ fd: Int32) {
        _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC)
    }

    static func errnoText(_ code: Int32 = errno) -> String {
        String(cString: strerror(code))
    }
}

/// The server's shared state: the listener, the open connections and the stop flag.
///
/// Only a connection's own thread closes its socket; `stop()` merely shuts sockets down (which
/// wakes blocked reads) while holding the lock, so it can never touch a reused descriptor.
private final class ServerState: @unchecked Sendable {
    let listenFD: Int32
    let wakeRead: Int32
    let wakeWrite: Int32
    let handler: HTTPServer.Handler
    private let condition = NSCondition()
    private var stopped = false
    private var connections: Set<Int32> = []
    private let acceptEnded = DispatchSemaphore(value: 0)

    init(listenFD: Int32, wakeRead: Int32, wakeWrite: Int32, handler: @escaping HTTPServer.Handler) {
        self.listenFD = listenFD
        self.wakeRead = wakeRead
        self.wakeWrite = wakeWrite
        self.handler = handler
    }

    var isStopped: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopped
    }

    func stop() {
        condition.lock()
        if stopped {
            condition.unlock()
            return
        }
        stopped = true
        for fd in connections { shutdown(fd, Int32(SHUT_RDWR)) }
        condition.broadcast()
        condition.unlock()
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
        acceptEnded.wait()
        close(listenFD)
        close(wakeRead)
        close(wakeWrite)
    }

    func acceptLoop() {
        defer { acceptEnded.signal() }
        while !isStopped {
            var fds = [
                pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&fds, nfds_t(fds.count), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return
            }
            if fds[1].revents != 0 { return }
            let fd = accept(listenFD, nil, nil)
            if fd < 0 {
                switch errno {
                case EINTR, EAGAIN, ECONNABORTED: continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM: usleep(10_000); continue  // Wait for fds to free up.
                default: return
                }
            }
            HTTPServer.closeOnExec(fd)
            // Accepted sockets inherit O_NONBLOCK on Darwin; connections use blocking I/O.
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
            #if canImport(Darwin)
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
            #endif
            // A client that connects and never sends must not hold a thread forever.
            var timeout = timeval(tv_sec: 30, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            condition.lock()
            guard !stopped else {
                condition.unlock()
                close(fd)
                return
            }
            connections.insert(fd)
            condition.unlock()
            let thread = Thread { [self] in serve(fd) }
            thread.name = "doctor.http-server.connection"
            thread.start()
        }
    }

    private func serve(_ fd: Int32) {
        defer {
            condition.lock()
            connections.remove(fd)
            condition.unlock()
            close(fd)
        }
        let connection = Connection(fd: fd)
        let response: ServerResponse
        var drainBeforeClose = false
        var isHead = false
        switch HTTPParser.readRequest(from: connection, maxBodyBytes: HTTPServer.maxBodyBytes) {
        case .closed:
            return
        case .rejected(let rejection):
            response = rejection
            drainBeforeClose = true
        case .request(let request):
            response = handler(request)
            isHead = request.method == "HEAD"
        }
        if let delay = response.delay, !wait(for: delay) { return }
        switch response.behaviour {
        case .normal:
            connection.sendAll(HTTPParser.serialize(response, includeBody: !isHead))
            if drainBeforeClose { connection.drainAfterSending() }
        case .hang:
            _ = wait(for: nil)
        case .close:
            return
        case .garbage:
            connection.sendAll(Array("NOT-HTTP \u{1}\u{2}\u{3}\r\n".utf8) + [0xff, 0xfe, 0x00, 0x80])
        }
    }

    /// Sleeps for `duration` (forever when nil) unless the server stops; returns false if it did.
    private func wait(for duration: Duration?) -> Bool {
        let deadline = duration.map { Date(timeIntervalSinceNow: $0.seconds) }
        condition.lock()
        defer { condition.unlock() }
        while !stopped {
            if let deadline {
                if !condition.wait(until: deadline) { return !stopped }
            } else {
                condition.wait()
            }
        }
        return false
    }
}

/// Blocking reads and writes on one accepted socket.
final class Connection {
    let fd: Int32
    private(set) var buffer: [UInt8] = []

    init(fd: Int32) { self.fd = fd }

    /// Reads more bytes into `buffer`; false at end of stream, error or timeout.
    func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                buffer.append(contentsOf: chunk[..<count])
                return true
            }
            if count < 0 && errno == EINTR { continue }
            return false
        }
    }

    /// Drops the first `count` bytes of `buffer`.
    func consume(_ count: Int) { buffer.removeFirst(min(count, buffer.count)) }

    /// Writes every byte, giving up quietly when the peer has gone.
    func sendAll(_ bytes: [UInt8]) {
        #if canImport(Glibc)
        let flags = Int32(MSG_NOSIGNAL)
        #else
        let flags: Int32 = 0
        #endif
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes {
                send(fd, $0.baseAddress! + offset, $0.count - offset, flags)
            }
            if sent > 0 {
                offset += sent
            } else if sent < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }

    /// After an early answer (413 and the like), reads and discards what the client still sends
    /// for a moment, so closing does not reset the connection before the client reads the answer.
    func drainAfterSending() {
        shutdown(fd, Int32(SHUT_WR))
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var discarded = 0
        while discarded < 4 * HTTPServer.maxBodyBytes {
            buffer.removeAll(keepingCapacity: true)
            guard fill() else { return }
            discarded += buffer.count
        }
    }
}
