import Foundation
import Testing
@testable import DoctorKit

private let secret = "whsec_test_secret"
/// An event as Stripe sends it: pretty-printed with 2 spaces, `id` and `object` first.
private let stripeBody = """
    {
      "id": "evt_1CaptureTest",
      "object": "event",
      "api_version": "2026-06-24.dahlia",
      "created": 1700000000,
      "data": {
        "object": {
          "id": "pi_123",
          "object": "payment_intent",
          "amount": 2000,
          "metadata": {}
        }
      },
      "livemode": false,
      "pending_webhooks": 1,
      "type": "payment_intent.succeeded"
    }
    """

private func verdict(_ delivery: CapturedDelivery, now: Int = 1_700_000_100) -> CheckOutcome {
    WebhookSecretCheck.Capture.verify(delivery, secret: secret, tolerance: 300, path: "capture.txt", now: now)
}

@Suite("Webhook capture")
struct WebhookCaptureTests {
    let header = StripeSignature.header(secret: secret, timestamp: 1_700_000_000, payload: Array(stripeBody.utf8))

    @Test("the api-facts vector verifies offline; the prefix-stripped secret does not")
    func vector() {
        let body = Array(#"{"id":"evt_test_webhook","object":"event"}"#.utf8)
        let good = CapturedDelivery(header: "t=1700000000,v1=d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990", body: body)
        #expect(verdict(good).status == .pass)
        let stripped = CapturedDelivery(header: "t=1700000000,v1=9a61facb110a7a0b8d9c2708494d20b0106824ae1ce6a08210268808700c151f", body: body)
        let outcome = verdict(stripped)
        #expect(outcome.status == .fail)
        #expect(outcome.summary.hasPrefix("No signatures found matching the expected signature for payload"))
    }

    @Test("a body re-serialised compact, or with its keys reordered, is named as re-serialised, not as a wrong secret")
    func reserialised() throws {
        let layout = try #require(JSONLayout(Array(stripeBody.utf8)))
        #expect(layout.pretty(indent: 2) == Array(stripeBody.utf8), "the layout must reproduce Stripe's bytes")
        let compact = verdict(CapturedDelivery(header: header, body: layout.compact))
        #expect(compact.status == .fail)
        #expect(compact.summary.contains("the body was re-serialised"))
        #expect(compact.evidence["signed_form"]?.text.contains("pretty-printed with 2 spaces") == true)
        #expect(compact.hint?.contains("express.raw") == true)

        // jsonb-style order: shorter keys first.
        let reordered = #"{"id": "evt_1CaptureTest", "data": {"object": {"id": "pi_123", "amount": 2000, "object": "payment_intent", "metadata": {}}}, "type": "payment_intent.succeeded", "object": "event", "created": 1700000000, "livemode": false, "api_version": "2026-06-24.dahlia", "pending_webhooks": 1}"#
        let moved = verdict(CapturedDelivery(header: header, body: Array(reordered.utf8)))
        #expect(moved.summary.contains("re-serialised"), "\(moved.summary)")
        #expect(moved.evidence["signed_form"]?.text.contains("Stripe's order") == true)
    }

    @Test("a wrong secret, a header without v1 and a malformed header are told apart in Stripe's words")
    func failures() {
        let wrong = WebhookSecretCheck.Capture.verify(
            CapturedDelivery(header: header, body: Array(stripeBody.utf8)), secret: "whsec_other", tolerance: 300, path: "c", now: 1_700_000_100)
        #expect(wrong.status == .fail && wrong.summary.contains("STRIPE_WEBHOOK_SECRET did not sign this delivery"))
        #expect(verdict(CapturedDelivery(header: "t=1700000000,v0=abc", body: [])).summary.hasPrefix("No signatures found with expected scheme v1"))
        #expect(verdict(CapturedDelivery(header: "v1=abc", body: [])).summary.hasPrefix("Unable to extract timestamp and signatures from header"))
    }

    @Test("clock skew: received beyond the tolerance fails as Stripe's \"Timestamp outside the tolerance zone\"")
    func skew() {
        let late = verdict(CapturedDelivery(header: header, body: Array(stripeBody.utf8), receivedAt: 1_700_000_400))
        #expect(late.status == .fail && late.summary.contains("received 400 s after it was signed"))
        #expect(late.evidence["stripe_error"]?.text == "Timestamp outside the tolerance zone (1700000000)")
        let fine = verdict(CapturedDelivery(header: header, body: Array(stripeBody.utf8), receivedAt: 1_700_000_002))
        #expect(fine.status == .pass && fine.summary.contains("within the 300 s tolerance"))
        let old = verdict(CapturedDelivery(header: header, body: Array(stripeBody.utf8)), now: 1_700_000_000 + 86_400 * 3)
        #expect(old.status == .pass && old.summary.contains("signed 3 days ago"))
    }

    @Test("capture files: header lines then the raw body, a request dump with a Date, or JSON; an editor's final newline is forgiven")
    func fileFormats() throws {
        let text = "Stripe-Signature: \(header)\n\n\(stripeBody)"
        let parsed = try CapturedDelivery.parse(Array(text.utf8), path: "a.txt")
        #expect(parsed.header == header && parsed.body == Array(stripeBody.utf8))

        let dump = "POST /api/webhooks/stripe HTTP/1.1\r\nHost: pay.onrender.com\r\nDate: Tue, 14 Nov 2023 22:13:20 GMT\r\nStripe-Signature: \(header)\r\n\r\n\(stripeBody)\n"
        let request = try CapturedDelivery.parse(Array(dump.utf8), path: "b.txt")
        #expect(request.receivedAt == 1_700_000_000)
        let outcome = verdict(request)
        #expect(outcome.status == .pass, "\(outcome.summary)")
        #expect(outcome.summary.contains("ignoring the newline at the end of the capture file"))

        let json = try JSONSerialization.data(withJSONObject: ["header": header, "body": stripeBody, "received_at": 1_700_000_001] as [String: Any])
        let fromJSON = try CapturedDelivery.parse(Array(json), path: "c.json")
        #expect(fromJSON.body == Array(stripeBody.utf8) && fromJSON.receivedAt == 1_700_000_001)

        #expect(throws: CapturedDeliveryError.noHeader(path: "d.txt")) { try CapturedDelivery.parse(Array(stripeBody.utf8), path: "d.txt") }
        #expect(throws: CapturedDeliveryError.self) { try CapturedDelivery.load(path: "/nonexistent/capture.txt") }
    }
}
