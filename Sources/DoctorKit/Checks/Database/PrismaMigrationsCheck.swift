import Foundation

/// Check kind `prisma-migrations`: `prisma migrate deploy` finished every migration it started.
///
/// Prisma records each migration in `"_prisma_migrations"` (api-facts §9): a row whose
/// `finished_at` and `rolled_back_at` are both null is a migration that started and did not finish —
/// a failed `migrate deploy`, the usual cause of P2021/P2022 ("table/column does not exist") right
/// after a deploy, and Prisma refuses every later `migrate deploy` until it is resolved. Such a row
/// fails the step, naming the migration, when it started and the first line of its logs (redacted).
/// Without the table the database is not managed by `prisma migrate` (`db push`, or another tool):
/// skipped, said so. Otherwise the step passes with the newest applied migration, so a run shows
/// which schema version is live.
public struct PrismaMigrationsCheck: CheckKind {
    public static let name = "prisma-migrations"
    static let table = "_prisma_migrations"
    /// How many of the newest applied migrations' names the evidence keeps.
    static let namesKept = 50

    public static func make(_ parameters: ParameterReader, step: StepSettings) throws(RunbookError) -> any Check {
        try step.rejectThresholds(kind: name)
        let variable = try DatabaseStep.variable(parameters)
        try parameters.finish(kind: name)
        return Migrations(variable: variable, timeout: step.timeout ?? .seconds(15))
    }

    /// A configured `prisma-migrations` step.
    struct Migrations: Check {
        let variable: String
        let timeout: Duration

        func run(in context: CheckContext) async -> CheckOutcome {
            await DatabaseStep.run(context, variable: variable) { (info, connection, evidence) throws(PostgresError) in
                let qualified = PostgresConnectionInfo.quoteIdentifier(info.schema) + "." + PostgresConnectionInfo.quoteIdentifier(PrismaMigrationsCheck.table)
                let exists = try await connection.query(
                    "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2",
                    [info.schema, PrismaMigrationsCheck.table], deadline: context.deadline)
                guard !exists.rows.isEmpty else {
                    return CheckOutcome(.skip, "no \(qualified) table: this database's schema is not managed by prisma migrate (db push, or another tool)",
                                        evidence: evidence)
                }
                evidence["table"] = .string(qualified)
                let unfinished = try await connection.query("""
                    SELECT migration_name, to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS started,
                           coalesce(split_part(btrim(logs, E' \\n\\r\\t'), E'\\n', 1), '') AS first_log
                    FROM \(qualified) WHERE finished_at IS NULL AND rolled_back_at IS NULL ORDER BY started_at LIMIT 5
                    """, [], deadline: context.deadline)
                let applied = try await connection.query("""
                    SELECT count(*)::text AS applied, max(migration_name) FILTER (WHERE finished_at = latest) AS newest,
                           to_char(max(finished_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS newest_at
                    FROM (SELECT migration_name, finished_at, max(finished_at) OVER () AS latest FROM \(qualified)
                          WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL) applied
                    """, [], deadline: context.deadline)
                evidence["applied"] = .int(Int(applied.first("applied") ?? "") ?? 0)
                // The newest names, so a later run can say which migrations were applied since.
                let recent = try await connection.query("""
                    SELECT migration_name FROM \(qualified) WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL
                    ORDER BY finished_at DESC, migration_name DESC LIMIT \(PrismaMigrationsCheck.namesKept)
                    """, [], deadline: context.deadline)
                evidence["applied_names"] = .array(recent.rows.reversed().compactMap { $0[0].map { .string($0) } })
                if let newest = applied.first("newest") { evidence["newest_applied"] = .string(newest) }
                if let at = applied.first("newest_at") { evidence["newest_applied_at"] = .string(at) }
                let redactor = Redactor(context.configuration)
                let failed = unfinished.rows.map { row in
                    (name: row[0] ?? "?", started: row[1] ?? "?", log: redactor.redact(String((row[2] ?? "").prefix(200))))
                }
                guard let first = failed.first else {
                    let newest = applied.first("newest").map { "; newest \($0)" + (applied.first("newest_at").map { " (\($0))" } ?? "") } ?? ""
                    return CheckOutcome(.pass, "every migration in \(qualified) finished (\(applied.first("applied") ?? "0") applied\(newest))", evidence: evidence)
                }
                evidence["unfinished"] = .array(failed.map { .string("\($0.name) started \($0.started)" + ($0.log.isEmpty ? "" : ": \($0.log)")) })
                let more = failed.count > 1 ? " and \(failed.count - 1) more" : ""
                return CheckOutcome(
                    .fail, "migration \(first.name) started \(first.started) and never finished\(more): a failed prisma migrate deploy" + (first.log.isEmpty ? "" : " (\(first.log))"),
                    evidence: evidence,
                    hint: "Tables or columns it adds are missing (Prisma P2021/P2022 after the deploy), and prisma migrate deploy refuses to run again until it is resolved: fix the migration, then `npx prisma migrate resolve --rolled-back \(first.name)` (or `--applied` if its changes are in place) and deploy again.")
            }
        }
    }
}
