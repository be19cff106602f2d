import Foundation

/// Check kind `postgres-ping`: the database answers and the service's credentials work.
///
/// First `PQping` (what `pg_isready` reports: accepting, rejecting, no response, no attempt), then
/// a real authenticated session (a ping proves nothing about credentials; the session is the run's
/// shared one), then `SELECT 1` round trips. Thresholds apply to the median round trip.
public struct PostgresPingCheck: CheckKind {
    public static let name = "postgres-ping"

    static let defaultWarn = Duration.milliseconds(250)
    static let defaultFail = Duration.seconds(2)
    static let defaultTimeout = Duration.seconds(10)
    /// Round trips measured; the median is reported, so one scheduling hiccup does not decide.
    static let samples = 3

    public static func make(_ parameters: ParameterReader, step: StepSettings) throws(RunbookError) -> any Check {
        let variable = try DatabaseStep.variable(parameters)
        try parameters.finish(kind: name)
        let limits = try step.latencyLimits(warn: defaultWarn, fail: defaultFail, timeout: defaultTimeout)
        return Ping(variable: variable, warn: limits.warn, fail: limits.fail, timeout: limits.timeout)
    }

    /// A configured `postgres-ping` step.
    struct Ping: Check {
        let variable: String
        let warn: Duration
        let fail: Duration
        let timeout: Duration

        func run(in context: CheckContext) async -> CheckOutcome {
            var evidence = Evidence()
            let info: PostgresConnectionInfo
            switch DatabaseStep.target(context, variable: variable, evidence: &evidence) {
            case let .success(found): info = found
            case let .failure(stop): return stop.outcome
            }
            let clock = ContinuousClock()
            let pingStart = clock.now
            // PQpingParams blocks for up to connect_timeout (Prisma's 5 s by default): keep it inside the step.
            let pingInfo = info.connectTimeout(within: context.remaining)
            let ping = await PostgresPingResult.ping(pingInfo)
            let pingTime = clock.now - pingStart
            evidence["ping"] = .string(ping.rawValue)
            evidence["ping_ms"] = .double(DatabaseStep.millisecondsValue(pingTime))
            switch ping {
            case .noAttempt:
                return CheckOutcome(.unknown, "P1013: libpq made no attempt: the connection parameters are invalid", evidence: evidence,
                                    hint: DatabaseStep.hint(for: .invalidParameters("")))
            // libpq counts connect_timeout in whole seconds of the wall clock, so it may end up to a
            // second early.
            case .noResponse where pingTime >= .seconds(max(1, pingInfo.connectTimeoutSeconds - 1)):
                // No answer for the whole connect_timeout: the TCP connection was taken and nothing spoke.
                let error = PostgresError.timedOut(host: info.hostDisplay, port: info.port, after: pingTime)
                return DatabaseStep.outcome(for: error, info: info, evidence: evidence)
            case .noResponse, .rejecting, .accepting:
                // A quick "no response" or a rejection: the session attempt says why, in libpq's words.
                break
            }

            let session: (connection: PostgresConnection, reused: Bool)
            switch await DatabaseStep.session(context, info, evidence: &evidence) {
            case let .success(found): session = found
            case let .failure(stop): return stop.outcome
            }
            let connection = session.connection
            if !session.reused { evidence["connect_ms"] = .double(DatabaseStep.millisecondsValue(connection.connectDuration)) }
            evidence["session_reused"] = .bool(session.reused)
            evidence["server_version"] = .string(connection.serverVersion)
            evidence["tls"] = .string(connection.tls.map { "\($0.protocol) \($0.cipher)" } ?? "not in use")
            evidence["sslmode"] = .string(info.sslMode)

            var trips: [Duration] = []
            for _ in 0..<PostgresPingCheck.samples {
                do {
                    let result = try await connection.query("SELECT 1", deadline: context.deadline)
                    trips.append(result.duration)
                } catch {
                    return DatabaseStep.outcome(for: error, info: info, evidence: evidence)
                }
            }
            let median = trips.sorted()[trips.count / 2]
            evidence["select1_ms"] = .array(trips.map { .double(DatabaseStep.millisecondsValue($0)) })
            let tls = connection.tls == nil ? "no TLS" : "TLS"
            let summary = "PostgreSQL \(connection.serverVersion) \(ping.rawValue), \(info.user ?? "default user") authenticated, "
                + "SELECT 1 in \(DatabaseStep.milliseconds(median)) (\(tls))"
            // An authenticated session answered: the URL works, whatever its shape suggested.
            let proven = evidence["accelerate"] == nil ? variable : "DIRECT_URL"
            if median >= fail {
                return CheckOutcome(.fail, "\(summary), over the \(fail.short) critical threshold", evidence: evidence).proving(proven)
            }
            if median >= warn {
                return CheckOutcome(.warn, "\(summary), over the \(warn.short) threshold", evidence: evidence).proving(proven)
            }
            if connection.tls == nil, !URLParts.isLocal(info.hostDisplay), !info.hostDisplay.hasPrefix("/") {
                return CheckOutcome(.warn, "\(summary): the connection to a remote server is not encrypted", evidence: evidence,
                                    hint: "Add sslmode=require to DATABASE_URL so credentials and payment data are encrypted in transit.")
                    .proving(proven)
            }
            return CheckOutcome(.pass, summary, evidence: evidence).proving(proven)
        }
    }
}
