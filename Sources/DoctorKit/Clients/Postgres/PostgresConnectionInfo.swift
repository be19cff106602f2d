import Foundation

/// The libpq connection parameters for a database given as a Prisma URL, and how they were derived.
///
/// Prisma accepts parameters libpq rejects outright (`invalid URI query parameter: "schema"`), so
/// the URL is never handed to libpq: its parts become keyword/value pairs. Prisma-only parameters are
/// dropped, Prisma's `sslcert` (a CA file) becomes libpq's `sslrootcert`, `schema` becomes the
/// search path, and the session is made a polite guest: read-only, with statement and lock timeouts
/// so that an abandoned query ends by itself (libpq 15's cancel blocks, so the doctor never cancels).
public struct PostgresConnectionInfo: Sendable, Hashable, CustomStringConvertible {
    /// libpq keywords and values, password included. Never print them; use `description`.
    private(set) var keywords: [String: String]
    /// The decoded password, kept to scrub it from any text that might echo it.
    private let password: String?
    /// The host as shown in messages (a socket directory when the URL has no host).
    public let hostDisplay: String
    /// The port (5432 when the URL has none).
    public let port: Int
    /// The user name, when the URL has one.
    public let user: String?
    /// The database name, when the URL has one.
    public let database: String?
    /// Prisma's `schema`: the search path (default `public`).
    public let schema: String
    /// Prisma's `connection_limit`, when set: the pool size of one instance of the service.
    public let connectionLimit: Int?
    /// Prisma-only parameters that were left out for libpq, by name.
    public let dropped: [String]
    /// Parameters neither Prisma nor libpq reads (Prisma ignores them too), by name.
    public let ignored: [String]
    /// libpq's `connect_timeout` in whole seconds.
    public private(set) var connectTimeoutSeconds: Int

    /// A copy whose `connect_timeout` ends within `limit` (libpq counts whole seconds and never
    /// fewer than 2), for the blocking calls only `connect_timeout` bounds, such as `PQpingParams`:
    /// a server that takes the connection and never speaks is then reported by the step itself,
    /// before its timeout, rather than cut off by it.
    public func connectTimeout(within limit: Duration) -> PostgresConnectionInfo {
        // Half a second for the rest of the step: libpq may also end up to a second early.
        let fits = Int((limit - .milliseconds(500)).seconds.rounded(.down))
        var copy = self
        copy.connectTimeoutSeconds = max(2, min(connectTimeoutSeconds, fits))
        copy.keywords["connect_timeout"] = String(copy.connectTimeoutSeconds)
        return copy
    }

    /// Parameters Prisma reads and libpq does not know (api-facts section 5 and 6).
    static let prismaOnly: Set<String> = [
        "schema", "connection_limit", "pool_timeout", "socket_timeout", "pgbouncer", "sslaccept", "sslidentity",
        "sslpassword", "statement_cache_size", "max_connection_lifetime", "max_idle_connection_lifetime",
    ]

    /// Parameters both read the same way, passed on as they are.
    static let shared: Set<String> = ["sslrootcert", "options", "channel_binding", "host", "application_name"]

