import DoctorKit
import Foundation

extension SandboxStripeAPI {
    /// The parameters `POST /v1/payment_intents` takes here (the spec's names the canary and the
    /// usual clients send); any other is `parameter_unknown`, as Stripe answers it.
    static let paymentIntentParameters: Set<String> = [
        "amount", "currency", "confirm", "payment_method", "payment_method_types[]", "description", "return_url",
        "automatic_payment_methods[enabled]", "automatic_payment_methods[allow_redirects]", "customer", "receipt_email",
        "capture_method", "statement_descriptor_suffix", "off_session",
    ]

    /// The currencies the stand-in takes and Stripe's minimum charge in each, in its smallest unit
    /// (zero-decimal currencies in whole units).
    static let minimumCharge: [String: Int] = [
        "usd": 50, "eur": 50, "gbp": 30, "cad": 50, "aud": 50, "nzd": 50, "chf": 50, "sgd": 50, "hkd": 400,
        "jpy": 50, "sek": 300, "nok": 300, "dkk": 250, "pln": 200, "czk": 1500, "mxn": 1000, "brl": 50, "inr": 50,
    ]

    /// The test payment methods Stripe's test mode knows by these ids (api-facts §9); each succeeds.
    static let testPaymentMethods: Set<String> = ["pm_card_visa", "pm_card_mastercard", "pm_card_amex"]

    /// `POST /v1/payment_intents` (api-facts §9 "A test payment"): creates a payment intent, and with
    /// `confirm=true` and a test card confirms it at once, then creates its events and delivers
    /// `payment_intent.succeeded` to the endpoints subscribed to it, signed, shortly after (on a
    /// queue of its own, as Stripe delivers after answering). An `Idempotency-Key` replays the first
    /// answer for the same parameters and refuses other parameters, as Stripe does.
    func createPaymentIntent(_ request: ServerRequest) -> ServerResponse {
        let pairs = Self.formPairs(request.body)
        let key = request.header("Idempotency-Key")
        let fingerprint = pairs.map { "\($0.0)=\($0.1)" }.sorted()
        if let key {
            guard !key.isEmpty, key.count <= 255 else {
                return error(400, type: "invalid_request_error", code: nil, message: "Idempotency-Key must be at most 255 characters long.")
            }
            // Taken under one lock: a second request with the key while the first is under way is
            // refused, as Stripe refuses it, never answered with a second payment.
            enum Claim { case earlier((parameters: [String], response: ServerResponse)), busy, mine }
            let claim: Claim = lock.withLock {
                if let earlier = idempotent[key] { return .earlier(earlier) }
                if inProgress.contains(key) { return .busy }
                inProgress.insert(key)
                return .mine
            }
            if case .busy = claim {
                return error(409, type: "idempotency_error", code: nil,
                             message: "There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): \(key). Please try again later.")
            }
            if case let .earlier(earlier) = claim {
                guard earlier.parameters == fingerprint else {
                    return error(400, type: "idempotency_error", code: nil,
                                 message: "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '\(key)' if you meant to execute a different request.")
                }
                var replayed = earlier.response
                replayed.headers = replayed.headers.filter { $0.0 != "Request-Id" }
                    + [("Request-Id", "req_" + Self.randomID(14)), ("Idempotent-Replayed", "true"), ("Original-Request", Self.originalRequest(earlier.response))]
                return replayed
            }
        }
        let response = makePaymentIntent(pairs, idempotencyKey: key)
        // Stripe keeps the answer to a key when the request reached its servers, errors included.
        if let key {
            lock.withLock {
                inProgress.remove(key)
                if response.status != 429 { idempotent[key] = (fingerprint, response) }
            }
        }
        return response
    }

    /// The `Request-Id` an answer carried: Stripe's `Original-Request` header on a replay.
    static func originalRequest(_ response: ServerResponse) -> String {
        response.headers.first { $0.0 == "Request-Id" }?.1 ?? ""
    }

