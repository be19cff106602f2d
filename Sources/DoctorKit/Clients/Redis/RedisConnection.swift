@preconcurrency import COpenSSL
import Dispatch
import Foundation

/// A Redis PING round trip over a plain socket speaking RESP, or over TLS (OpenSSL) for `rediss://`.
///
/// Everything blocking (DNS, connect, TLS handshake, reads) runs on a queue of its own, and every
/// wait on the socket is a `poll` bounded by the deadline.
public enum RedisClient {
    /// What a successful round trip found.
    public struct Ping: Sendable {
        /// Connect (and TLS handshake) time.
        public var connect: Duration
        /// The PING round trip alone.
        public var roundTrip: Duration
        /// `redis_version` from `INFO server`, when the server tells it.
        public var version: String?
        /// The TLS protocol in use, nil for plain TCP.
        public var tlsProtocol: String?
        /// `uptime_in_seconds` from `INFO server`: how long the counters below have been counting.
        public var uptime: Int?
        /// `keyspace_hits` and `keyspace_misses` from `INFO stats`: key lookups that found a key, and not.
        public var hits: Int?
        public var misses: Int?
    }

    /// Connects, authenticates, selects the database and sends PING.
    public static func ping(_ url: RedisURL, deadline: ContinuousClock.Instant) async throws(RedisError) -> Ping {
        let result: Result<Ping, RedisError> = await withCheckedContinuation { continuation in
            DispatchQueue(label: "doctor.redis").async {
                let session = RedisSession(url: url, deadline: deadline)
                defer { session.close() }
                continuation.resume(returning: Result { () throws(RedisError) -> Ping in try session.ping() })
            }
        }
        return try result.get()
    }
}

/// One blocking Redis session, used on one thread only.
final class RedisSession {
    let url: RedisURL
    let deadline: ContinuousClock.Instant
    private var socket: Int32 = -1
    private var tls: OpaquePointer?  // SSL*
    private var context: OpaquePointer?  // SSL_CTX*
    private var buffer: [UInt8] = []
    private var phase = "connecting"
    private let started = ContinuousClock.now

    init(url: RedisURL, deadline: ContinuousClock.Instant) {
        self.url = url
        self.deadline = deadline
    }

    func ping() throws(RedisError) -> RedisClient.Ping {
        let start = ContinuousClock.now
        try connect()
        if url.tls { try handshake() }
        let connected = ContinuousClock.now
        if let password = url.password {
            phase = "AUTH"
            let reply = try command(url.user.map { ["AUTH", $0, password] } ?? ["AUTH", password])
            if case let .error(message) = reply { throw .authentication(message) }
        }
        if url.database != 0 {
            phase = "SELECT"
            if case let .error(message) = try command(["SELECT", String(url.database)]) { throw .server(message) }
        }
        phase = "PING"
        let pingStart = ContinuousClock.now
        let reply = try command(["PING"])
        let roundTrip = ContinuousClock.now - pingStart
        switch reply {
        case .simple("PONG"): break
        case let .error(message) where message.hasPrefix("NOAUTH"):
            throw .authentication("NOAUTH: the server requires a password and REDIS_URL has none")
        case let .error(message): throw .server(message)
        default: throw .protocolError("PING did not answer PONG")
        }
        phase = "INFO"
        // INFO may be renamed or refused by a managed Redis: every figure from it is optional.
        var server: [String: String] = [:]
        var stats: [String: String] = [:]
        if case let .bulk(text?) = try? command(["INFO", "server"]) { server = Self.fields(text) }
        if case let .bulk(text?) = try? command(["INFO", "stats"]) { stats = Self.fields(text) }
        let proto = tls.flatMap { SSL_get_version($0) }.map { String(cString: $0) }
        return RedisClient.Ping(connect: connected - start, roundTrip: roundTrip, version: server["redis_version"], tlsProtocol: proto,
                                uptime: server["uptime_in_seconds"].flatMap { Int($0) },
                                hits: stats["keyspace_hits"].flatMap { Int($0) }, misses: stats["keyspace_misses"].flatMap { Int($0) })
    }

