import Foundation

/// Check kind `reconciliation`: Stripe's succeeded payment intents in a window, matched by id to
/// the database's payment rows (the guide's "Reconciliation Discrepancies": 0 / under 5 % / over 5 %).
///
/// Parameters: `window` (default 24h, at most 720h), `settle` (the newest span left out while
/// in-flight webhooks land, default 5m), `table` (default `Payment`), `id_column` (default
/// `stripePaymentIntentId`), `time_column` (default `createdAt`, for the webhook lag),
/// `max_listed` (missing ids listed in the evidence, default 20), `max_payments` (payment intents
/// read from Stripe at most, default 2000), `variable`. Thresholds are percentages of the succeeded
/// payments that have no row: above `warn` (default 0 %) warns, above `fail` (default 5 %) fails.
///
/// Matching is by id, never by counts: the rows are looked up with `= ANY($1)` through the id
/// column's index (parameterised; nothing from Stripe becomes SQL text), so the table is not scanned.
public struct ReconciliationCheck: CheckKind {
    public static let name = "reconciliation"

    static let defaultWindow = Duration.seconds(86_400)
    /// As `stripe-deliveries`: a month at most, so one step stays a bounded number of pages.
    static let maxWindow = Duration.seconds(30 * 86_400)
    static let defaultSettle = Duration.seconds(300)
    static let defaultTimeout = Duration.seconds(30)

    public static func make(_ parameters: ParameterReader, step: StepSettings) throws(RunbookError) -> any Check {
        let variable = try DatabaseStep.variable(parameters)
        let window = try parameters.duration("window") ?? defaultWindow
        if window <= .zero || window > maxWindow, let value = parameters.value("window") {
            throw RunbookError(value.location, "`window` must be more than 0 and at most 720h, found \(window.short)")
        }
        let settle = try parameters.duration("settle") ?? defaultSettle
        if settle >= window, let value = parameters.value("settle") {
            throw RunbookError(value.location, "`settle` (\(settle.short)) must be shorter than `window` (\(window.short))")
        }
        let table = try parameters.optionalString("table") ?? "Payment"
        let idColumn = try parameters.optionalString("id_column") ?? "stripePaymentIntentId"
        let timeColumn = try parameters.optionalString("time_column") ?? "createdAt"
        for (key, name) in [("table", table), ("id_column", idColumn), ("time_column", timeColumn)] where name.isEmpty {
            throw RunbookError(parameters.value(key)!.location, "`\(key)` must not be empty")
        }
        let listed = try parameters.int("max_listed", in: 1...1000) ?? 20
        let cap = try parameters.int("max_payments", in: 100...10_000) ?? 2000
        try parameters.finish(kind: name)
        let warn = try step.percentThreshold(step.warn, name: "warn") ?? 0
        let fail = try step.percentThreshold(step.fail, name: "fail") ?? 5
        if warn > fail, let value = step.warn {
            throw RunbookError(value.location, "thresholds.warn (\(warn)%) is above thresholds.fail (\(fail)%)")
        }
        return Reconcile(
            variable: variable, window: window, settle: settle, table: table, idColumn: idColumn, timeColumn: timeColumn,
            maxListed: listed, maxPayments: cap, warn: warn, fail: fail, timeout: step.timeout ?? defaultTimeout)
    }

    /// A configured `reconciliation` step.
    struct Reconcile: Check {
        let variable: String
        let window: Duration
        let settle: Duration
        let table: String
        let idColumn: String
        let timeColumn: String
        let maxListed: Int
        let maxPayments: Int
        let warn: Double
        let fail: Double
        let timeout: Duration