    private func makePaymentIntent(_ pairs: [(String, String)], idempotencyKey: String?) -> ServerResponse {
        var fields: [String: String] = [:]
        var metadata: [(String, JSONValue)] = []
        for (name, value) in pairs {
            if name.hasPrefix("metadata[") && name.hasSuffix("]") {
                let metadataKey = String(name.dropFirst("metadata[".count).dropLast())
                guard !metadataKey.isEmpty, metadataKey.count <= 40, value.count <= 500 else {
                    return error(400, type: "invalid_request_error", code: "parameter_invalid_string",
                                 message: "Metadata keys must be at most 40 characters and values at most 500.", param: name)
                }
                metadata.append((metadataKey, .string(value)))
                continue
            }
            guard Self.paymentIntentParameters.contains(name) || name.hasPrefix("expand") else {
                return error(400, type: "invalid_request_error", code: "parameter_unknown", message: "Received unknown parameter: \(name)", param: name)
            }
            fields[name] = value
        }
        guard metadata.count <= 50 else {
            return error(400, type: "invalid_request_error", code: "parameter_invalid_string", message: "You can specify up to 50 metadata keys.", param: "metadata")
        }
        guard let amountText = fields["amount"] else {
            return error(400, type: "invalid_request_error", code: "parameter_missing", message: "Missing required param: amount.", param: "amount")
        }
        guard let amount = Int(amountText) else {
            return error(400, type: "invalid_request_error", code: "parameter_invalid_integer", message: "Invalid integer: \(amountText)", param: "amount")
        }
        guard let currency = fields["currency"]?.lowercased() else {
            return error(400, type: "invalid_request_error", code: "parameter_missing", message: "Missing required param: currency.", param: "currency")
        }
        guard let minimum = Self.minimumCharge[currency] else {
            return error(400, type: "invalid_request_error", code: "parameter_invalid_string",
                         message: "Invalid currency: \(currency). Stripe currently supports these currencies: \(Self.minimumCharge.keys.sorted().joined(separator: ", "))",
                         param: "currency")
        }
        guard amount >= 1 else {
            return error(400, type: "invalid_request_error", code: "parameter_invalid_integer", message: "This value must be greater than or equal to 1.", param: "amount")
        }
        guard amount <= 99_999_999 else {
            return error(400, type: "invalid_request_error", code: "amount_too_large", message: "Amount must be no more than 99999999 \(currency)", param: "amount")
        }
        // Stripe's minimum charge: 50 cents in US dollars, about that in the others.
        if amount < minimum {
            return error(400, type: "invalid_request_error", code: "amount_too_small",
                         message: "Amount must be at least \(PaymentCanary.price(minimum, currency)) \(currency)", param: "amount")
        }
        for name in ["confirm", "automatic_payment_methods[enabled]", "off_session"] {
            if let value = fields[name], value != "true" && value != "false" {
                return error(400, type: "invalid_request_error", code: "parameter_invalid_boolean", message: "Invalid boolean: \(value)", param: name)
            }
        }
        let confirm = fields["confirm"] == "true"
        let method = fields["payment_method"]
        let types = pairs.filter { $0.0 == "payment_method_types[]" }.map(\.1)
        if method != nil, !types.isEmpty, !types.contains("card") {
            return error(400, type: "invalid_request_error", code: "payment_intent_incompatible_payment_method",
                         message: "The PaymentMethod provided (card) is not allowed for this PaymentIntent. Please attach a PaymentMethod of one of the following types: \(types.joined(separator: ", ")).",
                         param: "payment_method")
        }
        if let method {
            guard Self.testPaymentMethods.contains(method) else {
                return error(400, type: "invalid_request_error", code: "resource_missing", message: "No such PaymentMethod: '\(method)'", param: "payment_method")
            }
            if liveMode {
                return error(400, type: "invalid_request_error", code: "resource_missing",
                             message: "No such PaymentMethod: '\(method)'; a similar object exists in test mode, but a live mode key was used to make this request.",
                             param: "payment_method")
            }
        }
        if confirm {
            guard method != nil else {
                return error(400, type: "invalid_request_error", code: "payment_intent_unexpected_state",
                             message: "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method.")
            }
            // Recent API versions turn on automatic payment methods, which may redirect: without
            // card-only types, redirects off, or a return_url, confirming is refused.
            let cardOnly = fields["payment_method_types[]"] != nil
            let noRedirects = fields["automatic_payment_methods[enabled]"] == "true" && fields["automatic_payment_methods[allow_redirects]"] == "never"
            guard cardOnly || noRedirects || fields["return_url"] != nil else {
                return error(400, type: "invalid_request_error", code: nil,
                             message: "This PaymentIntent is configured to accept payment methods enabled in your Dashboard. Because some of these payment methods might redirect your customer off of your page, you must provide a `return_url`. If you don't want to accept redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` and `automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and Payment Intents.",
                             param: "return_url")
            }
        }
        let now = Int(Date().timeIntervalSince1970)
        let id = "pi_" + Self.randomID(24)
        let succeeded = confirm && method != nil
        let charge = succeeded ? "ch_" + Self.randomID(24) : nil
        let intent: JSONValue = .object([
            ("id", .string(id)), ("object", .string("payment_intent")), ("amount", .int(amount)),
            ("amount_capturable", .int(0)), ("amount_received", .int(succeeded ? amount : 0)),
            ("capture_method", .string(fields["capture_method"] ?? "automatic_async")),
            ("client_secret", .string(id + "_secret_" + Self.randomID(25))),
            ("confirmation_method", .string("automatic")), ("created", .int(now)), ("currency", .string(currency)),
            ("customer", fields["customer"].map { .string($0) } ?? .null),
            ("description", fields["description"].map { .string($0) } ?? .null),
            ("latest_charge", charge.map { .string($0) } ?? .null), ("livemode", .bool(false)),
            ("metadata", .object(metadata)), ("payment_method", method.map { _ in .string("pm_" + Self.randomID(24)) } ?? .null),
            ("payment_method_types", .array([.string("card")])),
            ("status", .string(succeeded ? "succeeded" : method == nil ? "requires_payment_method" : "requires_confirmation")),
        ])
        let requestID = "req_" + Self.randomID(14)
        var created: [JSONValue] = [event(type: "payment_intent.created", object: intent, created: now, requestID: requestID, key: idempotencyKey)]
        if let charge, case let .object(members) = intent {
            let chargeObject: JSONValue = .object([
                ("id", .string(charge)), ("object", .string("charge")), ("amount", .int(amount)), ("amount_refunded", .int(0)),
                ("currency", .string(currency)), ("customer", .null), ("metadata", members.first { $0.0 == "metadata" }?.1 ?? .object([])),
                ("paid", .bool(true)), ("payment_intent", .string(id)), ("refunded", .bool(false)), ("status", .string("succeeded")),
            ])
            created.append(event(type: "charge.succeeded", object: chargeObject, created: now, requestID: requestID, key: idempotencyKey))
            created.append(event(type: "payment_intent.succeeded", object: intent, created: now, requestID: requestID, key: idempotencyKey))
        }
        lock.withLock {
            paymentIntents.insert(intent, at: 0)
            events.insert(contentsOf: created.reversed(), at: 0)
        }
        deliverLater(created)
        var headers = Self.standardHeaders().filter { $0.0 != "Request-Id" } + [("Request-Id", requestID)]
        if let idempotencyKey { headers.append(("Idempotency-Key", idempotencyKey)) }
        return .json(200, Self.pretty(intent), headers: headers)
    }