    /// Builds the parameters for `url`.
    ///
    /// - Parameters:
    ///   - statementTimeout: how long any statement may run on the server before it ends itself.
    ///   - lockTimeout: how long a statement may wait for a lock.
    ///   - connectTimeout: the most the connection attempt may take (libpq rounds up to whole seconds, at least 2).
    ///   - prismaDirectory: where Prisma resolves a relative `sslcert` (the folder holding `schema.prisma`).
    ///   - applicationName: how the session shows in `pg_stat_activity`; the pool check leaves out `doctor`.
    ///   - readOnly: every transaction read-only, as the doctor's own sessions always are; only a
    ///     stand-in playing the service (the sandbox writing its webhook rows) passes false.
    public init(
        url: PostgresURL, statementTimeout: Duration = .seconds(5), lockTimeout: Duration = .seconds(1),
        connectTimeout: Duration = .seconds(5), prismaDirectory: String = "prisma", applicationName: String = "doctor",
        readOnly: Bool = true
    ) {
        var keywords: [String: String] = [:]
        var dropped: [String] = []
        var ignored: [String] = []
        if !url.host.isEmpty {
            // libpq wants IPv6 literals without brackets.
            keywords["host"] = url.host.hasPrefix("[") && url.host.hasSuffix("]") ? String(url.host.dropFirst().dropLast()) : url.host
        }
        keywords["port"] = String(url.port ?? 5432)
        if let user = url.user { keywords["user"] = user }
        if let password = url.password { keywords["password"] = password }
        if let database = url.database { keywords["dbname"] = database }

        var urlTimeout: Int?
        for (name, value) in url.parameters {
            switch name {
            case "sslmode":
                // Prisma knows three modes and reads every other value as `prefer`; test what the service gets.
                keywords["sslmode"] = ["disable", "prefer", "require"].contains(value.lowercased()) ? value.lowercased() : "prefer"
            case "sslcert":
                // Prisma's sslcert is the server's CA, relative to the prisma folder; libpq's is a client certificate.
                keywords["sslrootcert"] = value.hasPrefix("/") ? value : prismaDirectory + "/" + value
                dropped.append("sslcert")
            case "connect_timeout":
                urlTimeout = Int(value)
            case _ where Self.shared.contains(name):
                keywords[name] = value
            case _ where Self.prismaOnly.contains(name):
                dropped.append(name)
            default:
                ignored.append(name)
            }
        }
        // Prisma's default is 5 s and 0 means none; the doctor always bounds it by the step.
        let wanted = urlTimeout.flatMap { $0 > 0 ? Duration.seconds($0) : nil } ?? .seconds(5)
        let seconds = max(2, Int(min(wanted, connectTimeout).seconds.rounded(.up)))
        keywords["connect_timeout"] = String(seconds)
        keywords["application_name"] = applicationName

        let schema = url.parameter("schema").flatMap { $0.isEmpty ? nil : $0 } ?? "public"
        let readOnlySetting: [String] = readOnly ? ["default_transaction_read_only=on"] : []
        let session = (readOnlySetting + [
            "TimeZone=UTC",
            "statement_timeout=\(Int(statementTimeout.milliseconds))",
            "lock_timeout=\(Int(lockTimeout.milliseconds))",
            "idle_in_transaction_session_timeout=\(Int(statementTimeout.milliseconds))",
            "search_path=" + Self.quoteIdentifier(schema),
        ]).map { "-c " + Self.escapeOption($0) }.joined(separator: " ")
        keywords["options"] = [keywords["options"], session].compactMap { $0 }.joined(separator: " ")

        self.keywords = keywords
        self.password = url.password
        hostDisplay = url.host.isEmpty ? (url.parameter("host") ?? "local socket") : url.host
        port = url.port ?? 5432
        user = url.user
        database = url.database
        self.schema = schema
        connectionLimit = url.parameter("connection_limit").flatMap(Int.init)
        self.dropped = dropped
        self.ignored = ignored
        connectTimeoutSeconds = seconds
    }

    /// Where and as whom, without the password: `payments@db.example.com:5432/payments`.
    public var description: String {
        "\(user.map { $0 + "@" } ?? "")\(hostDisplay):\(port)/\(database ?? "")"
    }

    /// Whether TLS is required by the parameters.
    public var sslMode: String { keywords["sslmode"] ?? "prefer" }

    /// `text` with the password removed, in case a message ever echoes it.
    public func scrub(_ text: String) -> String {
        guard let password, password.count >= 3 else { return text }
        return text.replacingOccurrences(of: password, with: SecretMask.hidden, options: .literal)
    }

    /// A double-quoted SQL identifier.
    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Escapes a value for libpq's `options`, where spaces separate arguments and `\` escapes.
    static func escapeOption(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: " ", with: "\\ ")
    }

    /// Calls `body` with NULL-terminated C arrays of keywords and values.
    func withCArrays<T>(_ body: (UnsafePointer<UnsafePointer<CChar>?>, UnsafePointer<UnsafePointer<CChar>?>) -> T) -> T {
        let pairs = keywords.sorted { $0.key < $1.key }
        let names = pairs.map { strdup($0.key) } + [nil]
        let values = pairs.map { strdup($0.value) } + [nil]
        defer {
            names.forEach { free($0) }
            values.forEach { free($0) }
        }
        let constNames = names.map { UnsafePointer($0) }
        let constValues = values.map { UnsafePointer($0) }
        return constNames.withUnsafeBufferPointer { n in
            constValues.withUnsafeBufferPointer { v in body(n.baseAddress!, v.baseAddress!) }
        }
    }
}

