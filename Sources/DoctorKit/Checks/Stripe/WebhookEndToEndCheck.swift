import Foundation

/// The `webhook-e2e` check kind: the whole webhook path, from a signed event to the row the
/// service writes for it. The guide: every webhook event is logged in `"AiEvent"`.
///
/// A synthetic event signed with `STRIPE_WEBHOOK_SECRET` (the live probe's, `evt_doctor_probe_…`,
/// type `doctor.probe`) is POSTed to `url`; once the service acknowledges it with a 2xx, its row
/// (`payload->>'id'` = the event's id) must appear in `table` within `within` (default 5 s). An
/// acknowledged event with no row is the guide's "Webhooks arrive but no database records", found
/// directly. The evidence gives each hop: sent → 2xx, 2xx → row. The total is judged against the
/// thresholds (default the guide's webhook processing latency: warn 1 s, fail 5 s). The event is
/// a side effect on the service: skipped under `--read-only`. A refused event (the secret, the
/// route) is the webhook-secret step's finding: here it is `unknown`, not a second failure.
public struct WebhookEndToEndCheck: CheckKind {
    public static let name = "webhook-e2e"

    public static func make(_ parameters: ParameterReader, step: StepSettings) throws(RunbookError) -> any Check {
        let location = parameters.value("url")?.location ?? parameters.location
        let url = try Template(try parameters.string("url"), at: location)
        let within = try parameters.duration("within") ?? .seconds(5)
        if within < .seconds(1) || within > .seconds(60), let value = parameters.value("within") {
            throw RunbookError(value.location, "`within` must be from 1s to 60s, found \(within.short)")
        }
        let table = try parameters.optionalString("table") ?? "AiEvent"
        let variable = try DatabaseStep.variable(parameters)
        try parameters.finish(kind: name)
        let warn = try step.durationThreshold(step.warn, name: "warn") ?? .seconds(1)
        let fail = try step.durationThreshold(step.fail, name: "fail") ?? .seconds(5)
        let timeout = step.timeout ?? .seconds(20)
        if timeout < within + .seconds(2) {
            throw RunbookError(step.timeoutLocation, "the timeout (\(timeout.short)) must leave room for `within` (\(within.short)) and the request: at least \((within + .seconds(2)).short)")
        }
        return Probe(url: url, within: within, table: table, variable: variable, warn: warn, fail: fail, timeout: timeout)
    }

    /// A configured `webhook-e2e` step.
    struct Probe: Check {
        let url: Template
        let within: Duration
        let table: String
        let variable: String
        let warn: Duration
        let fail: Duration
        let timeout: Duration

        func run(in context: CheckContext) async -> CheckOutcome {
            if context.readOnly {
                return CheckOutcome(.skip, "skipped under --read-only: it POSTs a signed test event to the service, which writes a row for it")
            }
            let (target, secret): (String, String)
            switch WebhookSecretCheck.signingTarget(url, context) {
            case let .success(found): (target, secret) = found
            case let .failure(stop): return stop.outcome
            }
            return await DatabaseStep.run(context, variable: variable) { (info, connection, evidence) throws(PostgresError) in
                let qualified = PostgresConnectionInfo.quoteIdentifier(info.schema) + "." + PostgresConnectionInfo.quoteIdentifier(table)
                evidence["url"] = .string(target)
                evidence["table"] = .string(qualified)
                let now = Int(Date().timeIntervalSince1970)
                let event = WebhookSecretCheck.Probe.syntheticEvent(created: now)
                evidence["event_id"] = .string(event.id)
                context.resources.ownRequests?.record("probe")
                let sent = ContinuousClock.now
                let response: HTTPResponse
                do throws(HTTPError) {
                    response = try await context.perform(HTTPRequest(
                        method: "POST", url: target,
                        headers: [("Content-Type", "application/json; charset=utf-8"), ("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks) doctor")],
                        body: Data(event.body), timeout: min(timeout, context.remaining), maxRedirects: 0,
                        credentialHeaders: [("Stripe-Signature", StripeSignature.header(secret: secret, timestamp: now, payload: event.body))]))
                } catch {
                    evidence["error"] = .string(error.localizedDescription)
                    if error == .cancelled { return CheckOutcome(.unknown, "cancelled", evidence: evidence) }
                    return CheckOutcome(.unknown, "not checked: the webhook endpoint did not answer (\(error.localizedDescription))", evidence: evidence)
                }
                let acknowledged = ContinuousClock.now
                evidence["status"] = .int(response.status)
                evidence["sent_to_2xx_ms"] = .int(Int((acknowledged - sent).milliseconds))
                guard (200...299).contains(response.status) else {
                    return CheckOutcome(
                        .unknown, "not checked: the service refused the signed test event (HTTP \(response.status)), so no row was expected",
                        evidence: evidence, hint: "Why it refused is the webhook-secret step's finding (the secret, the route or the clock).")
                }
                // The row, looked for until `within` has passed since the acknowledgement.
                let found = try await Self.waitForRow(event.id, in: qualified, until: min(acknowledged + within, context.deadline - .milliseconds(200)),
                                                      on: connection, context: context)
                guard let rowAt = found else {
                    return CheckOutcome(
                        .fail, "the service acknowledged a signed test event (HTTP \(response.status)) but wrote no \(qualified) row for it within \(within.short): webhooks arrive but no database records",
                        evidence: evidence,
                        hint: "The guide's \"Webhooks Arrive But No Database Records\": the handler answers before its database write, and the write fails. Check the database connection (DATABASE_URL, Prisma Accelerate), Sentry for the SQL error, and the Render logs at this time.")
                }
                let total = rowAt - sent
                evidence["2xx_to_row_ms"] = .int(Int(max(.zero, rowAt - acknowledged).milliseconds))
                evidence["total_ms"] = .int(Int(total.milliseconds))
                let summary = "a signed test event was acknowledged (HTTP \(response.status) in \((acknowledged - sent).short)) and its \(qualified) row appeared \(max(.zero, rowAt - acknowledged).short) later: \(total.short) end to end"
                if total >= fail {
                    return CheckOutcome(.fail, summary + ", over the \(fail.short) critical threshold", evidence: evidence,
                                        hint: "Webhook processing should take under 1 s (the guide): look for slow queries or N+1 patterns in the handler.")
                }
                if total >= warn {
                    return CheckOutcome(.warn, summary + ", over the guide's \(warn.short)", evidence: evidence,
                                        hint: "Webhook processing should take under 1 s (the guide): look for slow queries or N+1 patterns in the handler.")
                }
                return CheckOutcome(.pass, summary, evidence: evidence)
            }
        }

        /// When the row of `eventID` was first seen, polling every 100 ms up to `deadline`; nil if never.
        static func waitForRow(
            _ eventID: String, in qualified: String, until deadline: ContinuousClock.Instant,
            on connection: PostgresConnection, context: CheckContext
        ) async throws(PostgresError) -> ContinuousClock.Instant? {
            while true {
                let result = try await connection.query("SELECT 1 FROM \(qualified) WHERE payload->>'id' = $1 LIMIT 1", [eventID],
                                                        deadline: context.deadline)
                if !result.rows.isEmpty { return ContinuousClock.now }
                if ContinuousClock.now >= deadline || Task.isCancelled { return nil }
                context.progress("waiting for the \(qualified) row, \(max(.zero, deadline - ContinuousClock.now).short) left")
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}
