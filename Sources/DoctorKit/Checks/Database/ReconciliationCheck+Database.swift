import Foundation

/// How a reconciliation finds payment rows: the table and its columns are checked once, then the
/// rows are read by id in batches, through the id column's index.
///
/// Ids go to the server as one text-array parameter (`= ANY($1::text[])`); only the runbook's own
/// table and column names, quoted, are part of the SQL text.
struct PaymentLookup: Sendable {
    let schema: String
    let table: String
    let idColumn: String
    let timeColumn: String
    /// The row's status and amount, compared with Stripe's when the table has them.
    var statusColumn = "status"
    var amountColumn = "amount"

    /// A table this small (on disk) may be read without an index on the id column.
    static let smallTableBytes = 16 * 1024 * 1024
    /// Ids per query: one round trip for a typical day, and a bounded statement.
    static let batchSize = 500

    /// What `inspect` found out about the table.
    struct Target: Sendable {
        /// Whether the time column exists, so the webhook lag can be measured.
        let timeColumnFound: Bool
        /// Whether the status and amount columns exist, so matched rows can be compared with Stripe.
        var statusColumnFound = false
        var amountColumnFound = false
    }

    /// The rows found for some ids.
    struct Rows: Sendable {
        /// The ids that have a row.
        var ids: Set<String> = []
        /// When each row was written, Unix milliseconds (when the time column exists and is set).
        var recordedMilliseconds: [String: Int64] = [:]
        /// Each row's status and amount as text (when the columns exist and are set).
        var statuses: [String: String] = [:]
        var amounts: [String: String] = [:]
    }

    /// `"public"."Payment"`.
    var qualified: String { PostgresConnectionInfo.quoteIdentifier(schema) + "." + PostgresConnectionInfo.quoteIdentifier(table) }

    /// Whether the table and id column exist and the id column can be searched without a scan;
    /// otherwise the outcome to report, with `evidence`.
    func inspect(
        on connection: PostgresConnection, evidence: Evidence, deadline: ContinuousClock.Instant
    ) async throws(PostgresError) -> Result<Target, StepStop> {
        var evidence = evidence
        let found = try await connection.query("""
            SELECT c.oid::text AS oid, c.relname, pg_relation_size(c.oid)::text AS bytes
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND lower(c.relname) = lower($2) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
            ORDER BY c.relname = $2 DESC LIMIT 1
            """, [schema, table], deadline: deadline)
        guard let oid = found.first("oid"), found.first("relname") == table else {
            let near = found.first("relname").map { " (\(schema).\($0) exists: created without quotes?)" } ?? ""
            evidence["prisma_code"] = .string("P2021")
            return .failure(StepStop(
                .fail, "table \(qualified) does not exist (Prisma P2021)\(near): Stripe's payments cannot be matched", evidence: evidence,
                hint: "Run the service's migrations against this database (npx prisma migrate deploy), or set `table` to the payments table and `schema` in DATABASE_URL."))
        }
        let columns = try await connection.query(
            "SELECT attname, attnum::text FROM pg_attribute WHERE attrelid = $1::oid AND attnum > 0 AND NOT attisdropped AND attname IN ($2, $3, $4, $5)",
            [oid, idColumn, timeColumn, statusColumn, amountColumn], deadline: deadline)
        let numbers = Dictionary(columns.rows.compactMap { row in row[0].map { ($0, row[1] ?? "") } }, uniquingKeysWith: { first, _ in first })
        guard let idNumber = numbers[idColumn] else {
            evidence["prisma_code"] = .string("P2022")
            return .failure(StepStop(
                .fail, "\(qualified) has no column \(PostgresConnectionInfo.quoteIdentifier(idColumn)) (Prisma P2022): Stripe's payments cannot be matched",
                evidence: evidence,
                hint: "Set `id_column` to the column holding Stripe's payment intent id, or run the pending migrations (npx prisma migrate deploy)."))
        }
        let indexed = try await connection.query(
            "SELECT 1 FROM pg_index WHERE indrelid = $1::oid AND indkey[0] = $2::smallint AND indpred IS NULL LIMIT 1",
            [oid, idNumber], deadline: deadline)
        let bytes = Int(found.first("bytes") ?? "") ?? Int.max
        if indexed.rows.isEmpty && bytes > Self.smallTableBytes {
            evidence["table_bytes"] = .int(bytes)
            return .failure(StepStop(
                .unknown, "not compared: \(qualified).\(PostgresConnectionInfo.quoteIdentifier(idColumn)) has no index and the table is \(bytes / 1_048_576) MiB, so matching ids would scan it",
                evidence: evidence,
                hint: "Mark the column @unique in the Prisma schema (the webhook handler looks payments up by it too) and migrate; until then reconcile from a replica."))
        }
        return .success(Target(timeColumnFound: numbers[timeColumn] != nil, statusColumnFound: numbers[statusColumn] != nil,
                               amountColumnFound: numbers[amountColumn] != nil))
    }

    /// The rows of `ids`, read in batches by id.
    func rows(
        ids: [String], target: Target, on connection: PostgresConnection, deadline: ContinuousClock.Instant
    ) async throws(PostgresError) -> Rows {
        var found = Rows()
        let id = PostgresConnectionInfo.quoteIdentifier(idColumn)
        let time = target.timeColumnFound
            ? "floor(extract(epoch FROM \(PostgresConnectionInfo.quoteIdentifier(timeColumn))) * 1000)::bigint::text" : "NULL::text"
        let status = target.statusColumnFound ? "\(PostgresConnectionInfo.quoteIdentifier(statusColumn))::text" : "NULL::text"
        let amount = target.amountColumnFound ? "\(PostgresConnectionInfo.quoteIdentifier(amountColumn))::text" : "NULL::text"
        var start = ids.startIndex
        while start < ids.endIndex {
            let end = min(start + Self.batchSize, ids.endIndex)
            let result = try await connection.query(
                "SELECT \(id)::text AS id, \(time) AS recorded_ms, \(status) AS status, \(amount) AS amount FROM \(qualified) WHERE \(id) = ANY($1::text[])",
                [Self.arrayLiteral(ids[start..<end])], deadline: deadline)
            for row in result.rows {
                guard let rowID = row[0] else { continue }
                found.ids.insert(rowID)
                if let text = row[1], let milliseconds = Int64(text) { found.recordedMilliseconds[rowID] = milliseconds }
                if let text = row[2] { found.statuses[rowID] = text }
                if let text = row[3] { found.amounts[rowID] = text }
            }
            start = end
        }
        return found
    }

    /// `{"pi_1","pi_2"}`: PostgreSQL's array input syntax, every element quoted and escaped, so any
    /// text is one element (the value is a bound parameter, never SQL).
    static func arrayLiteral<C: Collection<String>>(_ items: C) -> String {
        let elements = items.map { item in
            "\"" + item.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        return "{" + elements.joined(separator: ",") + "}"
    }
}
