import DoctorKit
import Foundation

extension SandboxStripeAPI {
    /// Where the stand-in delivers a resent event: the endpoints it can reach (the sandbox's own
    /// URL) and the secret it signs with, as Stripe signs with the endpoint's secret.
    struct Delivery: Sendable {
        /// The sandbox's base URL; an endpoint under it is delivered to `handler`.
        var base: String
        /// The endpoint's signing secret (the sandbox's `STRIPE_WEBHOOK_SECRET`).
        var secret: String
        /// The payment API's handler, called in process as if over the network.
        var handler: @Sendable (ServerRequest) -> ServerResponse
    }

    /// How long Stripe keeps an event it can resend.
    static let resendLimit = 30 * 86_400

    /// `POST /v1/events/{id}/retry` with `webhook_endpoint=we_…` (api-facts §9): redelivers an event
    /// the stand-in knows, created within 30 days, to one of the account's endpoints, signed like any
    /// delivery, and answers the event with `pending_webhooks` as the delivery left it. Nil for any
    /// other POST.
    func resend(_ request: ServerRequest) -> ServerResponse? {
        let parts = request.path.split(separator: "/").map(String.init)
        guard parts.count == 4, parts[0] == "v1", parts[1] == "events", parts[3] == "retry" else { return nil }
        let id = parts[2]
        let form = Self.form(request.body)
        let now = Int(Date().timeIntervalSince1970)
        lock.lock()
        resendCalls += 1
        let (events, endpoints, delivery) = (self.events, self.endpoints, self.delivery)
        lock.unlock()
        // Stripe names an event it no longer keeps exactly as one it never had.
        guard let event = events.first(where: { $0.string("id") == id }), (event.int("created") ?? 0) >= now - Self.resendLimit else {
            return error(404, type: "invalid_request_error", code: "resource_missing", message: "No such notification: '\(id)'", param: "id")
        }
        guard let endpointID = form["webhook_endpoint"], !endpointID.isEmpty else {
            return error(400, type: "invalid_request_error", code: "parameter_missing",
                         message: "Missing required param: webhook_endpoint.", param: "webhook_endpoint")
        }
        guard let endpoint = endpoints.first(where: { $0.string("id") == endpointID }) else {
            return error(400, type: "invalid_request_error", code: "resource_missing",
                         message: "No such webhook endpoint: '\(endpointID)'", param: "webhook_endpoint")
        }
        let status = deliver(event, to: endpoint.string("url") ?? "", with: delivery, now: now)
        let pending = (200...299).contains(status) ? 0 : 1
        let updated = Self.replacing("pending_webhooks", with: .int(pending), in: event)
        lock.withLock {
            if let index = self.events.firstIndex(where: { $0.string("id") == id }) { self.events[index] = updated }
        }
        return ok(updated)
    }

    /// Posts `event` to `url` signed with the endpoint's secret; the status the endpoint answered,
    /// 0 when the stand-in cannot reach it (an endpoint outside the sandbox).
    func deliver(_ event: JSONValue, to url: String, with delivery: Delivery?, now: Int) -> Int {
        guard let delivery, url.hasPrefix(delivery.base + "/") else { return 0 }
        let path = String(url.dropFirst(delivery.base.count))
        let body = Array(Self.pretty(event).utf8)
        let signature = StripeSignature.header(secret: delivery.secret, timestamp: now, payload: body)
        let request = ServerRequest(
            method: "POST", path: path,
            headers: [("Content-Type", "application/json; charset=utf-8"), ("Stripe-Signature", signature),
                      ("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")],
            body: body)
        return delivery.handler(request).status
    }

    /// `a=1&b=we_x` as form fields (percent-decoded, `+` as a space).
    static func form(_ body: [UInt8]) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            if let name = parts.first { fields[name] = parts.count > 1 ? parts[1] : "" }
        }
        return fields
    }

    /// `object` with the member `name` set to `value`.
    static func replacing(_ name: String, with value: JSONValue, in object: JSONValue) -> JSONValue {
        guard case let .object(members) = object else { return object }
        return .object(members.map { $0.0 == name ? (name, value) : $0 })
    }
}
