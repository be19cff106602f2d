import Foundation

/// Check kind `audit-retention`: the guide's "Enable audit logging": every webhook event is logged
/// in `AiEvent`, still being written, and "Keep 90+ days of history for PCI compliance".
///
/// Short history fails only when the service is older than that: the oldest `Payment` row tells
/// how long the service has been taking payments, so a young service with all of its history is
/// not a failure (it is said so), while events missing from before a date payments go back past
/// are (they were deleted). Only the oldest and newest rows are read, through the time index.
///
/// Parameters: `table` (default `AiEvent`), `reference_table` (default `Payment`), `time_column`
/// (default `createdAt`), `min_days` (default 90), `fresh` (the newest event must be within it;
/// default 24h), `type_column` (default `type`, to leave out the doctor's own probe events), `variable`.
public struct AuditRetentionCheck: CheckKind {
    public static let name = "audit-retention"

    public static func make(_ parameters: ParameterReader, step: StepSettings) throws(RunbookError) -> any Check {
        try step.rejectThresholds(kind: name)
        let variable = try DatabaseStep.variable(parameters)
        let table = try parameters.optionalString("table") ?? "AiEvent"
        let reference = try parameters.optionalString("reference_table") ?? "Payment"
        let timeColumn = try parameters.optionalString("time_column") ?? "createdAt"
        let typeColumn = try parameters.optionalString("type_column") ?? "type"
        let minDays = try parameters.int("min_days", in: 1...3650) ?? 90
        let fresh = try parameters.duration("fresh") ?? .seconds(86_400)
        if fresh < .seconds(60) || fresh > .seconds(720 * 3600) {
            throw RunbookError(parameters.value("fresh")!.location, "`fresh` must be from 1m to 720h")
        }
        try parameters.finish(kind: name)
        return Retention(variable: variable, table: table, reference: reference, timeColumn: timeColumn, typeColumn: typeColumn,
                         minDays: minDays, fresh: fresh, timeout: step.timeout ?? .seconds(15))
    }

    /// The ages of a table's oldest and newest rows, in seconds; nil when it has none.
    struct Span: Sendable, Equatable {
        var oldest: Int
        var newest: Int
    }

    /// A configured `audit-retention` step.
    struct Retention: Check {
        let variable: String
        let table: String
        let reference: String
        let timeColumn: String
        let typeColumn: String
        let minDays: Int
        let fresh: Duration
        let timeout: Duration

        func run(in context: CheckContext) async -> CheckOutcome {
            await DatabaseStep.run(context, variable: variable) { (info, connection, evidence) throws(PostgresError) in
                guard let events = try await AuditTable.find(table, schema: info.schema, timeColumn: timeColumn, on: connection, deadline: context.deadline) else {
                    return AuditTable.missing(table, schema: info.schema, consequence: "webhook events are not logged for audits", evidence: evidence)
                }
                evidence["table"] = .string(events.qualified)
                if let stop = unreadable(events, evidence: evidence) { return stop }
                let eventSpan = try await span(events, excludingProbes: events.has(typeColumn), on: connection, deadline: context.deadline)
                var paymentSpan: Span?
                if let payments = try await AuditTable.find(reference, schema: info.schema, timeColumn: timeColumn, on: connection, deadline: context.deadline),
                   payments.has(timeColumn), payments.timeReadable {
                    evidence["reference_table"] = .string(payments.qualified)
                    paymentSpan = try await span(payments, excludingProbes: false, on: connection, deadline: context.deadline)
                } else {
                    evidence["reference_table"] = .string("not read: \(reference) is missing, has no \"\(timeColumn)\", or cannot be read without a scan")
                }
                return judge(events: eventSpan, payments: paymentSpan, evidence: &evidence)
            }
        }

        private func unreadable(_ table: AuditTable, evidence: Evidence) -> CheckOutcome? {
            guard table.has(timeColumn) else {
                return CheckOutcome(.unknown, "\(table.qualified) has no column \"\(timeColumn)\" (Prisma P2022): its history cannot be dated", evidence: evidence,
                                    hint: "Set `time_column` to the table's creation time column.")
            }
            guard table.timeReadable else {
                return CheckOutcome(.unknown, "not checked: \(table.qualified) has no index on \"\(timeColumn)\" and is \(table.bytes / 1_048_576) MiB, so finding its oldest row would scan it", evidence: evidence,
                                    hint: "Add @@index([\(timeColumn)]) to the model in the Prisma schema and migrate.")
            }
            return nil
        }

