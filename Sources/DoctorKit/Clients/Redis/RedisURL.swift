/// A `REDIS_URL`: `redis://[[user]:password@]host[:port][/db]`, or `rediss://` for TLS.
public struct RedisURL: Sendable, Equatable {
    /// Whether the scheme is `rediss` (TLS).
    public var tls: Bool
    /// The ACL user, when given (Redis 6+).
    public var user: String?
    /// The password. Never print it.
    public var password: String?
    /// The host.
    public var host: String
    /// The port (6379 by default).
    public var port: Int
    /// The database number (0 by default).
    public var database: Int

    /// Parses `text`; errors name the part that is wrong, never its value.
    public static func parse(_ text: String) throws(RedisURLError) -> RedisURL {
        guard let parts = URLParts.split(text) else { throw .scheme }
        let scheme = parts.scheme.lowercased()
        guard scheme == "redis" || scheme == "rediss" else { throw .scheme }
        var url = RedisURL(tls: scheme == "rediss", host: "", port: 6379, database: 0)
        if let (user, password) = parts.credentials {
            guard case let .success(decodedUser) = URLParts.percentDecode(user) else { throw .encoding("the user name") }
            url.user = decodedUser.isEmpty ? nil : decodedUser
            if let password {
                guard case let .success(decoded) = URLParts.percentDecode(password) else { throw .encoding("the password") }
                url.password = decoded
            }
        }
        let (host, port) = parts.hostAndPort
        guard case let .success(decodedHost) = URLParts.percentDecode(host), !decodedHost.isEmpty else { throw .missingHost }
        url.host = decodedHost.hasPrefix("[") && decodedHost.hasSuffix("]") ? String(decodedHost.dropFirst().dropLast()) : decodedHost
        if let port, !port.isEmpty {
            guard let number = URLParts.port(port) else { throw .port }
            url.port = number
        }
        let path = parts.path.drop { $0 == "/" }
        if !path.isEmpty {
            guard let number = Int(path), number >= 0 else { throw .database }
            url.database = number
        }
        return url
    }
}

/// Why a `REDIS_URL` cannot be used.
public enum RedisURLError: Error, Sendable, Equatable {
    case scheme, missingHost, port, database
    case encoding(String)
}

extension RedisURLError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .scheme: "REDIS_URL must start with redis:// or rediss:// (TLS)"
        case .missingHost: "REDIS_URL has no host"
        case .port: "the port of REDIS_URL is not a number from 1 to 65535"
        case .database: "the path of REDIS_URL must be a database number such as /0"
        case let .encoding(part): "invalid percent-encoding in \(part) of REDIS_URL"
        }
    }
}
