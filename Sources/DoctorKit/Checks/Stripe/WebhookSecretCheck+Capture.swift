import Foundation

extension WebhookSecretCheck {
    /// The offline way: a captured delivery verified with the local secret, as Stripe's libraries
    /// would verify it, naming the part that failed.
    struct Capture: Check {
        let capture: Template
        let tolerance: Int
        let timeout: Duration

        func run(in context: CheckContext) async -> CheckOutcome {
            let path: String
            switch capture.expand(context.configuration) {
            case let .success(text): path = text
            case let .failure(missing):
                return CheckOutcome(
                    .skip, "skipped: no captured delivery given (\(missing.message))",
                    hint: "To verify offline, save a delivery as the service received it (the Stripe-Signature header line, a blank line, the raw body) and set \(missing.names.joined(separator: ", ")) to the file's path.")
            }
            let secret: String
            switch WebhookSecretCheck.secret(context) {
            case let .success(value): secret = value
            case let .failure(stop): return stop.outcome
            }
            let delivery: CapturedDelivery
            do {
                delivery = try CapturedDelivery.load(path: path)
            } catch {
                return CheckOutcome(.unknown, error.localizedDescription,
                                    hint: "See the README (\"Giving a captured delivery\") for the file format.")
            }
            return Self.verify(delivery, secret: secret, tolerance: tolerance, path: path, now: Int(Date().timeIntervalSince1970))
        }

        /// The verdict on `delivery`; `now` is the current time in Unix seconds.
        static func verify(_ delivery: CapturedDelivery, secret: String, tolerance: Int, path: String, now: Int) -> CheckOutcome {
            var evidence = Evidence()
            evidence["capture"] = .string(path)
            evidence["body_bytes"] = .int(delivery.body.count)
            let parsed = StripeSignature.parse(delivery.header)
            if let timestamp = parsed.timestamp { evidence["timestamp"] = .int(timestamp) }
            evidence["v1_signatures"] = .int(parsed.v1.count)
            if let json = JSONValue.parse(Data(delivery.body)) {
                if let id = json.string("id") { evidence["event_id"] = .string(id) }
                if let type = json.string("type") { evidence["event_type"] = .string(type) }
            }
            // The signature first, with no age limit: a capture is old by nature; age is judged below.
            do {
                try StripeSignature.verify(payload: delivery.body, header: delivery.header, secret: secret, tolerance: 0, now: now)
            } catch {
                evidence["stripe_error"] = .string(error.localizedDescription)
                switch error {
                case .emptyHeader, .noTimestamp:
                    return CheckOutcome(.fail, "\(error.localizedDescription): the capture's Stripe-Signature header is malformed", evidence: evidence,
                                        hint: "Capture the header exactly as received: t=<unix time>,v1=<hex>[,v1=…].")
                case .noV1:
                    return CheckOutcome(.fail, "\(error.localizedDescription): the header has no v1 signature", evidence: evidence,
                                        hint: "Only v1 signatures are verifiable (v0 is a test-mode decoy): capture the whole Stripe-Signature header.")
                case .noMatch, .tooOld:
                    for alternative in delivery.alternatives
                    where (try? StripeSignature.verify(payload: alternative.body, header: delivery.header, secret: secret, tolerance: 0, now: now)) != nil {
                        evidence["signed_form"] = .string(alternative.name)
                        if alternative.name.hasPrefix("without the newline") {
                            return judgeAge(delivery, parsed: parsed, tolerance: tolerance, now: now, evidence: evidence,
                                            note: " (ignoring the newline at the end of the capture file)")
                        }
                        return CheckOutcome(
                            .fail, "the body was re-serialised: the signature fits the same JSON \(alternative.name), so STRIPE_WEBHOOK_SECRET is right but the handler verifies other bytes than Stripe sent",
                            evidence: evidence,
                            hint: "Verify the raw body: mount express.raw({ type: 'application/json' }) on the webhook route before any express.json(), and pass req.body (a Buffer) to stripe.webhooks.constructEvent, never JSON.stringify(req.body).")
                    }
                    return CheckOutcome(
                        .fail, "\(StripeSignatureError.noMatch.localizedDescription): STRIPE_WEBHOOK_SECRET did not sign this delivery, or its body was altered",
                        evidence: evidence, hint: "If the capture is the raw body as received, the secret is not this endpoint's: copy the signing secret of the endpoint that sent it (Stripe Dashboard → Developers → Webhooks) into STRIPE_WEBHOOK_SECRET.")
                }
            }
            return judgeAge(delivery, parsed: parsed, tolerance: tolerance, now: now, evidence: evidence, note: "")
        }

        /// The signature matched; is the timestamp acceptable when the service received it?
        static func judgeAge(
            _ delivery: CapturedDelivery, parsed: StripeSignature.Header, tolerance: Int, now: Int, evidence: Evidence, note: String
        ) -> CheckOutcome {
            // The signature matched: Stripe signs with this very secret, whatever its shape suggested.
            judgeTimestamp(delivery, parsed: parsed, tolerance: tolerance, now: now, evidence: evidence, note: note)
                .proving("STRIPE_WEBHOOK_SECRET")
        }

        private static func judgeTimestamp(
            _ delivery: CapturedDelivery, parsed: StripeSignature.Header, tolerance: Int, now: Int, evidence: Evidence, note: String
        ) -> CheckOutcome {
            var evidence = evidence
            let timestamp = parsed.timestamp ?? now
            let matched = "the captured delivery verifies with STRIPE_WEBHOOK_SECRET\(note)"
            guard let received = delivery.receivedAt else {
                evidence["age_s"] = .int(now - timestamp)
                return CheckOutcome(.pass, "\(matched); signed \(Self.age(now - timestamp)) ago (no receive time in the capture to judge clock skew)", evidence: evidence)
            }
            let skew = received - timestamp
            evidence["received_at"] = .int(received)
            evidence["skew_s"] = .int(skew)
            if skew > tolerance {
                evidence["stripe_error"] = .string(StripeSignatureError.tooOld(timestamp: timestamp).localizedDescription)
                return CheckOutcome(
                    .fail, "\(matched), but it was received \(skew) s after it was signed, beyond the \(tolerance) s tolerance: Stripe's libraries reject it as \"Timestamp outside the tolerance zone\"",
                    evidence: evidence,
                    hint: "The service's clock is behind or deliveries queue before verification: sync the clock (NTP) and verify on arrival.")
            }
            if -skew > tolerance {
                return CheckOutcome(
                    .warn, "\(matched), but it was received \(-skew) s before it was signed: the service's clock runs ahead",
                    evidence: evidence, hint: "Sync the service's clock (NTP): Stripe's libraries accept future timestamps, but logs and reconciliation times will be off.")
            }
            return CheckOutcome(.pass, "\(matched); received \(skew) s after signing, within the \(tolerance) s tolerance", evidence: evidence)
        }

        static func age(_ seconds: Int) -> String {
            switch seconds {
            case ..<120: "\(seconds) s"
            case ..<7200: "\(seconds / 60) min"
            case ..<172_800: "\(seconds / 3600) h"
            default: "\(seconds / 86400) days"
            }
        }
    }
}
