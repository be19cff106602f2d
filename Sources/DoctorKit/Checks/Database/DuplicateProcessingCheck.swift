import Foundation

/// Check kind `duplicate-processing`: the guide's first suspicious pattern, "Same payment intent
/// processed multiple times", read from the audit table the service writes every webhook event to.
///
/// The demo's (and a typical Prisma) `AiEvent` has its own id and keeps Stripe's event in a JSON
/// `payload`, so a delivery the handler processed twice (a Stripe retry after a timeout, a replay)
/// is two rows with the same `payload.id`; and a `payment_intent.succeeded` of one payment intent
/// recorded twice is a payment fulfilled twice, whatever the event ids.
///
/// Parameters: `table` (default `AiEvent`), `event_id` (default `payload.id`), `payment_intent`
/// (default `payload.data.object.id`), `type_column` (default `type`), `time_column` (default
/// `createdAt`), `window` (default 24h, at most 720h), `max_listed` (default 10), `variable`.
/// Thresholds: how many duplicated events warn and fail (default 1 and 5).
public struct DuplicateProcessingCheck: CheckKind {
    public static let name = "duplicate-processing"
    /// Rows of the window read at most, newest first, so the grouping stays bounded on a busy day.
    static let rowCap = 200_000

    public static func make(_ parameters: ParameterReader, step: StepSettings) throws(RunbookError) -> any Check {
        let variable = try DatabaseStep.variable(parameters)
        let table = try parameters.optionalString("table") ?? "AiEvent"
        let eventID = try path(parameters, "event_id", default: "payload.id")
        let paymentIntent = try path(parameters, "payment_intent", default: "payload.data.object.id")
        let typeColumn = try parameters.optionalString("type_column") ?? "type"
        let timeColumn = try parameters.optionalString("time_column") ?? "createdAt"
        let window = try parameters.duration("window") ?? .seconds(86_400)
        if window < .seconds(60) || window > .seconds(720 * 3600) {
            throw RunbookError(parameters.value("window")!.location, "`window` must be from 1m to 720h")
        }
        let maxListed = try parameters.int("max_listed", in: 1...100) ?? 10
        let warn = try count(step.warn, "warn") ?? 1
        let fail = try count(step.fail, "fail") ?? 5
        if warn > fail, let value = step.warn {
            throw RunbookError(value.location, "thresholds.warn (\(warn)) is above thresholds.fail (\(fail))")
        }
        try parameters.finish(kind: name)
        return Scan(variable: variable, table: table, eventID: eventID, paymentIntent: paymentIntent, typeColumn: typeColumn,
                    timeColumn: timeColumn, window: window, maxListed: maxListed, warn: warn, fail: fail,
                    timeout: step.timeout ?? .seconds(15))
    }

    static func path(_ parameters: ParameterReader, _ key: String, default fallback: String) throws(RunbookError) -> ColumnPath {
        let text = try parameters.optionalString(key) ?? fallback
        guard let path = ColumnPath(text) else {
            throw RunbookError(parameters.value(key)!.location, "`\(key)` must be a column, or a column and JSON keys such as payload.id")
        }
        return path
    }

    /// A threshold written as a whole number of occurrences.
    static func count(_ value: RunbookValue?, _ name: String) throws(RunbookError) -> Int? {
        guard let value else { return nil }
        guard case let .scalar(text, _, _) = value, let number = Int(text), number >= 1 else {
            throw RunbookError(value.location, "thresholds.\(name) must be a whole number of duplicated events, at least 1")
        }
        return number
    }

    /// A configured `duplicate-processing` step.
    struct Scan: Check {
        let variable: String
        let table: String
        let eventID: ColumnPath
        let paymentIntent: ColumnPath
        let typeColumn: String
        let timeColumn: String
        let window: Duration
        let maxListed: Int
        let warn: Int
        let fail: Int
        let timeout: Duration

