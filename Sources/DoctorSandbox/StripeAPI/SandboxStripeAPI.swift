import DoctorKit
import Foundation

/// The sandbox's stand-in for the Stripe API (`/v1/account`, `/v1/webhook_endpoints`, `/v1/events`,
/// `/v1/payment_intents`),
/// answering in Stripe's documented shapes: list objects with `has_more`, error objects, a
/// `Request-Id` on every answer, Bearer (or Basic) authentication with the sandbox's key.
///
/// Its data is made when the sandbox starts: one account, the payment API's webhook endpoint among
/// two unrelated ones, a day of events and the week before it (`SandboxStripeEvents`); the Stripe
/// faults change that data or its answers.
final class SandboxStripeAPI: @unchecked Sendable {
    static let apiVersion = "2026-06-24.dahlia"
    static let webhookPath = "/api/webhooks/stripe"
    /// The events the payment API's endpoint is subscribed to.
    static let handledEvents = [
        "payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded",
        "charge.dispute.created", "customer.subscription.updated", "customer.subscription.deleted",
    ]

    let fault: SandboxFault?
    private let key: String
    let lock = NSLock()
    var account: JSONValue = .null
    var endpoints: [JSONValue] = []
    var events: [JSONValue] = []
    /// The payment intents, newest first: the payments the sandbox's database holds rows for, and
    /// those created through `POST /v1/payment_intents` (a canary).
    var paymentIntents: [JSONValue]
    /// The answers given to each `Idempotency-Key`, with the parameters they were given for.
    var idempotent: [String: (parameters: [String], response: ServerResponse)] = [:]
    /// The keys of requests under way, refused to a second request meanwhile.
    var inProgress: Set<String> = []
    /// The stand-in's key is a live-mode one (`sk_live_…`): test payment methods do not exist.
    var liveMode: Bool { key.hasPrefix("sk_live_") || key.hasPrefix("rk_live_") }
    let payments: SandboxPayments
    /// Where a resent event is delivered, and with which secret it is signed (set by the sandbox:
    /// the payment API's handler, in process, when the endpoint's URL is the sandbox's own).
    var delivery: Delivery?
    /// How many resend calls were answered (tests assert a dry run made none).
    var resendCalls = 0
    /// How many `POST /v1/payment_intents` arrived (tests assert a refused canary made none).
    var paymentIntentCalls = 0

    init(fault: SandboxFault?, key: String, payments: SandboxPayments = SandboxPayments([])) {
        self.fault = fault
        self.key = key
        self.payments = payments
        paymentIntents = payments.intents
    }

    /// Makes the sandbox's Stripe data for a payment API at `apiURL`, relative to now.
    func start(apiURL: String) {
        let now = Int(Date().timeIntervalSince1970)
        var endpoints: [JSONValue] = []
        if fault != .endpointMissing {
            let path = fault == .wrongPath ? "/api/webhook" : Self.webhookPath
            endpoints.append(Self.endpoint(
                url: apiURL + path, events: Self.handledEvents, status: fault == .endpointDisabled ? "disabled" : "enabled",
                description: "payments-api on Render", created: now - 86_400 * 90))
        }
        endpoints.append(Self.endpoint(
            url: "https://analytics.example.com/stripe/events", events: ["invoice.paid", "invoice.payment_failed"],
            status: "enabled", description: "revenue analytics", created: now - 86_400 * 200))
        endpoints.append(Self.endpoint(
            url: "https://hooks.zapier.com/hooks/catch/1234567/abcdefg/", events: ["checkout.session.completed"],
            status: "enabled", description: nil, created: now - 86_400 * 400))

        // A day of traffic, newest first, and one event from before the default window.
        let types = [
            "payment_intent.succeeded", "charge.succeeded", "payment_intent.created", "customer.subscription.updated",
            "payment_intent.succeeded", "charge.refunded", "payment_intent.payment_failed", "customer.created",
            "payment_intent.succeeded",
        ]
        var events: [JSONValue] = []
        for (index, type) in types.enumerated() {
            let created = index == types.count - 1 ? now - 86_400 * 2 : now - 600 - index * 7_200
            // Deliveries failing: the newest events are still pending at the payment API's endpoint.
            let pending = (fault == .deliveriesFailing || fault == .clockSkew) && index < 6 ? 1 : 0
            events.append(Self.event(type: type, created: created, pending: pending))
        }
        // The week before, for the baseline checks; Stripe lists newest first.
        events += SandboxStripeEvents.history(now: now, fault: fault)
        // The succeeded payments the service never recorded have their event, so a resend can heal them.
        events += SandboxStripeEvents.unrecorded(payments, now: now)
        events.sort { ($0.int("created") ?? 0) > ($1.int("created") ?? 0) }
        let account = Self.account(created: now - 86_400 * 400)
        lock.lock()
        self.account = account
        self.endpoints = endpoints
        self.events = events
        lock.unlock()
    }

