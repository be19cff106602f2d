import Foundation

/// What the database check kinds share: finding the database, opening the run's session, and
/// turning a failure into an outcome in Prisma's terms.
enum DatabaseStep {
    /// The `variable` parameter: which variable holds the URL (default `DATABASE_URL`).
    static func variable(_ parameters: ParameterReader) throws(RunbookError) -> String {
        let name = try parameters.optionalString("variable") ?? "DATABASE_URL"
        guard EnvCheck.isVariableName(name) else {
            throw RunbookError(parameters.value("variable")!.location, "`variable` must be a variable name such as DATABASE_URL")
        }
        return name
    }

    /// Whether `value` is a Prisma Accelerate (or Prisma Postgres through Accelerate) URL.
    static func isAccelerate(_ value: String) -> Bool {
        let lower = value.lowercased()
        return lower.hasPrefix("prisma://") || lower.hasPrefix("prisma+postgres://")
    }

    /// The libpq parameters of the database, or the outcome to report instead.
    ///
    /// An Accelerate `DATABASE_URL` is no database URL: the database itself is reached through
    /// `DIRECT_URL`, as Prisma's CLI does; without it the step is skipped with that reason.
    static func target(_ context: CheckContext, variable: String, evidence: inout Evidence) -> Result<PostgresConnectionInfo, StepStop> {
        if let reason = context.resources.unavailable["postgres"] {
            return .failure(StepStop(.skip, reason))
        }
        guard var value = context.configuration.value(variable) else {
            return .failure(StepStop(.unknown, "\(variable) is not set",
                                         hint: "Set \(variable) to the service's PostgreSQL connection string (Render → Environment, or .env)."))
        }
        var used = variable
        if isAccelerate(value) {
            guard let direct = context.configuration.value("DIRECT_URL") else {
                return .failure(StepStop(
                    .skip, "\(variable) is Prisma Accelerate and DIRECT_URL is not set: the database itself cannot be reached from here",
                    hint: "Set DIRECT_URL to the database's direct postgresql:// URL to check the database; hosted Accelerate is being retired on 2026-12-01."))
            }
            evidence["accelerate"] = .string("\(variable) is Prisma Accelerate; the database is reached through DIRECT_URL")
            value = direct
            used = "DIRECT_URL"
        }
        let url: PostgresURL
        do {
            url = try PostgresURL.parse(value)
        } catch {
            return .failure(StepStop(
                .unknown, "P1013: \(used) is invalid: \(error.errorDescription ?? "cannot parse")",
                evidence: evidence,
                hint: "Fix \(used): special characters in the user name or password must be percent-encoded (@ as %40, # as %23, / as %2F)."))
        }
        let info = PostgresConnectionInfo(url: url)
        evidence["database"] = .string(info.description)
        if !info.dropped.isEmpty { evidence["prisma_only_parameters"] = .array(info.dropped.map { .string($0) }) }
        if !info.ignored.isEmpty { evidence["ignored_parameters"] = .array(info.ignored.map { .string($0) }) }
        return .success(info)
    }

    /// The database a step targets and the run's shared session with it, for steps that need
    /// both at once (everything but the ping, which looks before it connects).
    static func open(
        _ context: CheckContext, variable: String, evidence: inout Evidence
    ) async -> Result<(info: PostgresConnectionInfo, connection: PostgresConnection), StepStop> {
        let info: PostgresConnectionInfo
        switch target(context, variable: variable, evidence: &evidence) {
        case let .success(found): info = found
        case let .failure(stop): return .failure(stop)
        }
        return await session(context, info, evidence: &evidence).map { (info, $0.connection) }
    }

