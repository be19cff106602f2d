import Foundation

/// One canary payment under way: made, then followed hop by hop as the doctor sees each.
///
/// Every hop is timed on the doctor's own clock (a continuous one), read when it first saw it: the
/// payment confirmed (Stripe's answer), the event's row, the payment's row; the rows are polled
/// every 100 ms, so each hop is known to about that. The event's own time is Stripe's (whole
/// seconds), kept as evidence, never subtracted from the doctor's clock.
struct CanaryTracker {
    let client: StripeClient
    let connection: PostgresConnection
    let context: CheckContext
    /// The quoted events and payments tables, for SQL.
    let events: String
    let payments: String
    /// The same tables as the runbook names them, for people.
    let eventsName: String
    let paymentsName: String

    private(set) var intent: String?
    private(set) var status = "unknown"
    private(set) var price = ""
    /// How many enabled endpoints of the account receive `payment_intent.succeeded`: Stripe's
    /// `pending_webhooks` counts all of them, not only the service's.
    private(set) var subscribed = 1
    private(set) var created = 0
    private(set) var sent = ContinuousClock.now
    private(set) var confirmed: ContinuousClock.Instant?
    private(set) var eventID: String?
    /// The event's `created` (Stripe's clock, whole seconds).
    private(set) var eventCreated: Int?
    private(set) var delivered: ContinuousClock.Instant?
    private(set) var recorded: ContinuousClock.Instant?

    init(client: StripeClient, connection: PostgresConnection, context: CheckContext, schema: String, events: String, payments: String) {
        self.client = client
        self.connection = connection
        self.context = context
        self.events = PostgresConnectionInfo.quoteIdentifier(schema) + "." + PostgresConnectionInfo.quoteIdentifier(events)
        self.payments = PostgresConnectionInfo.quoteIdentifier(schema) + "." + PostgresConnectionInfo.quoteIdentifier(payments)
        eventsName = events
        paymentsName = payments
    }

    /// Why Stripe would not deliver the canary's event to `url`, or nil when an enabled endpoint
    /// subscribed to `payment_intent.succeeded` points there.
    mutating func endpointProblem(url: String, evidence: inout Evidence) async throws(StripeAPIError) -> String? {
        let listed = try await client.list("/v1/webhook_endpoints", deadline: context.deadline)
        let all = listed.items.compactMap(StripeWebhookEndpoint.init)
        subscribed = max(1, all.filter { $0.status == "enabled" && $0.receives("payment_intent.succeeded") }.count)
        let endpoints = all.filter { $0.url == url }
        guard let endpoint = endpoints.first(where: { $0.status == "enabled" }) ?? endpoints.first else {
            return "Stripe has no webhook endpoint at \(url), so it would deliver the canary nowhere"
        }
        evidence["endpoint"] = .string(endpoint.id)
        guard endpoint.status == "enabled" else { return "Stripe's endpoint \(endpoint.id) at \(url) is \(endpoint.status)" }
        guard endpoint.receives("payment_intent.succeeded") else {
            return "Stripe's endpoint \(endpoint.id) is not subscribed to payment_intent.succeeded"
        }
        return nil
    }

    /// Creates and confirms the payment with Stripe's test card, marked as the doctor's, under an
    /// idempotency key, and records its id in the ledger. A request whose answer was lost (the
    /// network, a 5xx) may have paid: it is sent once more with the same key, which Stripe answers
    /// with the first payment instead of making a second.
    mutating func pay(amount: Int, currency: String, evidence: inout Evidence) async throws(StripeAPIError) {
        let key = "doctor-canary-" + UUID().uuidString.lowercased()
        evidence["idempotency_key"] = .string(key)
        let sentAt = Date()
        sent = ContinuousClock.now
        let form = [
            ("amount", String(amount)), ("currency", currency), ("payment_method", PaymentCanary.testCard),
            ("payment_method_types[]", "card"), ("confirm", "true"),
            ("description", "doctor canary payment: a test of the webhook path"),
            ("metadata[\(PaymentCanary.metadataKey)]", "true"), ("metadata[doctor_step]", context.stepID),
        ]
        let answer: StripeResponse
        do {
            answer = try await client.post("/v1/payment_intents", form: form, idempotencyKey: key, deadline: context.deadline)
        } catch where Self.mayHavePaid(error) && context.remaining > .seconds(2) {
            try? await Task.sleep(for: .milliseconds(500))
            answer = try await client.post("/v1/payment_intents", form: form, idempotencyKey: key, deadline: context.deadline)
        }
        confirmed = ContinuousClock.now
        let id = answer.json.string("id") ?? ""
        // Only these fields are kept: the answer also holds the payment's client secret.
        if PaymentCanary.isIntentID(id) {
            intent = id
            context.resources.ownRequests?.record("canary \(id)", at: sentAt)
        }
        created = answer.json.int("created") ?? Int(sentAt.timeIntervalSince1970)
        status = answer.json.string("status") ?? "unknown"
        price = PaymentCanary.price(amount, currency)
        evidence["payment_intent"] = .string(id)
        if let requestID = answer.requestID { evidence["request_id"] = .string(requestID) }
        evidence["amount"] = .int(amount)
        evidence["currency"] = .string(currency)
        evidence["payment_status"] = .string(status)
        evidence["confirmed_ms"] = .int(Int((confirmed! - sent).milliseconds))
    }