    func handle(_ request: ServerRequest) -> ServerResponse {
        if let refusal = authenticate(request) { return refusal }
        if fault == .stripeRateLimited {
            return error(429, type: "invalid_request_error", code: "rate_limit",
                         message: "Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.")
        }
        if request.method == "POST", let resend = resend(request) { return resend }
        if request.method == "POST", request.path == "/v1/payment_intents" {
            lock.withLock { paymentIntentCalls += 1 }
            return createPaymentIntent(request)
        }
        guard request.method == "GET" else { return unrecognized(request) }
        lock.lock()
        let (account, endpoints, events, paymentIntents) = (self.account, self.endpoints, self.events, self.paymentIntents)
        lock.unlock()
        let parts = request.path.split(separator: "/").map(String.init)
        switch parts {
        case ["v1", "account"]:
            if let unknown = unknownParameter(request, allowed: []) { return unknown }
            return ok(account)
        case ["v1", "webhook_endpoints"]:
            return list(request, items: endpoints, url: "/v1/webhook_endpoints", noun: "webhook endpoint", filters: [])
        case let path where path.count == 3 && path[0] == "v1" && path[1] == "webhook_endpoints":
            return retrieve(path[2], from: endpoints, noun: "webhook endpoint")
        case ["v1", "events"]:
            // `type` takes one name or a `prefix.*` pattern, `types[]` up to 20 exact names; not both.
            let types = request.queryItems.filter { $0.0 == "types[]" }.map(\.1)
            if !types.isEmpty && request.query["type"] != nil {
                return error(400, type: "invalid_request_error", code: "parameter_invalid_string",
                             message: "You may only specify one of these parameters: type, types.", param: "types")
            }
            if types.count > 20 {
                return error(400, type: "invalid_request_error", code: "parameter_invalid_array",
                             message: "Invalid array: types may hold at most 20 items.", param: "types")
            }
            let filters = ["type", "types[]", "delivery_success", "created", "created[gt]", "created[gte]", "created[lt]", "created[lte]"]
            return list(request, items: events, url: "/v1/events", noun: "event", filters: filters)
        case let path where path.count == 3 && path[0] == "v1" && path[1] == "events":
            return retrieve(path[2], from: events, noun: "event")
        case ["v1", "payment_intents"]:
            let filters = ["customer", "created", "created[gt]", "created[gte]", "created[lt]", "created[lte]"]
            return list(request, items: paymentIntents, url: "/v1/payment_intents", noun: "payment_intent", filters: filters)
        case let path where path.count == 3 && path[0] == "v1" && path[1] == "payment_intents":
            return retrieve(path[2], from: paymentIntents, noun: "payment_intent")
        default:
            return unrecognized(request)
        }
    }

    // MARK: - Answers

