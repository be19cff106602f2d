import Foundation

/// Check kind `postgres-schema`: the tables the service writes exist with their columns, and how
/// recently rows arrived.
///
/// Parameters: `tables` (table name to the columns it must have; default Prisma's quoted
/// mixed-case `"Payment"` and `"AiEvent"` with `id` and `createdAt`), `time_column` (default
/// `createdAt`), `window` (default 24h), `variable`. Tables are looked up in Prisma's `schema`.
/// No query scans a large table: row totals are `pg_class` estimates, and the recent count and
/// newest row are read through an index on the time column (or only from a small table).
public struct PostgresSchemaCheck: CheckKind {
    public static let name = "postgres-schema"

    static let defaultTables: [(String, [String])] = [("Payment", ["id", "createdAt"]), ("AiEvent", ["id", "createdAt"])]
    /// A table this small (on disk) may be read without an index.
    static let smallTableBytes = 16 * 1024 * 1024
    /// Recent rows are counted up to this many, so even an indexed count stays bounded.
    static let countCap = 100_000

    public static func make(_ parameters: ParameterReader, step: StepSettings) throws(RunbookError) -> any Check {
        try step.rejectThresholds(kind: name)
        let variable = try DatabaseStep.variable(parameters)
        var tables = defaultTables
        if let value = parameters.value("tables") {
            guard case let .mapping(members, _) = value, !members.isEmpty else {
                throw RunbookError(value.location, "`tables` must map table names to lists of columns, e.g. {Payment: [id, createdAt]}")
            }
            tables = []
            for member in members {
                var columns: [String] = []
                switch member.value {
                case let .scalar(text, _, _) where text.isEmpty || text == "null": break
                case let .scalar(text, _, _): columns = [text]
                case let .sequence(items, _):
                    for item in items {
                        guard case let .scalar(text, _, _) = item else {
                            throw RunbookError(item.location, "column names must be scalars")
                        }
                        columns.append(text)
                    }
                case .mapping:
                    throw RunbookError(member.value.location, "the columns of \(member.key) must be a list")
                }
                tables.append((member.key, columns))
            }
        }
        let timeColumn = try parameters.optionalString("time_column") ?? "createdAt"
        let window = try parameters.duration("window") ?? .seconds(86_400)
        try parameters.finish(kind: name)
        return Schema(variable: variable, tables: tables, timeColumn: timeColumn, window: window,
                      timeout: step.timeout ?? .seconds(15))
    }

    /// A configured `postgres-schema` step.
    struct Schema: Check {
        let variable: String
        let tables: [(String, [String])]
        let timeColumn: String
        let window: Duration
        let timeout: Duration

        func run(in context: CheckContext) async -> CheckOutcome {
            await DatabaseStep.run(context, variable: variable) { (info, connection, evidence) throws(PostgresError) in
                evidence["schema"] = .string(info.schema)
                var problems: [String] = []
                var hints: [String] = []
                var found: [String] = []
                for (table, columns) in tables {
                    let report = try await inspect(table, columns: columns, schema: info.schema, on: connection, deadline: context.deadline)
                    evidence[table] = report.evidence
                    if let problem = report.problem {
                        problems.append(problem)
                        if let hint = report.hint { hints.append(hint) }
                    } else {
                        found.append(report.line)
                    }
                }
                if !problems.isEmpty {
                    return CheckOutcome(.fail, problems.joined(separator: "; "), evidence: evidence,
                                        hint: hints.isEmpty ? nil : hints.joined(separator: " "))
                }
                return CheckOutcome(.pass, found.joined(separator: "; "), evidence: evidence)
            }
        }

