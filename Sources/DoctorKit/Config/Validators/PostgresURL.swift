import Foundation

/// A PostgreSQL connection URL as Prisma and libpq read it, split and percent-decoded by hand.
///
/// Foundation's `URL` guesses on bad input; this parser instead names what is wrong, so that a
/// password with an unescaped `@` is reported as such rather than read as a strange host.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    /// `postgresql` or `postgres`, lowercased.
    public var scheme: String
    /// The decoded user name, if any.
    public var user: String?
    /// The decoded password, if any. Never print it.
    public var password: String?
    /// The decoded host; empty when a `host` query parameter names a socket directory instead.
    public var host: String
    /// The port, when given.
    public var port: Int?
    /// The decoded database name, when given.
    public var database: String?
    /// The decoded query parameters, in order.
    public var parameters: [(String, String)]

    /// A URL with the given parts.
    public init(
        scheme: String = "postgresql", user: String? = nil, password: String? = nil, host: String,
        port: Int? = nil, database: String? = nil, parameters: [(String, String)] = []
    ) {
        self.scheme = scheme
        self.user = user
        self.password = password
        self.host = host
        self.port = port
        self.database = database
        self.parameters = parameters
    }

    /// The last value of the query parameter `name`, if present.
    public func parameter(_ name: String) -> String? {
        parameters.last { $0.0 == name }?.1
    }

    /// The URL with its password and credential-like parameter values hidden.
    public var description: String {
        var text = scheme + "://"
        if let user { text += user + (password == nil ? "" : ":" + SecretMask.hidden) + "@" }
        else if password != nil { text += ":" + SecretMask.hidden + "@" }
        text += host
        if let port { text += ":\(port)" }
        text += "/" + (database ?? "")
        if !parameters.isEmpty {
            text += "?" + parameters.map { name, value in
                name + "=" + (SecretMask.isCredentialName(name) ? SecretMask.hidden : value)
            }.joined(separator: "&")
        }
        return text
    }

    public static func == (lhs: PostgresURL, rhs: PostgresURL) -> Bool {
        lhs.scheme == rhs.scheme && lhs.user == rhs.user && lhs.password == rhs.password && lhs.host == rhs.host
            && lhs.port == rhs.port && lhs.database == rhs.database
            && lhs.parameters.map { [$0.0, $0.1] } == rhs.parameters.map { [$0.0, $0.1] }
    }

    /// Parses `postgresql://[user[:password]@]host[:port][/database][?key=value&…]`.
    public static func parse(_ text: String) throws(DatabaseURLError) -> PostgresURL {
        guard text == text.trimmingWhitespace else { throw .surroundingWhitespace }
        guard let parts = URLParts.split(text) else { throw .scheme(found: nil) }
        let scheme = parts.scheme.lowercased()
        guard scheme == "postgresql" || scheme == "postgres" else {
            throw .scheme(found: parts.scheme.quotable)
        }

        var url = PostgresURL(scheme: scheme, host: "")
        if let (user, password) = parts.credentials {
            try check(user, as: .userName)
            url.user = try decode(user, as: .userName)
            if let password {
                try check(password, as: .password)
                url.password = try decode(password, as: .password)
            }
        }

        if parts.hostport.containsWhitespace { throw .whitespace(.host) }
        if parts.hostport.contains(",") { throw .multipleHosts }
        let (host, port) = parts.hostAndPort
        url.host = try decode(host, as: .host)
        if let port, !port.isEmpty {
            guard let number = URLParts.port(port) else {
                throw .invalidPort(missingAt: parts.userinfo == nil && !port.allSatisfy(\.isNumber))
            }
            url.port = number
        }

        if parts.fragment != nil { throw .unescaped(["#"], in: parts.query == nil ? .databaseName : .query) }
        if parts.path.containsWhitespace { throw .whitespace(.databaseName) }
        let database = try decode(parts.path.dropFirst(), as: .databaseName)
        url.database = database.isEmpty ? nil : database

        if let query = parts.query {
            if query.containsWhitespace { throw .whitespace(.query) }
            for pair in query.split(separator: "&") {
                let equals = pair.firstIndex(of: "=") ?? pair.endIndex
                guard case let .success(name) = URLParts.percentDecode(pair[..<equals]) else {
                    throw .invalidParameterEncoding(name: nil)
                }
                let rawValue = equals < pair.endIndex ? pair[pair.index(after: equals)...] : ""
                guard case let .success(value) = URLParts.percentDecode(rawValue) else {
                    throw .invalidParameterEncoding(name: name.quotable)
                }
                url.parameters.append((name, value))
            }
        }
        if url.host.isEmpty && url.parameter("host") == nil { throw .missingHost }
        return url
    }

    /// Rejects URL delimiters and whitespace left unescaped in a userinfo part.
    private static func check(_ text: Substring, as part: DatabaseURLError.Part) throws(DatabaseURLError) {
        let found = URLParts.delimiterEncodings.map(\.0).filter { text.contains($0) }
        if !found.isEmpty { throw .unescaped(found, in: part) }
        if text.containsWhitespace { throw .whitespace(part) }
    }

    private static func decode(_ text: Substring, as part: DatabaseURLError.Part) throws(DatabaseURLError) -> String {
        switch URLParts.percentDecode(text) {
        case let .success(decoded): return decoded
        case let .failure(error): throw .invalidPercentEncoding(part, position: error.position)
        }
    }
}