        func run(in context: CheckContext) async -> CheckOutcome {
            // Both sides are needed; without either there is nothing to compare, which is no failure.
            guard context.configuration.value("STRIPE_SECRET_KEY") != nil else {
                return CheckOutcome(
                    .skip, "skipped: STRIPE_SECRET_KEY is not set, so Stripe's payments cannot be listed",
                    hint: "Set STRIPE_SECRET_KEY (Stripe Dashboard → Developers → API keys; a restricted key needs PaymentIntents read) to compare Stripe's payments with the database.")
            }
            guard context.resources.unavailable["postgres"] != nil || context.configuration.value(variable) != nil else {
                return CheckOutcome(
                    .skip, "skipped: \(variable) is not set, so there is no database to compare Stripe's payments with",
                    hint: "Set \(variable) to the service's PostgreSQL connection string (Render → Environment, or .env).")
            }
            let client: StripeClient
            switch StripeCheckSupport.client(context) {
            case let .success(built): client = built
            case let .failure(stop): return stop.outcome
            }
            var evidence = StripeCheckSupport.evidence(client)
            let info: PostgresConnectionInfo
            let connection: PostgresConnection
            switch await DatabaseStep.open(context, variable: variable, evidence: &evidence) {
            case let .success(found): (info, connection) = (found.info, found.connection)
            case let .failure(stop): return stop.outcome
            }
            let lookup = PaymentLookup(schema: info.schema, table: table, idColumn: idColumn, timeColumn: timeColumn)
            evidence["table"] = .string(lookup.qualified)
            let target: PaymentLookup.Target
            do {
                switch try await lookup.inspect(on: connection, evidence: evidence, deadline: context.deadline) {
                case let .success(found): target = found
                case let .failure(stop): return stop.outcome
                }
            } catch {
                return DatabaseStep.outcome(for: error, info: info, evidence: evidence)
            }

            let now = Int(Date().timeIntervalSince1970)
            let span = ReconciliationSpan(now: now, window: window, settle: settle)
            span.record(into: &evidence)
            let listed: StripeList
            do {
                listed = try await client.list(
                    "/v1/payment_intents", query: [("created[gte]", String(span.since)), ("created[lt]", String(span.until))],
                    maxItems: maxPayments, deadline: context.deadline)
            } catch {
                return Self.stripeOutcome(for: error, client: client, evidence: evidence)
            }
            if let last = listed.requestIDs.last { evidence["request_id"] = .string(last) }
            // The doctor's canary payments are its own: no figure of the service's counts them.
            let canaries = PaymentCanary.known(context)
            let intents = listed.items.filter { !PaymentCanary.isCanary(object: $0, known: canaries) }.compactMap(StripePaymentIntent.init)
            // Stripe filters by `created` already; a proxy or stand-in that does not must not skew the figures.
            let inSpan = intents.filter { $0.created >= span.since && $0.created < span.until }
            let rows: PaymentLookup.Rows
            do {
                rows = try await lookup.rows(
                    ids: inSpan.filter { $0.status == "succeeded" }.map(\.id), target: target, on: connection,
                    deadline: context.deadline)
            } catch {
                return DatabaseStep.outcome(for: error, info: info, evidence: evidence)
            }
            let evaluation = ReconciliationEvaluation(
                span: span, intents: inSpan, truncated: listed.hasMore, rows: rows, table: table,
                timeColumn: target.timeColumnFound ? timeColumn : nil, maxListed: maxListed, warn: warn, fail: fail)
            return evaluation.outcome(evidence: evidence)
        }

        /// A Stripe failure as an outcome; a key that may not read payment intents is told so.
        static func stripeOutcome(for error: StripeAPIError, client: StripeClient, evidence: Evidence) -> CheckOutcome {
            var outcome = StripeCheckSupport.outcome(for: error, client: client, evidence: evidence)
            if case let .api(failure) = error, failure.errorClass == "PermissionError" {
                outcome.hint = "A restricted key needs read access to PaymentIntents for reconciliation; grant it in Stripe Dashboard → Developers → API keys, or run the doctor with the secret key."
            }
            return outcome
        }
    }
}

/// The time span a reconciliation compares: from `window` ago to `settle` ago.
struct ReconciliationSpan: Sendable {
    /// Unix seconds, inclusive.
    let since: Int
    /// Unix seconds, exclusive: newer payments may still have their webhook in flight.
    let until: Int
    let window: Duration
    let settle: Duration

    init(now: Int, window: Duration, settle: Duration) {
        since = now - Int(window.seconds)
        until = now - Int(settle.seconds)
        self.window = window
        self.settle = settle
    }

    /// `24h` or `90m`: as an operator writes it.
    var windowText: String { DatabaseStep.span(seconds: Int(window.seconds)) }
    var settleText: String { DatabaseStep.span(seconds: Int(settle.seconds)) }

    /// The window, settle time and the exact bounds, added to `evidence`.
    func record(into evidence: inout Evidence) {
        evidence["window"] = .string(windowText)
        evidence["settle"] = .string(settleText)
        evidence["from"] = .string(UTCTime.string(Date(timeIntervalSince1970: TimeInterval(since)), .iso8601))
        evidence["to"] = .string(UTCTime.string(Date(timeIntervalSince1970: TimeInterval(until)), .iso8601))
    }
}