    /// Whether Stripe may have acted on a request whose answer is `error`: no answer, or a 5xx.
    static func mayHavePaid(_ error: StripeAPIError) -> Bool {
        switch error {
        case let .transport(failure, _): failure != .cancelled
        case let .api(failure): failure.status >= 500
        case let .invalidResponse(status, _, _): status >= 500
        default: false
        }
    }

    /// Looks for the `payment_intent.succeeded` event Stripe made for `intent` (matched on
    /// `data.object.id`); a failed read is tried again on the next round.
    private mutating func findEvent(of intent: String) async {
        guard let listed = try? await client.list(
            "/v1/events", query: [("type", "payment_intent.succeeded"), ("created[gte]", String(created - 5))],
            maxItems: 100, deadline: context.deadline),
            let event = listed.items.first(where: { $0["data"]?["object"]?.string("id") == intent }) else { return }
        eventID = event.string("id")
        eventCreated = event.int("created")
    }

    /// Polls Stripe's events and the two tables every 100 ms until the payment's row is there or
    /// `deadline` passes.
    mutating func follow(until deadline: ContinuousClock.Instant) async throws(PostgresError) {
        guard let intent else { return }
        var lastListed = ContinuousClock.now - .seconds(10)
        while recorded == nil && !Task.isCancelled {
            let now = ContinuousClock.now
            // Stripe's list is read at most every 500 ms: well inside its rate limit.
            if eventID == nil && now - lastListed >= .milliseconds(500) {
                lastListed = now
                await findEvent(of: intent)
            }
            if let eventID, delivered == nil {
                let found = try await connection.query("SELECT 1 FROM \(events) WHERE payload->>'id' = $1 LIMIT 1", [eventID], deadline: context.deadline)
                if !found.rows.isEmpty { delivered = ContinuousClock.now }
            }
            let row = try await connection.query(#"SELECT 1 FROM \#(payments) WHERE "stripePaymentIntentId" = $1 LIMIT 1"#, [intent],
                                                 deadline: context.deadline)
            if !row.rows.isEmpty { recorded = ContinuousClock.now; break }
            if ContinuousClock.now >= deadline { break }
            context.progress("following the canary \(intent): \(max(.zero, deadline - ContinuousClock.now).short) left")
            try? await Task.sleep(for: .milliseconds(100))
        }
        // The event's row may have landed between the two reads, or the event not been listed
        // yet: looked for once more, so a row written with the payment is not called missing.
        guard let recorded, delivered == nil else { return }
        if eventID == nil { await findEvent(of: intent) }
        if let eventID {
            let found = try await connection.query("SELECT 1 FROM \(events) WHERE payload->>'id' = $1 LIMIT 1", [eventID], deadline: context.deadline)
            if !found.rows.isEmpty { delivered = recorded }
        }
    }

