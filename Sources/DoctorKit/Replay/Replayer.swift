import Foundation

/// Plans and carries out a replay: maps a session's findings to Stripe events, asks Stripe to
/// resend them to the payment API's endpoint, paced, and checks each outcome (the endpoint's
/// acknowledgement as Stripe counts it, and the payment's row appearing within a bounded wait).
///
/// It never prints; the face shows the plan and the actions, and journals them.
public struct Replayer: Sendable {
    /// The webhook route of the payment API.
    public static let webhookPath = "/api/webhooks/stripe"

    let client: StripeClient
    let apiURL: String
    let databaseURL: String?
    /// The pause between two resend calls, well under Stripe's rate limit.
    public var pace: Duration = .milliseconds(300)
    /// How long to wait for the endpoint's answer and the rows to appear after the last resend.
    public var settle: Duration = .seconds(15)

    /// A replayer for the service at `API_URL`, with `STRIPE_SECRET_KEY` (to its own host only) and
    /// `DATABASE_URL` (read-only, to see the rows appear).
    public init(configuration: Configuration, http: HTTPClient) throws(StripeAPIError) {
        client = try StripeClient(configuration: configuration, http: http)
        apiURL = (configuration.value("API_URL") ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "/ "))
        databaseURL = configuration.value("DATABASE_URL")
    }

    /// `live` or `test`, from the key.
    public var mode: String? { client.mode }

    /// Reads what `inputs` name from Stripe and finds the endpoint; sends nothing.
    public func plan(_ inputs: ReplayInputs, deadline: ContinuousClock.Instant) async throws(StripeAPIError) -> ReplayPlan {
        var plan = ReplayPlan(endpointURL: apiURL + Self.webhookPath)
        plan.truncated = inputs.truncated
        let endpoints = try await client.list("/v1/webhook_endpoints", deadline: deadline)
        plan.endpointID = endpoints.items.first { $0.string("url") == plan.endpointURL }?.string("id")

        var byEvent: [String: ReplayPlan.Item] = [:]
        if !inputs.missingPaymentIntents.isEmpty {
            var intents: [String: JSONValue] = [:]
            for id in inputs.missingPaymentIntents {
                intents[id] = try await client.get("/v1/payment_intents/\(id)", deadline: deadline).json
            }
            let earliest = intents.values.compactMap { $0.int("created") }.min() ?? 0
            let events = try await client.list(
                "/v1/events", query: [("type", "payment_intent.succeeded"), ("created[gte]", String(earliest - 60))], deadline: deadline)
            for id in inputs.missingPaymentIntents {
                guard let event = events.items.first(where: { $0["data"]?["object"]?.string("id") == id }) else {
                    plan.unmatched.append("\(id): no payment_intent.succeeded event for it in Stripe (older than 30 days, or never sent)")
                    continue
                }
                if var item = Self.item(event, reason: "no row") {
                    let intent = intents[id]
                    item.amount = intent?.int("amount") ?? item.amount
                    item.currency = intent?.string("currency") ?? item.currency
                    byEvent[item.eventID] = item
                }
            }
        }
        for id in inputs.undeliveredEvents where byEvent[id] == nil {
            do {
                let event = try await client.get("/v1/events/\(id)", deadline: deadline).json
                if let item = Self.item(event, reason: "undelivered") { byEvent[id] = item }
            } catch .api(let failure) where failure.code == "resource_missing" {
                plan.unmatched.append("\(id): Stripe no longer has it (events are kept 30 days)")
            }
        }
        let now = Int(Date().timeIntervalSince1970)
        plan.items = byEvent.values.map { item in
            var item = item
            if now - item.created > ReplayPlan.resendLimit { item.problem = "older than 30 days: Stripe cannot resend it" }
            return item
        }.sorted { ($0.created, $0.eventID) < ($1.created, $1.eventID) }
        return plan
    }

    /// Resends every sendable item of `plan`, `pace` apart, then checks the outcomes; `onAction`
    /// hears each action when its outcome is known (to journal and print it).
    public func send(_ plan: ReplayPlan, deadline: ContinuousClock.Instant) async -> [ReplayAction] {
        guard let endpoint = plan.endpointID else { return [] }
        var actions: [ReplayAction] = []
        var resent: [Int] = []
        for (index, item) in plan.sendable.enumerated() {
            if index > 0 { try? await Task.sleep(for: pace) }
            var action = ReplayAction(eventID: item.eventID, type: item.type, paymentIntent: item.paymentIntent, endpoint: endpoint,
                                      sentAt: Date(), requestID: nil, healed: false, outcome: "")
            do {
                let answer = try await client.post("/v1/events/\(item.eventID)/retry", form: [("webhook_endpoint", endpoint)], deadline: deadline)
                action.requestID = answer.requestID
                action.outcome = "resent"
                resent.append(actions.count)
            } catch {
                action.requestID = error.requestID
                action.outcome = "Stripe refused the resend: " + (error.errorDescription ?? "unknown error")
            }
            actions.append(action)
        }
        await verify(&actions, indexes: resent, deadline: min(deadline, ContinuousClock.now + settle))
        return actions
    }

    /// Polls Stripe's `pending_webhooks` and the `"Payment"` rows until every resent event is
    /// acknowledged and recorded, or `deadline`; then says per event what was seen.
    private func verify(_ actions: inout [ReplayAction], indexes: [Int], deadline: ContinuousClock.Instant) async {
        guard !indexes.isEmpty else { return }
        var acknowledged: [Int: Bool] = [:]
        var rows: Set<String> = []
        let intents = indexes.compactMap { actions[$0].paymentIntent }
        let database = databaseURL.flatMap { try? PostgresURL.parse($0) }
        var connection: PostgresConnection?
        defer { connection?.close() }
        var databaseProblem: String? = database == nil ? "DATABASE_URL is not set, so the rows could not be checked" : nil
        repeat {
            for index in indexes where acknowledged[index] != true {
                if let event = try? await client.get("/v1/events/\(actions[index].eventID)", deadline: deadline).json {
                    acknowledged[index] = (event.int("pending_webhooks") ?? 1) == 0
                }
            }
            if let database, !intents.isEmpty, rows.count < Set(intents).count {
                do {
                    if connection == nil {
                        connection = try await PostgresConnection.connect(PostgresConnectionInfo(url: database), deadline: deadline)
                    }
                    let list = "{" + intents.joined(separator: ",") + "}"
                    let result = try await connection!.query(
                        #"SELECT "stripePaymentIntentId" FROM "Payment" WHERE "stripePaymentIntentId" = ANY($1::text[])"#, [list], deadline: deadline)
                    rows = Set(result.rows.compactMap { $0.first ?? nil })
                    databaseProblem = nil
                } catch {
                    connection = nil
                    databaseProblem = "the database could not be read: \(error.localizedDescription)"
                }
            }
            let done = indexes.allSatisfy { index in
                acknowledged[index] == true && (actions[index].paymentIntent.map { rows.contains($0) || database == nil } ?? true)
            }
            if done || ContinuousClock.now + .milliseconds(500) >= deadline { break }
            try? await Task.sleep(for: .milliseconds(500))
        } while !Task.isCancelled
        for index in indexes {
            let answer = switch acknowledged[index] {
            case true?: "the endpoint acknowledged it (Stripe counts no pending delivery)"
            case false?: "Stripe still counts a pending delivery: the endpoint did not answer 2xx (its answer is in Dashboard → Developers → Webhooks)"
            case nil: "Stripe's event could not be read back"
            }
            guard let intent = actions[index].paymentIntent, actions[index].type == "payment_intent.succeeded" else {
                actions[index].healed = acknowledged[index] == true
                actions[index].outcome = answer
                continue
            }
            let row = rows.contains(intent) ? "its Payment row appeared"
                : databaseProblem ?? "no Payment row for \(intent) after \(settle.components.seconds)s"
            actions[index].healed = acknowledged[index] == true && rows.contains(intent)
            actions[index].outcome = answer + "; " + row
        }
    }

    /// An event as a plan item; nil for something that is not an event.
    static func item(_ event: JSONValue, reason: String) -> ReplayPlan.Item? {
        guard let id = event.string("id"), let type = event.string("type") else { return nil }
        let object = event["data"]?["object"]
        let isIntent = object?.string("object") == "payment_intent" || type.hasPrefix("payment_intent.")
        return ReplayPlan.Item(
            eventID: id, type: type, created: event.int("created") ?? 0,
            paymentIntent: isIntent ? object?.string("id") : object?.string("payment_intent"),
            amount: object?.int("amount"), currency: object?.string("currency"), reason: reason)
    }
}
