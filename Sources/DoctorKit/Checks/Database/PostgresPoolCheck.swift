import Foundation

/// Check kind `postgres-pool`: connection-pool usage, the guide's "DB Connection Pool" metric.
///
/// The pool the guide means is Prisma's: `connection_limit` connections per instance of the
/// service, so the service role's open connections (the doctor's own sessions left out) are compared with `connection_limit` ×
/// `instances` (parameters override the URL; the doctor's own session is not counted). All
/// connections are also compared with the server's `max_connections` (less those reserved for
/// superusers). Thresholds default to the guide's 70 % and 90 %; the worse of the two figures decides.
public struct PostgresPoolCheck: CheckKind {
    public static let name = "postgres-pool"

    public static func make(_ parameters: ParameterReader, step: StepSettings) throws(RunbookError) -> any Check {
        let variable = try DatabaseStep.variable(parameters)
        let limit = try parameters.int("connection_limit", in: 1...100_000)
        let instances = try parameters.int("instances", in: 1...1000)
        try parameters.finish(kind: name)
        let warn = try step.percentThreshold(step.warn, name: "warn") ?? 70
        let fail = try step.percentThreshold(step.fail, name: "fail") ?? 90
        if warn > fail, let value = step.warn {
            throw RunbookError(value.location, "thresholds.warn (\(warn)%) is above thresholds.fail (\(fail)%)")
        }
        return Pool(variable: variable, connectionLimit: limit, instances: instances, warn: warn, fail: fail,
                    timeout: step.timeout ?? .seconds(10))
    }

    /// A configured `postgres-pool` step.
    struct Pool: Check {
        let variable: String
        let connectionLimit: Int?
        let instances: Int?
        let warn: Double
        let fail: Double
        let timeout: Duration

        func run(in context: CheckContext) async -> CheckOutcome {
            await DatabaseStep.run(context, variable: variable) { (info, connection, evidence) throws(PostgresError) in
                // pg_stat_activity is a view over shared memory: cheap whatever the database's size.
                let result = try await connection.query("""
                    SELECT current_user AS role,
                           count(*) FILTER (WHERE usename = current_user AND pid <> pg_backend_pid())::text AS role_connections,
                           count(*) FILTER (WHERE pid <> pg_backend_pid())::text AS all_connections,
                           current_setting('max_connections') AS max_connections,
                           current_setting('superuser_reserved_connections') AS reserved
                    FROM pg_stat_activity WHERE backend_type = 'client backend' AND application_name IS DISTINCT FROM 'doctor'
                    """, deadline: context.deadline)
                let role = result.first("role") ?? info.user ?? "?"
                let roleCount = Int(result.first("role_connections") ?? "") ?? 0
                let allCount = Int(result.first("all_connections") ?? "") ?? 0
                let maxConnections = Int(result.first("max_connections") ?? "") ?? 100
                let reserved = Int(result.first("reserved") ?? "") ?? 0
                let usable = max(1, maxConnections - reserved)
                evidence["role"] = .string(role)
                evidence["role_connections"] = .int(roleCount)
                evidence["all_connections"] = .int(allCount)
                evidence["max_connections"] = .int(maxConnections)
                evidence["superuser_reserved_connections"] = .int(reserved)

                var parts: [String] = []
                var worst = Double(allCount) / Double(usable) * 100
                var hint: String?
                let perInstance = connectionLimit ?? info.connectionLimit
                if let perInstance {
                    let pool = perInstance * (instances ?? 1)
                    let usage = Double(roleCount) / Double(pool) * 100
                    evidence["pool_size"] = .int(pool)
                    evidence["pool_usage_percent"] = .double((usage * 10).rounded() / 10)
                    let across = instances.map { " (\(perInstance) × \($0) instances)" } ?? ""
                    parts.append("pool: \(roleCount) of \(pool) connections of \(role) open (\(Int(usage.rounded()))%)\(across)")
                    if usage >= warn {
                        hint = "Prisma's pool is nearly exhausted: requests wait up to pool_timeout and then fail with P2024. Look for slow queries or leaked transactions, or raise connection_limit within the server's max_connections."
                    }
                    worst = max(worst, usage)
                } else {
                    parts.append("\(roleCount) connections of \(role) open (connection_limit unknown: Prisma's default is CPUs × 2 + 1 per instance)")
                }
                let serverUsage = Double(allCount) / Double(usable) * 100
                evidence["server_usage_percent"] = .double((serverUsage * 10).rounded() / 10)
                parts.append("server: \(allCount) of \(usable) connections (\(Int(serverUsage.rounded()))%)")
                if serverUsage >= warn && hint == nil {
                    hint = "The server is running out of connections: find who holds them (pg_stat_activity), put PgBouncer in front, or raise max_connections."
                }
                let summary = parts.joined(separator: "; ")
                if worst >= fail { return CheckOutcome(.fail, "\(summary), over the \(Int(fail))% critical threshold", evidence: evidence, hint: hint) }
                if worst >= warn { return CheckOutcome(.warn, "\(summary), over the \(Int(warn))% warning threshold", evidence: evidence, hint: hint) }
                return CheckOutcome(.pass, summary, evidence: evidence)
            }
        }
    }
}