    /// An event of `type` around `object`, pending at every enabled endpoint subscribed to it.
    private func event(type: String, object: JSONValue, created: Int, requestID: String, key: String?) -> JSONValue {
        let subscribed = lock.withLock { endpoints }.compactMap(StripeWebhookEndpoint.init).filter { $0.status == "enabled" && $0.receives(type) }
        return .object([
            ("id", .string("evt_" + Self.randomID(24))), ("object", .string("event")), ("api_version", .string(Self.apiVersion)),
            ("created", .int(created)), ("data", .object([("object", object)])), ("livemode", .bool(false)),
            ("pending_webhooks", .int(subscribed.count)),
            ("request", .object([("id", .string(requestID)), ("idempotency_key", key.map { .string($0) } ?? .null)])),
            ("type", .string(type)),
        ])
    }

    /// Delivers each pending event to its subscribed endpoints a moment after the answer, as
    /// Stripe does; an acknowledged delivery (2xx) clears the event's pending count.
    private func deliverLater(_ created: [JSONValue]) {
        let delivery = lock.withLock { self.delivery }
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(120)) { [self] in
            for event in created where (event.int("pending_webhooks") ?? 0) > 0 {
                let type = event.string("type") ?? ""
                let targets = lock.withLock { endpoints }.compactMap(StripeWebhookEndpoint.init).filter { $0.status == "enabled" && $0.receives(type) }
                var acknowledged = 0
                for endpoint in targets {
                    let status = deliver(event, to: endpoint.url, with: delivery, now: Int(Date().timeIntervalSince1970))
                    if (200...299).contains(status) { acknowledged += 1 }
                }
                guard acknowledged > 0, let id = event.string("id") else { continue }
                let pending = max(0, targets.count - acknowledged)
                lock.withLock {
                    if let index = events.firstIndex(where: { $0.string("id") == id }) {
                        events[index] = Self.replacing("pending_webhooks", with: .int(pending), in: events[index])
                    }
                }
            }
        }
    }

    /// `a=1&metadata[k]=v&types[]=x` as ordered pairs (percent-decoded, `+` as a space), repeated names kept.
    static func formPairs(_ body: [UInt8]) -> [(String, String)] {
        String(decoding: body, as: UTF8.self).split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            return (parts.first ?? "", parts.count > 1 ? parts[1] : "")
        }
    }
}
