/// Checks `DATABASE_URL` and `DIRECT_URL` the way Prisma reads them (api-facts sections 5 and 6).
enum DatabaseURLValidator {
    /// Prisma's numeric query parameters: a value that does not parse makes Prisma reject the URL.
    static let integerParameters: Set<String> = [
        "connection_limit", "connect_timeout", "pool_timeout", "socket_timeout", "statement_cache_size",
        "max_connection_lifetime", "max_idle_connection_lifetime",
    ]

    /// Every query parameter Prisma reads; it silently drops the rest.
    static let knownParameters: Set<String> = integerParameters.union([
        "schema", "sslmode", "sslaccept", "sslcert", "sslidentity", "sslpassword", "sslrootcert", "pgbouncer",
        "application_name", "options", "channel_binding", "host",
    ])

    static func validate(_ name: String, _ value: String, in configuration: Configuration) -> VariableFinding {
        var result = FindingBuilder(name: name, shown: SecretMask.url(value))
        let lower = value.lowercased()
        if lower.hasPrefix("prisma://") || lower.hasPrefix("prisma+postgres://") {
            return accelerate(name, value, in: configuration, result)
        }
        let url: PostgresURL
        do {
            url = try PostgresURL.parse(value)
        } catch {
            result.fail(error.errorDescription ?? "invalid URL")
            return result.finding(passMessage: "")
        }
        for (key, parameter) in url.parameters {
            check(key, parameter, host: url.host, into: &result)
        }
        if url.database == nil { result.warn("no database name: PostgreSQL will use the user name") }

        let place = url.host.isEmpty ? "a local socket" : url.host + (url.port.map { ":\($0)" } ?? "")
        let database = url.database.map { "`\($0)`" } ?? "(default)"
        let user = url.user.map { " as `\($0)`" } ?? ""
        return result.finding(passMessage: "PostgreSQL database \(database) on \(place)\(user)")
    }

    /// Checks one query parameter against what Prisma's engine accepts.
    private static func check(_ key: String, _ value: String, host: String, into result: inout FindingBuilder) {
        let named = key.quotable.map { "`\($0)`" } ?? "an unnamed parameter"
        switch key {
        case _ where integerParameters.contains(key):
            if UInt32(value) == nil {
                result.fail("query parameter \(key) must be a whole number (Prisma rejects the URL otherwise)")
            }
        case "pgbouncer":
            if value != "true" && value != "false" { result.fail("query parameter pgbouncer must be true or false") }
        case "sslmode":
            switch value.lowercased() {
            case "prefer", "require": break
            case "disable":
                if !host.isEmpty, !URLParts.isLocal(host) {
                    result.warn("sslmode=disable on a remote host: the connection is not encrypted")
                }
            default:
                let shown = value.quotable.map { "sslmode=\($0)" } ?? "this sslmode value"
                result.warn("Prisma treats \(shown) as prefer (it accepts only disable, prefer and require)")
            }
        case "sslaccept":
            if value != "strict" && value != "accept_invalid_certs" {
                result.warn("Prisma treats an unknown sslaccept value as strict")
            }
        case _ where knownParameters.contains(key): break
        default:
            result.warn("Prisma ignores unknown parameter \(named)")
        }
    }

    /// Checks a Prisma Accelerate URL (`prisma://` or `prisma+postgres://`).
    private static func accelerate(
        _ name: String, _ value: String, in configuration: Configuration, _ start: FindingBuilder
    ) -> VariableFinding {
        var result = start
        if name == "DIRECT_URL" {
            result.fail("DIRECT_URL must be a direct postgresql:// connection, not Prisma Accelerate")
            return result.finding(passMessage: "")
        }
        guard let parts = URLParts.split(value), !parts.hostport.isEmpty else {
            result.fail("the Accelerate URL has no host")
            return result.finding(passMessage: "")
        }
        if value.containsWhitespace { result.fail("the URL contains whitespace: a copy-paste error") }
        let pairs = (parts.query ?? "").split(separator: "&")
        let hasKey = pairs.contains { $0.hasPrefix("api_key=") && $0.count > "api_key=".count }
        if !hasKey { result.fail("the Accelerate URL has no api_key query parameter") }

        let host = parts.hostAndPort.host
        if URLParts.isLocal(host) {
            return result.finding(passMessage: "local Prisma Postgres at \(parts.hostport)")
        }
        if !result.hasFailure {
            var message = "Prisma Accelerate URL: hosted Accelerate is being retired on 2026-12-01"
            if configuration.value("DIRECT_URL") == nil {
                message += "; set DIRECT_URL to the direct postgresql:// URL (the doctor pings the database through it)"
            }
            result.warn(message)
        }
        return result.finding(passMessage: "")
    }
}