    /// Bearer auth as the libraries send it, or Basic with the key as user name; 401 otherwise.
    private func authenticate(_ request: ServerRequest) -> ServerResponse? {
        var given: String?
        if let authorization = request.header("Authorization") {
            let parts = authorization.split(separator: " ", maxSplits: 1).map(String.init)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                given = parts[1].trimmingCharacters(in: .whitespaces)
            } else if parts.count == 2, parts[0].lowercased() == "basic",
                let decoded = Data(base64Encoded: parts[1]).map({ String(decoding: $0, as: UTF8.self) })
            {
                given = decoded.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)
            }
        }
        guard let given, !given.isEmpty else {
            return error(401, type: "invalid_request_error", code: nil,
                         message: "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
                         headers: [("WWW-Authenticate", "Bearer realm=\"Stripe\"")])
        }
        guard given == key else {
            // Stripe shows the key's prefix, stars, and its last four characters.
            let prefix = ["sk_live_", "sk_test_", "rk_live_", "rk_test_"].first { given.hasPrefix($0) } ?? ""
            let masked = prefix + String(repeating: "*", count: max(0, given.count - prefix.count - 4)) + given.suffix(4)
            return error(401, type: "invalid_request_error", code: nil, message: "Invalid API Key provided: \(masked)",
                         headers: [("WWW-Authenticate", "Bearer realm=\"Stripe\"")])
        }
        return nil
    }

    private func list(_ request: ServerRequest, items: [JSONValue], url: String, noun: String, filters: [String]) -> ServerResponse {
        if let unknown = unknownParameter(request, allowed: ["limit", "starting_after", "ending_before"] + filters) { return unknown }
        var limit = 10
        if let text = request.query["limit"] {
            guard let number = Int(text) else {
                return error(400, type: "invalid_request_error", code: "parameter_invalid_integer", message: "Invalid integer: \(text)", param: "limit")
            }
            guard (1...100).contains(number) else {
                return error(400, type: "invalid_request_error", code: "parameter_invalid_integer",
                             message: number < 1 ? "This value must be greater than or equal to 1." : "This value must be less than or equal to 100.",
                             param: "limit")
            }
            limit = number
        }
        var selected = items
        for (name, value) in request.queryItems {
            switch name {
            case "type":
                selected = selected.filter { item in
                    let type = item.string("type") ?? ""
                    return value.hasSuffix("*") ? type.hasPrefix(String(value.dropLast())) : type == value
                }
            case "types[]":
                let wanted = Set(request.queryItems.filter { $0.0 == "types[]" }.map(\.1))
                selected = selected.filter { wanted.contains($0.string("type") ?? "") }
            case "customer":
                selected = selected.filter { $0.string("customer") == value }
            case "delivery_success":
                guard value == "true" || value == "false" else {
                    return error(400, type: "invalid_request_error", code: "parameter_invalid_boolean", message: "Invalid boolean: \(value)", param: name)
                }
                selected = selected.filter { ((($0.int("pending_webhooks") ?? 0) == 0) ? "true" : "false") == value }
            case let name where name.hasPrefix("created"):
                guard let bound = Int(value) else {
                    return error(400, type: "invalid_request_error", code: "parameter_invalid_integer", message: "Invalid integer: \(value)", param: name)
                }
                selected = selected.filter { item in
                    let created = item.int("created") ?? 0
                    switch name {
                    case "created[gt]": return created > bound
                    case "created[gte]": return created >= bound
                    case "created[lt]": return created < bound
                    case "created[lte]": return created <= bound
                    default: return created == bound
                    }
                }
            default:
                continue
            }
        }
        if let after = request.query["starting_after"] {
            guard let index = items.firstIndex(where: { $0.string("id") == after }) else {
                return error(400, type: "invalid_request_error", code: "resource_missing", message: "No such \(noun): '\(after)'", param: "starting_after")
            }
            let cursor = items[index].int("created") ?? 0
            let cursorID = after
            // Newest first: everything after the cursor in that order.
            let position = selected.firstIndex { $0.string("id") == cursorID }
            selected = position.map { Array(selected[($0 + 1)...]) } ?? selected.filter { ($0.int("created") ?? 0) < cursor }
        } else if let before = request.query["ending_before"] {
            guard let index = selected.firstIndex(where: { $0.string("id") == before }) else {
                return error(400, type: "invalid_request_error", code: "resource_missing", message: "No such \(noun): '\(before)'", param: "ending_before")
            }
            selected = Array(selected[max(0, index - limit)..<index])
        }
        let page = Array(selected.prefix(limit))
        return ok(.object([
            ("object", .string("list")), ("data", .array(page)), ("has_more", .bool(selected.count > page.count)), ("url", .string(url)),
        ]))
    }

    private func retrieve(_ id: String, from items: [JSONValue], noun: String) -> ServerResponse {
        guard let item = items.first(where: { $0.string("id") == id }) else {
            return error(404, type: "invalid_request_error", code: "resource_missing", message: "No such \(noun): '\(id)'", param: "id")
        }
        return ok(item)
    }

    private func unknownParameter(_ request: ServerRequest, allowed: [String]) -> ServerResponse? {
        for (name, _) in request.queryItems where !allowed.contains(name) && !name.hasPrefix("expand") {
            return error(400, type: "invalid_request_error", code: "parameter_unknown", message: "Received unknown parameter: \(name)", param: name)
        }
        return nil
    }

    func unrecognized(_ request: ServerRequest) -> ServerResponse {
        error(404, type: "invalid_request_error", code: nil,
              message: "Unrecognized request URL (\(request.method): \(request.path)). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.")
    }

    func ok(_ json: JSONValue) -> ServerResponse {
        .json(200, Self.pretty(json), headers: Self.standardHeaders())
    }

    /// Stripe's error object; `doc_url` as Stripe derives it from the code.
    func error(
        _ status: Int, type: String, code: String?, message: String, param: String? = nil, headers: [(String, String)] = []
    ) -> ServerResponse {
        var members: [(String, JSONValue)] = []
        if let code {
            members.append(("code", .string(code)))
            members.append(("doc_url", .string("https://stripe.com/docs/error-codes/" + code.replacingOccurrences(of: "_", with: "-"))))
        }
        members.append(("message", .string(message)))
        if let param { members.append(("param", .string(param))) }
        members.append(("request_log_url", .string("https://dashboard.stripe.com/test/logs/req_sandbox?t=\(Int(Date().timeIntervalSince1970))")))
        members.append(("type", .string(type)))
        return .json(status, Self.pretty(.object([("error", .object(members))])), headers: Self.standardHeaders() + headers)
    }

    static func standardHeaders() -> [(String, String)] {
        [
            ("Request-Id", "req_" + randomID(14)), ("Stripe-Version", apiVersion),
            ("Cache-Control", "no-cache, no-store"), ("Access-Control-Allow-Origin", "*"),
        ]
    }

    // MARK: - Data

    static func endpoint(url: String, events: [String], status: String, description: String?, created: Int) -> JSONValue {
        .object([
            // The same endpoint has the same id in every sandbox (see `SandboxSecrets.stable`).
            ("id", .string("we_" + SandboxSecrets.stable(24, from: alphabet, seed: "endpoint \(description ?? "") \(events)"))),
            ("object", .string("webhook_endpoint")),
            ("api_version", .string(apiVersion)), ("application", .null), ("created", .int(created)),
            ("description", description.map { .string($0) } ?? .null),
            ("enabled_events", .array(events.map { .string($0) })), ("livemode", .bool(false)),
            ("metadata", .object([])), ("status", .string(status)), ("url", .string(url)),
        ])
    }

    static func event(type: String, created: Int, pending: Int) -> JSONValue {
        let objectName = String(type.split(separator: ".").dropLast().joined(separator: "."))
        let prefix = ["payment_intent": "pi_", "charge": "ch_", "customer": "cus_", "customer.subscription": "sub_"][objectName] ?? "obj_"
        return .object([
            ("id", .string("evt_" + randomID(24))), ("object", .string("event")), ("api_version", .string(apiVersion)),
            ("created", .int(created)),
            ("data", .object([("object", .object([
                ("id", .string(prefix + randomID(24))), ("object", .string(objectName.replacingOccurrences(of: "customer.", with: ""))),
                ("livemode", .bool(false)),
            ]))])),
            ("livemode", .bool(false)), ("pending_webhooks", .int(pending)),
            ("request", .object([("id", .string("req_" + randomID(14))), ("idempotency_key", .null)])),
            ("type", .string(type)),
        ])
    }

    static func account(created: Int) -> JSONValue {
        .object([
            ("id", .string("acct_1" + SandboxSecrets.stable(15, from: alphabet, seed: "account"))), ("object", .string("account")),
            ("business_profile", .object([("name", .string("Payments API sandbox")), ("url", .null)])),
            ("charges_enabled", .bool(true)), ("country", .string("US")), ("created", .int(created)),
            ("default_currency", .string("usd")), ("details_submitted", .bool(true)),
            ("email", .string("payments@example.com")), ("payouts_enabled", .bool(true)),
            ("settings", .object([("dashboard", .object([("display_name", .string("Payments sandbox")), ("timezone", .string("Etc/UTC"))]))])),
            ("type", .string("standard")),
        ])
    }

    static let alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

    static func randomID(_ count: Int) -> String {
        String((0..<count).map { _ in alphabet.randomElement()! })
    }

    /// JSON indented by two spaces, keys in the order given, as Stripe's API writes it.
    static func pretty(_ value: JSONValue, depth: Int = 0) -> String {
        let pad = String(repeating: "  ", count: depth + 1)
        let close = String(repeating: "  ", count: depth)
        switch value {
        case .null: return "null"
        case let .bool(flag): return flag ? "true" : "false"
        case let .int(number): return String(number)
        case let .double(number): return String(number)
        case let .string(text): return quoted(text)
        case let .array(items):
            guard !items.isEmpty else { return "[]" }
            return "[\n" + items.map { pad + pretty($0, depth: depth + 1) }.joined(separator: ",\n") + "\n\(close)]"
        case let .object(members):
            guard !members.isEmpty else { return "{}" }
            return "{\n" + members.map { pad + quoted($0.0) + ": " + pretty($0.1, depth: depth + 1) }.joined(separator: ",\n") + "\n\(close)}"
        }
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