/// Why a PostgreSQL URL cannot be used; messages name the part, never its value.
public enum DatabaseURLError: Error, Sendable, Equatable {
    /// A part of the URL, for messages.
    public enum Part: String, Sendable {
        case userName = "the user name"
        case password = "the password"
        case host = "the host"
        case databaseName = "the database name"
        case query = "the query"
    }

    /// Not `postgresql://` or `postgres://`; `found` is the scheme when it is safe to quote.
    case scheme(found: String?)
    /// Spaces or line breaks around the URL.
    case surroundingWhitespace
    /// Whitespace inside a part.
    case whitespace(Part)
    /// URL delimiters left unescaped inside a part.
    case unescaped([Character], in: Part)
    /// A `%` not followed by two hex digits, at a 1-based position in the part (0: not UTF-8).
    case invalidPercentEncoding(Part, position: Int)
    /// A query parameter with bad percent-encoding, named when safe.
    case invalidParameterEncoding(name: String?)
    /// No host and no `host` parameter.
    case missingHost
    /// A libpq multi-host list, which Prisma does not accept.
    case multipleHosts
    /// A port that is not a number from 1 to 65535; `missingAt` when it looks like `user:password`.
    case invalidPort(missingAt: Bool)
}

extension DatabaseURLError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case let .scheme(found):
            "the URL must start with the protocol `postgresql://` or `postgres://`"
                + (found.map { " (found `\($0)://`)" } ?? "")
        case .surroundingWhitespace: "the URL has leading or trailing whitespace: a copy-paste error"
        case let .whitespace(part): "\(part.rawValue) contains whitespace: percent-encode a space as %20"
        case let .unescaped(characters, part) where characters == ["#"] && part == .password:
            "the password contains an unescaped '#' (the URL fragment cuts the password there): encode '#' as %23"
        case let .unescaped(characters, part) where characters == ["#"]:
            "\(part.rawValue) contains an unescaped '#' (read as a URL fragment): encode '#' as %23"
        case let .unescaped(characters, part) where characters.count == 1:
            "\(part.rawValue) contains an unescaped '\(characters[0])': percent-encode it as "
                + URLParts.encoding(of: characters[0])
        case let .unescaped(characters, part):
            "\(part.rawValue) contains unescaped "
                + characters.map { "'\($0)'" }.joined(separator: " and ") + ": percent-encode them as "
                + characters.map(URLParts.encoding(of:)).joined(separator: " and ")
        case let .invalidPercentEncoding(part, 0):
            "\(part.rawValue) is not valid UTF-8 after percent-decoding"
        case let .invalidPercentEncoding(part, position):
            "invalid percent-encoding in \(part.rawValue) at character \(position): '%' must be followed by two hex digits (write a literal '%' as %25)"
        case let .invalidParameterEncoding(name):
            "invalid percent-encoding in "
                + (name.map { "the value of query parameter `\($0)`" } ?? "a query parameter name")
        case .missingHost: "missing host (after '@', or a `host` parameter naming a socket directory)"
        case .multipleHosts: "several hosts separated by ',': Prisma connects to a single host"
        case let .invalidPort(missingAt):
            "the port is not a number from 1 to 65535"
                + (missingAt ? " (if this is user:password, the '@host' part is missing)" : "")
        }
    }
}

extension StringProtocol {
    /// The text without leading and trailing whitespace and line breaks.
    var trimmingWhitespace: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