        /// The oldest and newest row's ages; min and max of an indexed column are read from the index.
        private func span(_ table: AuditTable, excludingProbes: Bool, on connection: PostgresConnection, deadline: ContinuousClock.Instant) async throws(PostgresError) -> Span? {
            let time = PostgresConnectionInfo.quoteIdentifier(timeColumn)
            let oldest = try await connection.query(
                "SELECT floor(extract(epoch FROM localtimestamp - min(\(time))::timestamp))::bigint::text AS age FROM \(table.qualified)",
                deadline: deadline)
            // The newest of the service's own events: the doctor's probe, recorded by the service
            // during this very run, must not pass for "still being written".
            let own = excludingProbes ? "WHERE \(PostgresConnectionInfo.quoteIdentifier(typeColumn))::text NOT LIKE 'doctor.%'" : ""
            let newest = try await connection.query(
                "SELECT floor(extract(epoch FROM localtimestamp - \(time)::timestamp))::bigint::text AS age FROM \(table.qualified) \(own) ORDER BY \(time) DESC LIMIT 1",
                deadline: deadline)
            guard let first = oldest.first("age").flatMap({ Int($0) }) else { return nil }
            return Span(oldest: first, newest: newest.first("age").flatMap { Int($0) } ?? first)
        }

        func judge(events: Span?, payments: Span?, evidence: inout Evidence) -> CheckOutcome {
            let required = minDays * 86_400
            let freshSeconds = Int(fresh.seconds)
            let day = 86_400
            if let payments {
                evidence["oldest_payment_age"] = .string(DatabaseStep.span(seconds: payments.oldest))
                evidence["newest_payment_age"] = .string(DatabaseStep.span(seconds: payments.newest))
            }
            guard let events else {
                if let payments {
                    return CheckOutcome(.fail, "\(table) is empty although payments go back \(DatabaseStep.span(seconds: payments.oldest)): webhook events are not logged", evidence: evidence,
                                        hint: "The webhook handler must record every event in AiEvent (the guide's audit log); check the handler and its Prisma errors in Sentry.")
                }
                return CheckOutcome(.pass, "no events and no payments yet: nothing to keep so far", evidence: evidence)
            }
            evidence["history"] = .string(DatabaseStep.span(seconds: events.oldest))
            evidence["history_days"] = .int(events.oldest / day)
            evidence["newest_event_age"] = .string(DatabaseStep.span(seconds: events.newest))
            evidence["required_days"] = .int(minDays)
            var problems: [(Status, String)] = []
            // Still written: the newest event within `fresh`, unless the service is simply quiet.
            if events.newest > freshSeconds {
                let last = "the newest \(table) row is \(DatabaseStep.span(seconds: events.newest)) old"
                if let payments, payments.newest <= freshSeconds {
                    problems.append((.fail, "\(last) while payments were recorded \(DatabaseStep.span(seconds: payments.newest)) ago: events are no longer logged"))
                } else {
                    problems.append((.warn, "\(last) and no payment came in within \(fresh.window) either: a quiet service, or webhooks not arriving"))
                }
            }
            // History: 90 days once the service is that old; all of its life before that.
            let serviceAge = max(events.oldest, payments?.oldest ?? 0)
            var history = "\(DatabaseStep.span(seconds: events.oldest)) of history"
            if events.oldest >= required {
                history += " (at least \(minDays) days)"
            } else if let payments, payments.oldest >= required {
                problems.append((.fail, "\(table) keeps only \(DatabaseStep.span(seconds: events.oldest)) of history, but payments go back \(DatabaseStep.span(seconds: payments.oldest)): older events were deleted (the guide keeps \(minDays)+ days for PCI)"))
            } else if let payments, payments.oldest > events.oldest + day {
                problems.append((.warn, "\(table) starts \(DatabaseStep.span(seconds: payments.oldest - events.oldest)) after the first payment: events were deleted or logging started late"))
            } else if evidence["reference_table"]?.text.hasPrefix("not read") == true {
                history += ": under \(minDays) days, and without \(reference) the service's age cannot be told, so it is not judged"
            } else {
                history += ": a young service (first payment \(payments.map { DatabaseStep.span(seconds: $0.oldest) } ?? "none yet") ago), all of it kept; \(minDays) days are due from day \(minDays)"
            }
            evidence["service_age"] = .string(DatabaseStep.span(seconds: serviceAge))
            guard let worst = problems.map(\.0).max(by: { $0.severity < $1.severity }) else {
                return CheckOutcome(.pass, "\(history), newest event \(DatabaseStep.span(seconds: events.newest)) ago", evidence: evidence)
            }
            return CheckOutcome(worst, problems.map(\.1).joined(separator: "; "), evidence: evidence,
                                hint: "Keep 90+ days of AiEvent history for PCI compliance (the guide's audit logging): stop any job that prunes AiEvent earlier, export it regularly for security audits, and make sure the webhook handler records every event.")
        }
    }
}