        func run(in context: CheckContext) async -> CheckOutcome {
            await DatabaseStep.run(context, variable: variable) { (info, connection, evidence) throws(PostgresError) in
                guard let audit = try await AuditTable.find(table, schema: info.schema, timeColumn: timeColumn, on: connection, deadline: context.deadline) else {
                    return AuditTable.missing(table, schema: info.schema, consequence: "webhook events are not logged", evidence: evidence)
                }
                return try await scan(audit, connection: connection, context: context, evidence: evidence)
            }
        }

        private func scan(_ audit: AuditTable, connection: PostgresConnection, context: CheckContext, evidence start: Evidence) async throws(PostgresError) -> CheckOutcome {
            var evidence = start
            let span = window.window
            evidence["table"] = .string(audit.qualified)
            evidence["window"] = .string(span)
            guard audit.has(timeColumn) else {
                evidence["prisma_code"] = .string("P2022")
                return CheckOutcome(.unknown, "\(audit.qualified) has no column \"\(timeColumn)\" (Prisma P2022): the window cannot be read", evidence: evidence,
                                    hint: "Set `time_column` to the table's creation time column.")
            }
            guard audit.timeReadable else {
                return CheckOutcome(.unknown, "not checked: \(audit.qualified) has no index on \"\(timeColumn)\" and is \(audit.bytes / 1_048_576) MiB, so reading the window would scan it", evidence: evidence,
                                    hint: "Add @@index([\(timeColumn)]) to the model in the Prisma schema and migrate; until then run this against a replica.")
            }
            // Each JSON path is a bound parameter, numbered as it is used (an unused one has no type).
            var parameters: [String?] = [String(Int(window.seconds))]
            func expression(_ path: ColumnPath) -> String? {
                guard let text = audit.expression(path, parameter: parameters.count + 1) else { return nil }
                if !path.keys.isEmpty { parameters.append(path.parameter) }
                return text
            }
            guard let event = expression(eventID) else {
                return CheckOutcome(.unknown, "\(audit.qualified) has no \(eventID) to read Stripe's event id from (a missing column, or keys into a column that is not JSON)", evidence: evidence,
                                    hint: "Set `event_id` to the column holding Stripe's event id (evt_…), or to a JSON path such as payload.id.")
            }
            let intent = expression(paymentIntent) ?? "NULL::text"
            let type = audit.has(typeColumn) ? "\(PostgresConnectionInfo.quoteIdentifier(typeColumn))::text" : "NULL::text"
            let time = PostgresConnectionInfo.quoteIdentifier(timeColumn)
            // The window's rows newest first through the time index, capped; the doctor's own probe
            // events (evt_doctor_…, doctor.*) are not the service's processing.
            let recent = """
                WITH recent AS (
                  SELECT \(event) AS event_id, \(intent) AS payment_intent, \(type) AS type, \(time) AS at
                  FROM \(audit.qualified) WHERE \(time) >= localtimestamp - make_interval(secs => $1::int)
                  ORDER BY \(time) DESC LIMIT \(DuplicateProcessingCheck.rowCap)),
                own AS (SELECT * FROM recent WHERE event_id IS NOT NULL AND event_id NOT LIKE 'evt\\_doctor\\_%' AND coalesce(type, '') NOT LIKE 'doctor.%')
                """
            let read = try await connection.query(recent + " SELECT count(*)::text AS total FROM recent", parameters, deadline: context.deadline)
            let rows = Int(read.first("total") ?? "") ?? 0
            evidence["rows_read"] = .int(rows)
            if rows == DuplicateProcessingCheck.rowCap { evidence["rows_capped"] = .string("only the newest \(rows) rows of the window were read") }
            let byEvent = try await connection.query(recent + """
                 SELECT event_id, max(payment_intent) AS payment_intent, max(type) AS type, count(*)::text AS times,
                        min(at)::text AS first_at, max(at)::text AS last_at, (count(*) OVER ())::text AS groups
                 FROM own GROUP BY event_id HAVING count(*) > 1 ORDER BY count(*) DESC, max(at) DESC LIMIT \(maxListed)
                """, parameters, deadline: context.deadline)
            // One payment intent succeeds once: two succeeded events for it are two fulfilments.
            let byIntent = try await connection.query(recent + """
                 SELECT payment_intent, count(DISTINCT event_id)::text AS events, count(*)::text AS times,
                        string_agg(DISTINCT event_id, ' ') AS event_ids, (count(*) OVER ())::text AS groups
                 FROM own WHERE type = 'payment_intent.succeeded' AND payment_intent IS NOT NULL
                 GROUP BY payment_intent HAVING count(DISTINCT event_id) > 1 ORDER BY count(*) DESC LIMIT \(maxListed)
                """, parameters, deadline: context.deadline)
            return judge(byEvent: byEvent, byIntent: byIntent, rows: rows, evidence: &evidence)
        }