    /// The outcome: each hop's time, or the first hop that did not happen and what that means.
    func verdict(evidence: Evidence, within: Duration, warn: Duration, fail: Duration) async -> CheckOutcome {
        var evidence = evidence
        guard let intent, let confirmed else {
            return CheckOutcome(.unknown, "Stripe's answer named no payment intent", evidence: evidence)
        }
        guard status == "succeeded" else {
            return CheckOutcome(.unknown, "Stripe did not confirm the canary \(intent) (status \(status)), so nothing was delivered",
                                evidence: evidence)
        }
        if let eventID { evidence["event_id"] = .string(eventID) }
        if let eventCreated { evidence["event_created"] = .string(UTCTime.string(Date(timeIntervalSince1970: TimeInterval(eventCreated)), .iso8601)) }
        if let delivered { evidence["payment_to_delivered_ms"] = .int(Int((delivered - confirmed).milliseconds)) }
        if let recorded { evidence["payment_to_row_ms"] = .int(Int((recorded - confirmed).milliseconds)) }
        let made = "a \(price) canary payment \(intent)"
        guard let recorded else {
            guard let eventID else {
                return CheckOutcome(.unknown, "\(made) was confirmed but Stripe listed no payment_intent.succeeded event for it within \(within.short)",
                                    evidence: evidence)
            }
            let pending = (try? await client.get("/v1/events/\(eventID)", deadline: context.deadline))?.json.int("pending_webhooks")
            if let pending { evidence["pending_webhooks"] = .int(pending) }
            evidence["subscribed_endpoints"] = .int(subscribed)
            if delivered != nil {
                evidence["lost_at"] = .string("payment-row")
                return CheckOutcome(
                    .fail, "Stripe delivered the canary's \(eventID) and the service logged it in \(eventsName), but wrote no \(paymentsName) row for \(intent) within \(within.short): webhooks arrive but no database records",
                    evidence: evidence,
                    hint: "The handler logs the event and then fails to write the payment: check Sentry for the error at this time, the database connection and the Prisma schema of \(paymentsName).")
            }
            if pending == 0 {
                evidence["lost_at"] = .string("rows")
                return CheckOutcome(
                    .fail, "the endpoint acknowledged the canary's \(eventID) but the service wrote neither its \(eventsName) row nor a \(paymentsName) row within \(within.short): webhooks arrive but no database records",
                    evidence: evidence,
                    hint: "The guide's \"Webhooks Arrive But No Database Records\": the handler answers before its database write, and the write fails. Check the database connection and Sentry for the SQL error.")
            }
            // Stripe counts every subscribed endpoint: with others besides the service's, a
            // pending count below theirs leaves open whether this one acknowledged.
            if let pending, pending < subscribed {
                evidence["lost_at"] = .string("rows")
                return CheckOutcome(
                    .fail, "the service wrote no \(eventsName) or \(paymentsName) row for the canary's \(eventID) within \(within.short); Stripe counts \(pending) of the account's \(subscribed) subscribed endpoints still pending, so whether this one acknowledged it is not known",
                    evidence: evidence,
                    hint: "Stripe Dashboard → Developers → Webhooks → the endpoint shows this delivery's answer: a 2xx means the handler's database write failed (Sentry has the error), anything else names the refusal.")
            }
            evidence["lost_at"] = .string("delivery")
            return CheckOutcome(
                .fail, "Stripe has not delivered the canary's \(eventID) to the endpoint (\(pending.map { "\($0) delivery pending" } ?? "its delivery unconfirmed") after \(within.short)): a real payment now would be missed the same way",
                evidence: evidence,
                hint: "Stripe Dashboard → Developers → Webhooks → the endpoint shows each attempt's answer; the webhook-secret and stripe-endpoint steps name the usual causes (secret, path, clock).")
        }
        let total = recorded - confirmed
        var hops = "confirmed in \((confirmed - sent).short)"
        // The service's own part: from the event's row to the payment's row (seen within 100 ms).
        // Without the event's row it cannot be told from Stripe's delivery time, so it is not judged.
        guard let delivered else {
            hops += "; its \(paymentsName) row \(total.short) after the payment"
            return CheckOutcome(
                .pass, "\(made) (\(PaymentCanary.testCard)) reached the database: \(hops) (its event has no \(eventsName) row, so the processing time is not measured)",
                evidence: evidence)
        }
        let processing = recorded - delivered
        evidence["processing_ms"] = .int(Int(processing.milliseconds))
        hops += "; Stripe delivered it and the service logged it in \(eventsName) \((delivered - confirmed).short) later"
        hops += "; its \(paymentsName) row \(processing.short) after that"
        let summary = "\(made) (\(PaymentCanary.testCard)) reached the database: \(hops), \(total.short) in all"
        let slow = "Webhook processing should take under 1 s (the guide): look for slow queries or N+1 patterns in the handler."
        if processing >= fail {
            return CheckOutcome(.fail, summary + "; processing over the \(fail.short) critical threshold", evidence: evidence, hint: slow)
        }
        if processing >= warn {
            return CheckOutcome(.warn, summary + "; processing over the guide's \(warn.short)", evidence: evidence, hint: slow)
        }
        return CheckOutcome(.pass, summary, evidence: evidence)
    }
}
