import Foundation

/// A table the audit check kinds read (`"AiEvent"`, `"Payment"`): found once in `pg_class`, its
/// columns and their types, and whether its time column can be read without scanning it.
///
/// Only the runbook's own table and column names, quoted, are ever part of SQL text; every value
/// (schema, names to look up, JSON paths, windows) is a bound parameter.
struct AuditTable: Sendable {
    /// A table this small (on disk) may be read without an index on the time column.
    static let smallTableBytes = 16 * 1024 * 1024

    /// `"public"."AiEvent"`.
    let qualified: String
    /// Column name → its type as `format_type` writes it (`jsonb`, `text`, `timestamp(3) without time zone`).
    let columns: [String: String]
    /// Whether an index starts with the time column, or the table is small enough to read.
    let timeReadable: Bool
    /// The table's size on disk, for the evidence.
    let bytes: Int

    /// Whether the column exists.
    func has(_ column: String) -> Bool { columns[column] != nil }

    /// The outcome for an audit table that does not exist (Prisma P2021); `consequence` ends the
    /// summary, e.g. "webhook events are not logged".
    static func missing(_ table: String, schema: String, consequence: String, evidence: Evidence) -> CheckOutcome {
        var evidence = evidence
        evidence["prisma_code"] = .string("P2021")
        return CheckOutcome(.fail, "table \(schema).\(PostgresConnectionInfo.quoteIdentifier(table)) does not exist (Prisma P2021): \(consequence)", evidence: evidence,
                            hint: "Run the service's migrations (npx prisma migrate deploy); the guide logs every webhook event in the AiEvent table.")
    }

    /// Looks `table` up in `schema`; nil when it does not exist (with its exact case).
    static func find(
        _ table: String, schema: String, timeColumn: String, on connection: PostgresConnection, deadline: ContinuousClock.Instant
    ) async throws(PostgresError) -> AuditTable? {
        let found = try await connection.query("""
            SELECT c.oid::text AS oid, pg_relation_size(c.oid)::text AS bytes
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') LIMIT 1
            """, [schema, table], deadline: deadline)
        guard let oid = found.first("oid") else { return nil }
        let attributes = try await connection.query(
            "SELECT attname, format_type(atttypid, atttypmod), attnum::text FROM pg_attribute WHERE attrelid = $1::oid AND attnum > 0 AND NOT attisdropped",
            [oid], deadline: deadline)
        var columns: [String: String] = [:]
        var timeNumber: String?
        for row in attributes.rows {
            guard let name = row[0] else { continue }
            columns[name] = row[1] ?? ""
            if name == timeColumn { timeNumber = row[2] }
        }
        var indexed = false
        if let timeNumber {
            let index = try await connection.query(
                "SELECT 1 FROM pg_index WHERE indrelid = $1::oid AND indkey[0] = $2::smallint AND indpred IS NULL LIMIT 1",
                [oid, timeNumber], deadline: deadline)
            indexed = !index.rows.isEmpty
        }
        let bytes = Int(found.first("bytes") ?? "") ?? Int.max
        return AuditTable(
            qualified: PostgresConnectionInfo.quoteIdentifier(schema) + "." + PostgresConnectionInfo.quoteIdentifier(table),
            columns: columns, timeReadable: indexed || bytes <= smallTableBytes, bytes: bytes)
    }

    /// A value written `column` or `column.key.key…` (a path into a json/jsonb column) as SQL text
    /// reading it, with the path as the bound parameter `$parameter`; nil when the column is missing
    /// or a path is given into a column that is not JSON.
    func expression(_ reference: ColumnPath, parameter: Int) -> String? {
        guard let type = columns[reference.column] else { return nil }
        let column = PostgresConnectionInfo.quoteIdentifier(reference.column)
        if reference.keys.isEmpty { return "\(column)::text" }
        guard type == "jsonb" || type == "json" else { return nil }
        return "(\(column) #>> $\(parameter)::text[])"
    }
}

/// `payload.data.object.id`: a column, then keys into its JSON (none for a plain column).
struct ColumnPath: Sendable, Equatable, CustomStringConvertible {
    let column: String
    let keys: [String]

    /// Reads `text`; nil when a part is empty.
    init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let first = parts.first, !parts.contains(where: \.isEmpty) else { return nil }
        column = first
        keys = Array(parts.dropFirst())
    }

    /// The path as PostgreSQL's array input (`{"data","object","id"}`), a bound parameter.
    var parameter: String { PaymentLookup.arrayLiteral(keys) }

    var description: String { ([column] + keys).joined(separator: ".") }
}