        func judge(byEvent: PostgresResult, byIntent: PostgresResult, rows: Int, evidence: inout Evidence) -> CheckOutcome {
            let span = window.window
            let eventGroups = Int(byEvent.first("groups") ?? "") ?? 0
            let intentGroups = Int(byIntent.first("groups") ?? "") ?? 0
            let listed: [JSONValue] = byEvent.rows.map { row in
                var members: [(String, JSONValue)] = [("event_id", .string(row[0] ?? ""))]
                if let intent = row[1] { members.append(("payment_intent", .string(intent))) }
                if let type = row[2] { members.append(("type", .string(type))) }
                members.append(("times", .int(Int(row[3] ?? "") ?? 0)))
                if let first = row[4] { members.append(("first_at", .string(first + " UTC"))) }
                if let last = row[5] { members.append(("last_at", .string(last + " UTC"))) }
                return .object(members)
            }
            evidence["duplicated_events"] = .int(eventGroups)
            if !listed.isEmpty { evidence["events"] = .array(listed) }
            if eventGroups > listed.count { evidence["more_events"] = .int(eventGroups - listed.count) }
            if intentGroups > 0 {
                evidence["payment_intents_succeeded_by_several_events"] = .int(intentGroups)
                evidence["payment_intents"] = .array(byIntent.rows.map { row in
                    .object([("payment_intent", .string(row[0] ?? "")), ("events", .int(Int(row[1] ?? "") ?? 0)),
                             ("event_ids", .string(row[3] ?? ""))])
                })
                if intentGroups > byIntent.rows.count { evidence["more_payment_intents"] = .int(intentGroups - byIntent.rows.count) }
            }
            let found = eventGroups + intentGroups
            guard found > 0 else {
                return CheckOutcome(.pass, "no event processed twice among the \(rows) event\(rows == 1 ? "" : "s") of the last \(span)", evidence: evidence)
            }
            var parts: [String] = []
            if eventGroups > 0 {
                let names = byEvent.rows.prefix(3).map { row in
                    (row[0] ?? "") + (row[1].map { " (\($0))" } ?? "") + " ×\(row[3] ?? "")"
                }
                parts.append("\(eventGroups) event\(eventGroups == 1 ? "" : "s") processed more than once: " + names.joined(separator: ", ")
                             + (eventGroups > names.count ? ", and \(eventGroups - names.count) more" : ""))
            }
            if intentGroups > 0 {
                let names = byIntent.rows.prefix(3).map { "\($0[0] ?? "") by \($0[1] ?? "") events" }
                parts.append("\(intentGroups) payment intent\(intentGroups == 1 ? "" : "s") succeeded by several events: " + names.joined(separator: ", "))
            }
            let status: Status = found >= fail ? .fail : found >= warn ? .warn : .pass
            return CheckOutcome(status, parts.joined(separator: "; ") + " in the last \(span)", evidence: evidence,
                                hint: "The same payment intent processed multiple times (the guide's first suspicious pattern): make the webhook handler idempotent — skip an event whose id is already in AiEvent (a unique index on it), and upsert the Payment by stripePaymentIntentId — then check the listed payments for double fulfilment or double refunds.")
        }
    }
}