    /// The `name:value` lines of an INFO section.
    static func fields(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":"), !line.hasPrefix("#") else { continue }
            fields[String(line[..<colon])] = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
        }
        return fields
    }

    // MARK: - Socket

    private func connect() throws(RedisError) {
        var hints = addrinfo()
        #if os(Linux)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(url.host, String(url.port), &hints, &list)
        guard status == 0, let first = list else {
            throw .dns(host: url.host, detail: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let address = entry {
            entry = address.pointee.ai_next
            let fd = Foundation.socket(address.pointee.ai_family, address.pointee.ai_socktype, address.pointee.ai_protocol)
            guard fd >= 0 else { continue }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            var noSigPipe: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &noSigPipe, socklen_t(MemoryLayout<Int32>.size))
            if Foundation.connect(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 || errno == EINPROGRESS {
                guard wait(fd, Int16(POLLOUT)) else {
                    Foundation.close(fd)
                    throw .timedOut(after: .now - started, phase: "connecting")
                }
                var error: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
                if error == 0 {
                    socket = fd
                    return
                }
                lastError = String(cString: strerror(error))
            } else {
                lastError = String(cString: strerror(errno))
            }
            Foundation.close(fd)
        }
        throw .unreachable(host: url.host, port: url.port, detail: lastError)
    }

    private func handshake() throws(RedisError) {
        phase = "TLS handshake"
        guard let ctx = SSL_CTX_new(TLS_client_method()) else { throw .tls("cannot create a TLS context") }
        context = ctx
        SSL_CTX_set_default_verify_paths(ctx)
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nil)
        guard let ssl = SSL_new(ctx) else { throw .tls("cannot create a TLS session") }
        tls = ssl
        SSL_set_fd(ssl, socket)
        // SNI and host-name verification (SSL_set_tlsext_host_name is a macro over SSL_ctrl).
        _ = url.host.withCString { name in
            SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, Int(TLSEXT_NAMETYPE_host_name), UnsafeMutableRawPointer(mutating: name))
        }
        SSL_set1_host(ssl, url.host)
        while true {
            let result = SSL_connect(ssl)
            if result == 1 { return }
            let error = SSL_get_error(ssl, result)
            if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE {
                guard wait(socket, Int16(error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT)) else {
                    throw .timedOut(after: .now - started, phase: phase)
                }
                continue
            }
            let verify = SSL_get_verify_result(ssl)
            if verify != X509_V_OK {
                throw .tls("certificate verification failed: " + String(cString: X509_verify_cert_error_string(verify)))
            }
            var text = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(ERR_get_error(), &text, text.count)
            throw .tls(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
    }

    func close() {
        if let tls { SSL_free(tls) }
        if let context { SSL_CTX_free(context) }
        tls = nil
        context = nil
        if socket >= 0 { Foundation.close(socket) }
        socket = -1
    }

    private func wait(_ fd: Int32, _ events: Int16) -> Bool {
        while true {
            let left = deadline - .now
            guard left > .zero else { return false }
            var descriptor = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&descriptor, 1, Int32(min(left.milliseconds + 1, Int64(Int32.max))))
            if ready > 0 { return true }
            if ready < 0 && errno != EINTR { return true }
        }
    }

    // MARK: - RESP

    /// A RESP reply.
    enum Reply: Equatable {
        case simple(String)
        case error(String)
        case integer(Int)
        case bulk(String?)
        case array(Int)
    }

    private func command(_ words: [String]) throws(RedisError) -> Reply {
        var bytes = Array("*\(words.count)\r\n".utf8)
        for word in words {
            let data = Array(word.utf8)
            bytes += Array("$\(data.count)\r\n".utf8) + data + Array("\r\n".utf8)
        }
        try send(bytes)
        return try reply()
    }

    /// No SIGPIPE from a closed socket: a flag on Linux; Darwin has none (the process ignores SIGPIPE).
    #if os(Linux)
    private static let sendFlags = Int32(MSG_NOSIGNAL)
    #else
    private static let sendFlags: Int32 = 0
    #endif

    private func send(_ bytes: [UInt8]) throws(RedisError) {
        var offset = 0
        while offset < bytes.count {
            let written: Int = bytes[offset...].withUnsafeBytes { raw in
                if let tls { return Int(SSL_write(tls, raw.baseAddress, Int32(raw.count))) }
                return Foundation.send(socket, raw.baseAddress, raw.count, Self.sendFlags)
            }
            if written > 0 { offset += written; continue }
            if tls == nil && (errno == EAGAIN || errno == EWOULDBLOCK) || tls.map({ SSL_get_error($0, Int32(written)) == SSL_ERROR_WANT_WRITE }) == true {
                guard wait(socket, Int16(POLLOUT)) else { throw .timedOut(after: .now - started, phase: phase) }
                continue
            }
            throw .protocolError("the connection closed while sending \(phase)")
        }
    }

    /// Reads more bytes into the buffer, waiting up to the deadline.
    private func fill() throws(RedisError) {
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let count: Int = chunk.withUnsafeMutableBytes { raw in
                if let tls { return Int(SSL_read(tls, raw.baseAddress, Int32(raw.count))) }
                return recv(socket, raw.baseAddress, raw.count, 0)
            }
            if count > 0 {
                buffer += chunk[..<count]
                return
            }
            let wantsRead = tls.map { SSL_get_error($0, Int32(count)) == SSL_ERROR_WANT_READ }
                ?? (count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            if wantsRead {
                guard wait(socket, Int16(POLLIN)) else { throw .timedOut(after: .now - started, phase: phase) }
                continue
            }
            throw .protocolError("the server closed the connection during \(phase)")
        }
    }

    private func line() throws(RedisError) -> String {
        while true {
            if let end = buffer.indices.dropLast().first(where: { buffer[$0] == 13 && buffer[$0 + 1] == 10 }) {
                let text = String(decoding: buffer[..<end], as: UTF8.self)
                buffer.removeFirst(end + 2)
                return text
            }
            if buffer.count > 65536 { throw .protocolError("a reply line longer than 64 KiB") }
            try fill()
        }
    }

    private func reply() throws(RedisError) -> Reply {
        let header = try line()
        guard let kind = header.first else { throw .protocolError("an empty reply") }
        let rest = String(header.dropFirst())
        switch kind {
        case "+": return .simple(rest)
        case "-": return .error(rest)
        case ":": return .integer(Int(rest) ?? 0)
        case "$":
            guard let length = Int(rest) else { throw .protocolError("a bad bulk length") }
            if length < 0 { return .bulk(nil) }
            while buffer.count < length + 2 { try fill() }
            let text = String(decoding: buffer[..<length], as: UTF8.self)
            buffer.removeFirst(length + 2)
            return .bulk(text)
        case "*": return .array(Int(rest) ?? 0)
        default:
            let shown = String(header.prefix(40).filter { $0.isASCII && !$0.isNewline })
            throw .protocolError("unexpected reply \"\(shown)\"")
        }
    }
}
