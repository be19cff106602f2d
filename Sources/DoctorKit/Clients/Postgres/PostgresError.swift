import Foundation

/// Why a PostgreSQL operation failed, in the Prisma error terms an engineer finds in the service's logs.
///
/// Messages name the host, port, user and database, never the password: libpq's own messages do not
/// carry it, and `PostgresConnectionInfo.scrub` removes it should one ever appear.
public enum PostgresError: Error, Sendable, Equatable {
    /// P1000: the server rejected the user name or password.
    case authenticationFailed(host: String, user: String, detail: String)
    /// P1001: nothing answered at the address (refused, unreachable, DNS).
    case unreachable(host: String, port: Int, detail: String)
    /// P1002: the server was reached but did not answer in time.
    case timedOut(host: String, port: Int, after: Duration)
    /// P1003: the database does not exist on the server.
    case databaseMissing(name: String, host: String, port: Int)
    /// P1010: the user may not connect to this database.
    case accessDenied(user: String, database: String, detail: String)
    /// P1011: the TLS handshake or certificate check failed.
    case tls(detail: String)
    /// P1017 / P2037: the server refused or dropped the session (too many connections, shutting down).
    case serverRefused(detail: String)
    /// A query failed; `sqlState` is the five-character code.
    case query(sqlState: String, message: String)
    /// A query did not finish in time; the connection was closed so the server ends it by itself.
    case queryTimedOut(after: Duration)
    /// The connection parameters were rejected before anything was tried.
    case invalidParameters(String)
    /// The connection was closed (by `close()`, or after an earlier timeout).
    case closed

    /// The Prisma error code closest to this failure, when there is one.
    public var prismaCode: String? {
        switch self {
        case .authenticationFailed: "P1000"
        case .unreachable: "P1001"
        case .timedOut: "P1002"
        case .databaseMissing: "P1003"
        case .accessDenied: "P1010"
        case .tls: "P1011"
        case .serverRefused: "P1017"
        case .invalidParameters: "P1013"
        case .queryTimedOut: "P1008"
        case .query, .closed: nil
        }
    }
}

extension PostgresError: LocalizedError {
    public var errorDescription: String? {
        let text: String = switch self {
        case let .authenticationFailed(host, user, _):
            "Authentication failed against database server at `\(host)`, the provided database credentials for `\(user)` are not valid"
        case let .unreachable(host, port, detail):
            "Can't reach database server at `\(host)`:`\(port)` (\(detail))"
        case let .timedOut(host, port, after):
            "The database server at `\(host)`:`\(port)` was reached but timed out (no answer within \(after.short))"
        case let .databaseMissing(name, host, port):
            "Database `\(name)` does not exist on the database server at `\(host):\(port)`"
        case let .accessDenied(user, database, _):
            "User `\(user)` was denied access on the database `\(database)`"
        case let .tls(detail): "Error opening a TLS connection: \(detail)"
        case let .serverRefused(detail): "The server refused the connection: \(detail)"
        case let .query(state, message): "query failed: \(message) (SQLSTATE \(state))"
        case let .queryTimedOut(after): "the query did not finish within \(after.short)"
        case let .invalidParameters(detail): "The provided database string is invalid: \(detail)"
        case .closed: "the connection is closed"
        }
        return prismaCode.map { "\($0): \(text)" } ?? text
    }
}

extension PostgresError {
    /// Classifies libpq's message for a failed connection attempt.
    static func connectionFailure(_ message: String, info: PostgresConnectionInfo) -> PostgresError {
        let detail = info.scrub(Self.firstLine(message))
        let lower = message.lowercased()
        if lower.contains("password authentication failed") || lower.contains("authentication failed")
            || lower.contains("no password supplied") || (lower.contains("role") && lower.contains("does not exist"))
            || lower.contains("no pg_hba.conf entry")
        {
            return .authenticationFailed(host: info.hostDisplay, user: info.user ?? "(default)", detail: detail)
        }
        if lower.contains("database") && lower.contains("does not exist") {
            return .databaseMissing(name: info.database ?? info.user ?? "(default)", host: info.hostDisplay, port: info.port)
        }
        if lower.contains("permission denied for database") {
            return .accessDenied(user: info.user ?? "(default)", database: info.database ?? "(default)", detail: detail)
        }
        if lower.contains("ssl") || lower.contains("certificate") || lower.contains("tls") {
            return .tls(detail: detail)
        }
        if lower.contains("timeout expired") {
            return .timedOut(host: info.hostDisplay, port: info.port, after: .seconds(info.connectTimeoutSeconds))
        }
        if lower.contains("too many") || lower.contains("remaining connection slots")
            || lower.contains("shutting down") || lower.contains("starting up") || lower.contains("in recovery")
            || lower.contains("server closed the connection")
        {
            return .serverRefused(detail: detail)
        }
        if lower.contains("invalid") && (lower.contains("option") || lower.contains("parameter") || lower.contains("uri")) {
            return .invalidParameters(detail)
        }
        return .unreachable(host: info.hostDisplay, port: info.port, detail: detail)
    }

    /// libpq prefixes every line; the first line with text is the useful one.
    static func firstLine(_ message: String) -> String {
        let line = message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .first { !$0.isEmpty } ?? "no message"
        return line.replacingOccurrences(of: "FATAL:  ", with: "").replacingOccurrences(of: "ERROR:  ", with: "")
    }
}