    /// Runs a database step's `body` with the database, the run's session and the evidence every
    /// database step starts with: no database to ask is the stop's outcome, a failed query the
    /// failure in plain words with its Prisma hint.
    static func run(
        _ context: CheckContext, variable: String,
        _ body: (PostgresConnectionInfo, PostgresConnection, inout Evidence) async throws(PostgresError) -> CheckOutcome
    ) async -> CheckOutcome {
        var evidence = Evidence()
        let (info, connection): (PostgresConnectionInfo, PostgresConnection)
        switch await open(context, variable: variable, evidence: &evidence) {
        case let .success(found): (info, connection) = (found.info, found.connection)
        case let .failure(stop): return stop.outcome
        }
        do {
            return try await body(info, connection, &evidence)
        } catch {
            return outcome(for: error, info: info, evidence: evidence)
        }
    }

    /// The run's session for `info`, or the failure as an outcome.
    static func session(
        _ context: CheckContext, _ info: PostgresConnectionInfo, evidence: inout Evidence
    ) async -> Result<(connection: PostgresConnection, reused: Bool), StepStop> {
        do {
            let session = try await context.resources.postgres.connection(for: info, deadline: context.deadline)
            return .success(session)
        } catch {
            return .failure(StepStop(outcome(for: error, info: info, evidence: evidence)))
        }
    }

    /// A failure as an outcome, with the hint for its Prisma code.
    static func outcome(for error: PostgresError, info: PostgresConnectionInfo, evidence: Evidence) -> CheckOutcome {
        var evidence = evidence
        if let code = error.prismaCode { evidence["prisma_code"] = .string(code) }
        let summary = info.scrub(error.errorDescription ?? "failed")
        switch error {
        case .invalidParameters:
            return CheckOutcome(.unknown, summary, evidence: evidence, hint: hint(for: error))
        default:
            return CheckOutcome(.fail, summary, evidence: evidence, hint: hint(for: error))
        }
    }

    /// What to do about each failure, as an on-call engineer would put it.
    static func hint(for error: PostgresError) -> String? {
        switch error {
        case .authenticationFailed:
            "The user name or password in DATABASE_URL is wrong (rotated credentials?): copy the current connection string into Render → Environment; percent-encode special characters."
        case .unreachable:
            "Nothing answers at the database's host and port: check the host and port in DATABASE_URL, that the database is running, and that it accepts connections from outside (IP allow-list)."
        case .timedOut:
            "The server took the TCP connection but did not answer: it is overloaded, or a proxy or firewall holds the connection. Check the database's status page and CPU."
        case .databaseMissing:
            "The database name (the path of DATABASE_URL) is wrong, or the database was dropped: compare it with the provider's console."
        case .accessDenied:
            "The role may not connect to this database: GRANT CONNECT, or use the role the database belongs to."
        case .tls:
            "TLS failed: check sslmode (disable, prefer or require) and sslcert (Prisma reads it as the server's CA, relative to the prisma folder)."
        case .serverRefused:
            "The server refused the session (too many connections, starting up or shutting down): check max_connections and Prisma's connection_limit × instances."
        case .queryTimedOut:
            "The database is slow to answer: look for long-running queries and locks (pg_stat_activity), and for N+1 queries in the webhook handler."
        case .invalidParameters:
            "libpq rejected the connection parameters: check DATABASE_URL's query parameters."
        case .query, .closed:
            nil
        }
    }

    /// A round-trip time with sub-millisecond precision, for evidence and summaries.
    static func milliseconds(_ duration: Duration) -> String {
        let ms = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        return ms < 10 ? String(format: "%.2fms", ms) : String(format: "%.0fms", ms)
    }

    /// A span in words an engineer reads at a glance: `45s`, `12m`, `3h 5m`, `30h`, `2d 4h`.
    static func span(seconds: Int) -> String {
        let s = max(0, seconds)
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" }
        if s < 172_800 { return s % 3600 / 60 == 0 ? "\(s / 3600)h" : "\(s / 3600)h \(s % 3600 / 60)m" }
        return s % 86_400 / 3600 == 0 ? "\(s / 86_400)d" : "\(s / 86_400)d \(s % 86_400 / 3600)h"
    }

    /// A duration as fractional milliseconds, for JSON evidence.
    static func millisecondsValue(_ duration: Duration) -> Double {
        let ms = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        return (ms * 1000).rounded() / 1000
    }
}
