import Foundation

/// Why a Redis round trip failed.
public enum RedisError: Error, Sendable, Equatable {
    /// The host name did not resolve.
    case dns(host: String, detail: String)
    /// Nothing accepted the connection.
    case unreachable(host: String, port: Int, detail: String)
    /// No answer in time.
    case timedOut(after: Duration, phase: String)
    /// AUTH was refused (`WRONGPASS`), or a password is needed (`NOAUTH`).
    case authentication(String)
    /// The server answered with an error, e.g. an invalid database index.
    case server(String)
    /// The server closed the connection or did not speak RESP.
    case protocolError(String)
    /// The TLS handshake or certificate check failed.
    case tls(String)
}

extension RedisError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case let .dns(host, detail): "could not resolve Redis host \(host) (\(detail))"
        case let .unreachable(host, port, detail): "can't reach Redis at \(host):\(port) (\(detail))"
        case let .timedOut(after, phase): "Redis did not answer within \(after.short) (\(phase))"
        case let .authentication(message): "Redis refused the credentials: \(message)"
        case let .server(message): "Redis answered with an error: \(message)"
        case let .protocolError(detail): "the server did not speak the Redis protocol: \(detail)"
        case let .tls(detail): "TLS to Redis failed: \(detail)"
        }
    }
}
