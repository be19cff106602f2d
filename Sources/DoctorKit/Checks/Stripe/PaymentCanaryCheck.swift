import Foundation

/// The `payment-canary` check kind: a real test-mode payment followed through the whole path —
/// Stripe confirms it, Stripe itself delivers `payment_intent.succeeded` to the endpoint, the
/// service logs the event in `"AiEvent"` and writes the `"Payment"` row.
///
/// It is an action (a payment in the Stripe account), so it is taken only when the user agreed
/// (`--canary`, or `canary confirm` in the interactive session); otherwise the step is a dry run
/// that says what it would do. It is refused for a live-mode key (the doctor never moves real
/// money), skipped under `--read-only`, bounded by `within` and the step's timeout. The doctor's
/// canaries are marked in their metadata and recorded in its ledger, and every other count leaves
/// them out. The hop the guide judges (webhook processing, under 1 s) is the service's: from the
/// event's `AiEvent` row to the `Payment` row.
public struct PaymentCanaryCheck: CheckKind {
    public static let name = "payment-canary"

    public static func make(_ parameters: ParameterReader, step: StepSettings) throws(RunbookError) -> any Check {
        let location = parameters.value("url")?.location ?? parameters.location
        let url = try Template(try parameters.string("url"), at: location)
        let amount = try parameters.int("amount", in: 50...10_000) ?? PaymentCanary.defaultAmount
        let currency = try parameters.optionalString("currency") ?? "usd"
        guard currency.count == 3, currency.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            throw RunbookError(parameters.value("currency")?.location ?? location, "`currency` must be a three-letter ISO code such as usd")
        }
        let within = try parameters.duration("within") ?? .seconds(15)
        if within < .seconds(2) || within > .seconds(120), let value = parameters.value("within") {
            throw RunbookError(value.location, "`within` must be from 2s to 120s, found \(within.short)")
        }
        let events = try parameters.optionalString("events_table") ?? "AiEvent"
        let payments = try parameters.optionalString("payments_table") ?? "Payment"
        let variable = try DatabaseStep.variable(parameters)
        try parameters.finish(kind: name)
        let warn = try step.durationThreshold(step.warn, name: "warn") ?? .seconds(1)
        let fail = try step.durationThreshold(step.fail, name: "fail") ?? .seconds(5)
        let timeout = step.timeout ?? .seconds(30)
        if timeout < within + .seconds(5) {
            throw RunbookError(step.timeoutLocation, "the timeout (\(timeout.short)) must leave room for `within` (\(within.short)) and the payment: at least \((within + .seconds(5)).short)")
        }
        return Canary(url: url, amount: amount, currency: currency.lowercased(), within: within, eventsTable: events,
                      paymentsTable: payments, variable: variable, warn: warn, fail: fail, timeout: timeout)
    }

    /// A configured `payment-canary` step.
    struct Canary: Check {
        let url: Template
        let amount: Int
        let currency: String
        let within: Duration
        let eventsTable: String
        let paymentsTable: String
        let variable: String
        let warn: Duration
        let fail: Duration
        let timeout: Duration

        /// `$0.50` for 50 US cents.
        var price: String { PaymentCanary.price(amount, currency) }

        func run(in context: CheckContext) async -> CheckOutcome {
            if context.readOnly {
                return CheckOutcome(.skip, "skipped under --read-only: a canary payment creates a test payment in Stripe and rows in the database")
            }
            let client: StripeClient
            switch StripeCheckSupport.client(context) {
            case let .success(built): client = built
            case let .failure(stop): return stop.outcome
            }
            var evidence = StripeCheckSupport.evidence(client)
            guard client.mode == "test" else {
                let which = client.mode == "live" ? "STRIPE_SECRET_KEY is a live-mode key" : "STRIPE_SECRET_KEY is not a recognisable test-mode key"
                return CheckOutcome(
                    .skip, "refused: a canary payment needs a test-mode key (sk_test_…); \(which), and the doctor never makes a real payment",
                    evidence: evidence,
                    hint: "Run the canary against the test-mode deployment (a staging service with sk_test_ and its own webhook endpoint); webhook-e2e checks the live path without a payment.")
            }
            let target: String
            switch url.expanded(in: context.configuration) {
            case let .success(expanded): target = expanded
            case let .failure(stop): return stop.outcome
            }
            evidence["endpoint_url"] = .string(target)
            guard context.canary else {
                return CheckOutcome(
                    .skip, "dry run, no payment made: --canary (or `canary confirm` in the interactive session) creates a \(price) test payment (\(PaymentCanary.testCard)) and follows Stripe's delivery of payment_intent.succeeded to \(target), its \(eventsTable) row and its \(paymentsTable) row",
                    evidence: evidence)
            }
            var databaseEvidence = Evidence()
            let (info, connection): (PostgresConnectionInfo, PostgresConnection)
            switch await DatabaseStep.open(context, variable: variable, evidence: &databaseEvidence) {
            case let .success(found): (info, connection) = (found.info, found.connection)
            case let .failure(stop):
                var outcome = stop.outcome
                outcome.summary = "not sent: the canary's rows could not be watched: " + outcome.summary
                if outcome.status == .fail { outcome.status = .unknown }
                return outcome
            }
            for (key, value) in databaseEvidence.entries { evidence[key] = value }
            var tracker = CanaryTracker(client: client, connection: connection, context: context, schema: info.schema,
                                        events: eventsTable, payments: paymentsTable)
            do throws(StripeAPIError) {
                if let refusal = try await tracker.endpointProblem(url: target, evidence: &evidence) {
                    evidence["lost_at"] = .string("endpoint")
                    return CheckOutcome(.unknown, "not sent: " + refusal, evidence: evidence,
                                        hint: "The stripe-endpoint step names what to fix; the canary follows Stripe's own delivery, which needs an enabled endpoint subscribed to payment_intent.succeeded.")
                }
                try await tracker.pay(amount: amount, currency: currency, evidence: &evidence)
            } catch {
                var outcome = StripeCheckSupport.outcome(for: error, client: client, evidence: evidence)
                if outcome.status == .fail { outcome.status = .unknown }
                // Without Stripe's answer the payment may exist: its idempotency key finds it.
                outcome.summary = CanaryTracker.mayHavePaid(error)
                    ? "the canary payment may have been made but Stripe's answer was lost (idempotency key \(evidence["idempotency_key"]?.stringValue ?? "?")): " + outcome.summary
                    : "the canary payment was not made: " + outcome.summary
                return outcome
            }
            do throws(PostgresError) {
                try await tracker.follow(until: min(ContinuousClock.now + within, context.deadline - .milliseconds(300)))
            } catch {
                return DatabaseStep.outcome(for: error, info: info, evidence: evidence)
            }
            return await tracker.verdict(evidence: evidence, within: within, warn: warn, fail: fail)
        }
    }
}