        /// What one table looks like: found or not, its columns, size estimate and recent rows.
        private func inspect(
            _ table: String, columns: [String], schema: String, on connection: PostgresConnection,
            deadline: ContinuousClock.Instant
        ) async throws(PostgresError) -> TableReport {
            let qualified = "\(schema).\(PostgresConnectionInfo.quoteIdentifier(table))"
            let lookup = try await connection.query("""
                SELECT c.oid::text AS oid, c.relname, c.reltuples::bigint::text AS estimate,
                       pg_relation_size(c.oid)::text AS bytes
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = $1 AND lower(c.relname) = lower($2) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
                ORDER BY c.relname = $2 DESC LIMIT 1
                """, [schema, table], deadline: deadline)
            guard let oid = lookup.first("oid"), let relname = lookup.first("relname") else {
                return TableReport(
                    problem: "table \(qualified) does not exist (Prisma P2021)", evidence: .object([("exists", .bool(false))]),
                    hint: "Run the service's migrations against this database (npx prisma migrate deploy) or check `schema` in DATABASE_URL.")
            }
            guard relname == table else {
                return TableReport(
                    problem: "table \(qualified) does not exist, but \(schema).\(relname) does (Prisma P2021)",
                    evidence: .object([("exists", .bool(false)), ("found", .string(relname))]),
                    hint: "The table was created without quotes, so PostgreSQL folded its name to lower case; Prisma queries the quoted \"\(table)\". Recreate it through Prisma's migrations.")
            }
            var object: [(String, JSONValue)] = [("exists", .bool(true))]
            let estimate = Int(lookup.first("estimate") ?? "") ?? -1
            object.append(("estimated_rows", estimate >= 0 ? .int(estimate) : .string("never analyzed")))
            let attributes = try await connection.query(
                "SELECT attname, attnum::text FROM pg_attribute WHERE attrelid = $1::oid AND attnum > 0 AND NOT attisdropped",
                [oid], deadline: deadline)
            let names = Dictionary(attributes.rows.compactMap { row in row[0].map { ($0, row[1] ?? "") } }, uniquingKeysWith: { a, _ in a })
            // The column names, so a later run can say which columns appeared or went.
            object.append(("columns", .array(names.keys.sorted().prefix(200).map { .string($0) })))
            let missing = columns.filter { names[$0] == nil }
            if !missing.isEmpty {
                object.append(("missing_columns", .array(missing.map { .string($0) })))
                return TableReport(
                    problem: "\(qualified) lacks column\(missing.count == 1 ? "" : "s") " + missing.map { "\"\($0)\"" }.joined(separator: ", ") + " (Prisma P2022)",
                    evidence: .object(object),
                    hint: "The database is behind the service's Prisma schema: run the pending migrations (npx prisma migrate deploy).")
            }
            var line = "\(table) (" + (estimate >= 0 ? "~\(estimate) rows" : "size unknown")
            if let attnum = names[timeColumn] {
                let indexed = try await connection.query(
                    "SELECT 1 FROM pg_index WHERE indrelid = $1::oid AND indkey[0] = $2::smallint LIMIT 1",
                    [oid, attnum], deadline: deadline)
                let small = (Int(lookup.first("bytes") ?? "") ?? Int.max) <= PostgresSchemaCheck.smallTableBytes
                if !indexed.rows.isEmpty || small {
                    let column = PostgresConnectionInfo.quoteIdentifier(timeColumn)
                    let seconds = Int(window.seconds)
                    let recent = try await connection.query("""
                        SELECT count(*)::text AS recent FROM (SELECT 1 FROM \(qualified)
                        WHERE \(column) >= localtimestamp - make_interval(secs => $1::int) LIMIT \(PostgresSchemaCheck.countCap)) AS recent_rows
                        """, [String(seconds)], deadline: deadline)
                    let newest = try await connection.query("""
                        SELECT \(column)::text AS newest, floor(extract(epoch FROM localtimestamp - \(column)::timestamp))::bigint::text AS age
                        FROM \(qualified) WHERE \(column) IS NOT NULL ORDER BY \(column) DESC LIMIT 1
                        """, deadline: deadline)
                    let count = Int(recent.first("recent") ?? "") ?? 0
                    let span = DatabaseStep.span(seconds: seconds)
                    object.append(("rows_in_\(span)", .int(count)))
                    line += ", \(count == PostgresSchemaCheck.countCap ? "\(count)+" : "\(count)") in \(span)"
                    if let time = newest.first("newest"), let age = Int(newest.first("age") ?? "") {
                        object.append(("newest_row", .string(time + " UTC")))
                        object.append(("newest_age_s", .int(age)))
                        line += ", newest \(DatabaseStep.span(seconds: age)) ago"
                    } else {
                        line += ", no rows yet"
                    }
                } else {
                    object.append(("recent_rows", .string("not counted: no index on \"\(timeColumn)\" and the table is large")))
                }
            }
            return TableReport(problem: nil, evidence: .object(object), hint: nil, line: line + ")")
        }
    }

    /// One table's findings.
    struct TableReport {
        var problem: String?
        var evidence: JSONValue
        var hint: String?
        var line = ""
    }
}
