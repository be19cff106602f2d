import DoctorKit
import Foundation
import Testing
@testable import DoctorSandbox

/// The Stripe stand-in walked route by route against api-facts §9 and Stripe's published spec:
/// the parameters Stripe accepts are accepted, unknown ones refused as Stripe refuses them
/// (`parameter_unknown` in its error shape), and the fields the doctor relies on are present, so a
/// client cannot pass only against a stand-in laxer than the real API (issue 19, item 5).
@Suite("Stripe stand-in strictness")
struct SandboxStripeStrictTests {
    let sandbox = Sandbox()

    func get(_ path: String, _ query: [(String, String)] = [], key: String? = nil) -> (status: Int, json: JSONValue?) {
        var single: [String: String] = [:]
        for (name, value) in query { single[name] = value }
        let key = key ?? sandbox.environment["STRIPE_SECRET_KEY"]!
        let response = sandbox.handle(ServerRequest(method: "GET", path: path, query: single, queryItems: query,
                                                    headers: key.isEmpty ? [] : [("Authorization", "Bearer \(key)")]))
        return (response.status, JSONValue.parse(Data(response.body)))
    }

    func items(_ answer: (status: Int, json: JSONValue?)) -> [JSONValue] {
        if case let .array(list)? = answer.json?["data"] { return list }
        return []
    }

    func expectRefusal(_ answer: (status: Int, json: JSONValue?), code: String, param: String, _ comment: Comment) {
        #expect(answer.status == 400, comment)
        #expect(answer.json?["error"]?["type"] == .string("invalid_request_error"), comment)
        #expect(answer.json?["error"]?["code"] == .string(code), comment)
        #expect(answer.json?["error"]?["param"] == .string(param), comment)
    }

    @Test("events: type patterns, types[] (≤ 20, not with type), delivery_success, created bounds, limit 1-100, newest first; the fields the doctor reads")
    func events() throws {
        try sandbox.start()
        defer { sandbox.stop() }
        let all = items(get("/v1/events", [("limit", "100")]))
        #expect(!all.isEmpty)
        let created = all.compactMap { $0["created"].flatMap { if case let .int(n) = $0 { n } else { nil } } }
        #expect(created == created.sorted(by: >), "newest first")
        for event in all {
            #expect(event["object"] == .string("event"))
            #expect({ if case .int? = event["pending_webhooks"] { true } else { false } }(), "pending_webhooks is an integer")
            #expect(event["request"] != nil, "request is present (an object or null)")
            #expect(event["api_version"] != nil, "api_version is present (a string or null)")
        }
        let pattern = items(get("/v1/events", [("type", "payment_intent.*"), ("limit", "100")]))
        #expect(!pattern.isEmpty && pattern.allSatisfy { $0["type"]?.text.hasPrefix("payment_intent.") == true })
        let listed = items(get("/v1/events", [("types[]", "charge.succeeded"), ("types[]", "payment_intent.succeeded"), ("limit", "100")]))
        #expect(!listed.isEmpty && listed.allSatisfy { ["charge.succeeded", "payment_intent.succeeded"].contains($0["type"]?.text ?? "") })
        expectRefusal(get("/v1/events", [("type", "charge.succeeded"), ("types[]", "charge.succeeded")]), code: "parameter_invalid_string", param: "types", "type and types[]")
        expectRefusal(get("/v1/events", (0..<21).map { ("types[]", "t.\($0)") }), code: "parameter_invalid_array", param: "types", "21 types")
        expectRefusal(get("/v1/events", [("limit", "101")]), code: "parameter_invalid_integer", param: "limit", "limit 101")
        expectRefusal(get("/v1/events", [("limit", "0")]), code: "parameter_invalid_integer", param: "limit", "limit 0")
        expectRefusal(get("/v1/events", [("delivery_success", "maybe")]), code: "parameter_invalid_boolean", param: "delivery_success", "a boolean")
        expectRefusal(get("/v1/events", [("order", "asc")]), code: "parameter_unknown", param: "order", "unknown parameter")
        expectRefusal(get("/v1/events", [("starting_after", "evt_nope")]), code: "resource_missing", param: "starting_after", "unknown cursor")
        let since = (created.first ?? 0) - 3600
        #expect(items(get("/v1/events", [("created[gte]", "\(since)"), ("limit", "100")])).allSatisfy {
            if case let .int(time)? = $0["created"] { time >= since } else { false }
        })
    }

    @Test("webhook endpoints, payment intents and the account: documented parameters accepted, fields present, unknown ones refused")
    func otherRoutes() throws {
        try sandbox.start()
        defer { sandbox.stop() }
        let endpoints = items(get("/v1/webhook_endpoints", [("limit", "10"), ("expand[]", "data.application")]))
        #expect(!endpoints.isEmpty)
        for endpoint in endpoints {
            #expect(["enabled", "disabled"].contains(endpoint["status"]?.text ?? ""))
            #expect(endpoint["api_version"] != nil && endpoint["url"] != nil && endpoint["livemode"] != nil)
            guard case let .array(events)? = endpoint["enabled_events"] else { Issue.record("enabled_events"); continue }
            // Exact types or `*` only: Stripe has no `prefix.*` patterns in enabled_events.
            #expect(events.allSatisfy { $0.text == "*" || !$0.text.hasSuffix(".*") })
        }
        let intents = items(get("/v1/payment_intents", [("limit", "100")]))
        #expect(!intents.isEmpty && intents.allSatisfy { $0["customer"] != nil && $0["amount"] != nil && $0["status"] != nil })
        #expect(get("/v1/payment_intents", [("customer", "cus_nobody")]).status == 200)
        #expect(items(get("/v1/payment_intents", [("customer", "cus_nobody")])).isEmpty)
        expectRefusal(get("/v1/payment_intents", [("status", "succeeded")]), code: "parameter_unknown", param: "status", "status is not a list filter")
        expectRefusal(get("/v1/account", [("limit", "1")]), code: "parameter_unknown", param: "limit", "account takes no list parameters")
        let noKey = get("/v1/account", key: "")
        #expect(noKey.status == 401 && noKey.json?["error"]?["type"] == .string("invalid_request_error"))
    }
}
