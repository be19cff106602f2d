import Foundation

extension WebhookSecretCheck {
    /// The live probe: a wrongly signed control request, then a synthetic event signed with the
    /// local secret, both POSTed to the deployed webhook endpoint.
    struct Probe: Check {
        let url: Template
        let warn: Duration
        let fail: Duration
        let timeout: Duration

        func run(in context: CheckContext) async -> CheckOutcome {
            if context.readOnly {
                return CheckOutcome(.skip, "skipped under --read-only: the live probe POSTs a signed test event to the service")
            }
            let (target, secret): (String, String)
            switch WebhookSecretCheck.signingTarget(url, context) {
            case let .success(found): (target, secret) = found
            case let .failure(stop): return stop.outcome
            }
            let redactor = Redactor(context.configuration)
            var evidence = Evidence()
            evidence["url"] = .string(target)
            let now = Int(Date().timeIntervalSince1970)
            let event = Self.syntheticEvent(created: now)
            evidence["event_id"] = .string(event.id)
            evidence["event_type"] = .string("doctor.probe")

            // The control: correctly formed, signed with a random key. A 2xx means nothing is verified.
            let wrongKey = "whsec_doctor_control_" + UUID().uuidString
            // The service logs the control as a signature failure: noted, so log scans know it is ours.
            context.resources.ownRequests?.record("control")
            let control: HTTPResponse
            switch await post(event.body, header: StripeSignature.header(secret: wrongKey, timestamp: now, payload: event.body), to: target, context: context) {
            case let .success(response): control = response
            case let .failure(error): return Self.outcome(for: error, evidence: evidence)
            }
            evidence["control_status"] = .int(control.status)
            evidence["control_response"] = .string(Self.responseLine(control, redactor))
            if (200...299).contains(control.status) {
                return CheckOutcome(
                    .fail, "the endpoint accepted an event with a wrong signature (HTTP \(control.status)): it does not verify Stripe signatures",
                    evidence: evidence,
                    hint: "Security: anyone can post fake payment events to the service. Verify every request with stripe.webhooks.constructEvent(rawBody, req.headers['stripe-signature'], STRIPE_WEBHOOK_SECRET) on the raw body, and answer 400 when it throws.")
            }
            if let early = Self.routeProblem(control, target: target, evidence: evidence, redactor: redactor) { return early }

            let signed: HTTPResponse
            context.resources.ownRequests?.record("probe")
            switch await post(event.body, header: StripeSignature.header(secret: secret, timestamp: now, payload: event.body), to: target, context: context) {
            case let .success(response): signed = response
            case let .failure(error): return Self.outcome(for: error, evidence: evidence)
            }
            evidence["status"] = .int(signed.status)
            evidence["response"] = .string(Self.responseLine(signed, redactor))
            evidence["timings"] = signed.timings.json
            let roundTrip = signed.timings.total
            if (200...299).contains(signed.status) {
                let summary = "the service accepted an event signed with STRIPE_WEBHOOK_SECRET (HTTP \(signed.status) in \(roundTrip.short)): the secrets match"
                if roundTrip >= fail {
                    return CheckOutcome(.fail, "\(summary), but over the \(fail.short) critical threshold", evidence: evidence,
                                        hint: "Stripe times a delivery out and retries it: acknowledge with 2xx first and process the event asynchronously (the guide wants under 1 s).")
                        .proving("STRIPE_WEBHOOK_SECRET")
                }
                if roundTrip >= warn {
                    return CheckOutcome(.warn, "\(summary), but over the \(warn.short) healthy threshold", evidence: evidence,
                                        hint: "Webhook processing should take under 1 s: look for N+1 queries in the handler and acknowledge before slow work.")
                        .proving("STRIPE_WEBHOOK_SECRET")
                }
                return CheckOutcome(.pass, summary, evidence: evidence).proving("STRIPE_WEBHOOK_SECRET")
            }
            if signed.status == 400 {
                // stripe-node given an undefined secret: `The "key" argument must be of type string …
                // Received undefined` — the deployed service has no STRIPE_WEBHOOK_SECRET at all.
                if signed.text.contains("Received undefined") || signed.text.contains("No webhook secret") {
                    return CheckOutcome(
                        .fail, "the deployed service verifies with no secret at all (STRIPE_WEBHOOK_SECRET is not set there): \(Self.responseLine(signed, redactor))",
                        evidence: evidence, hint: WebhookSecretCheck.mismatchHint)
                }
                // stripe-node's answer to a signature older than its clock allows: the clocks
                // differ (read from the answer's Date), the secret is not in question.
                if signed.text.contains("Timestamp outside the tolerance zone") {
                    let skew = ClockSkewCheck.Reading(date: signed.header("date"), sent: Double(now), received: Date().timeIntervalSince1970)
                    if let skew { evidence["service_clock"] = .string(skew.words + " of this machine's") }
                    let clocks = skew.map { "the service's clock is \($0.words) of this machine's" } ?? "the service's clock and this machine's differ"
                    return CheckOutcome(
                        .fail, "the service rejected a correctly signed event as too old (\"Timestamp outside the tolerance zone\"): \(clocks), beyond Stripe's \(StripeSignature.defaultTolerance) s tolerance; the secret is not in question",
                        evidence: evidence,
                        hint: "A receiver whose clock runs more than 300 s ahead rejects genuine deliveries too: see the clock-skew step (it compares the service's clock with Stripe's) and fix the host's time synchronisation.")
                }
                if signed.text.lowercased().contains("signature") {
                    return CheckOutcome(
                        .fail, "the service rejected an event signed with STRIPE_WEBHOOK_SECRET: \(Self.responseLine(signed, redactor))",
                        evidence: evidence, hint: WebhookSecretCheck.mismatchHint)
                }
                return CheckOutcome(
                    .warn, "HTTP 400 without a signature error for a correctly signed event: the secret probably matches, but the handler refused the doctor's event",
                    evidence: evidence,
                    hint: "Check the handler's answer for unknown event types: it should acknowledge (2xx) events it does not handle, or Stripe retries them for days.")
            }
            if let problem = Self.routeProblem(signed, target: target, evidence: evidence, redactor: redactor) { return problem }
            return CheckOutcome(.fail, "HTTP \(signed.status) to a correctly signed event: \(Self.responseLine(signed, redactor))", evidence: evidence)
        }

        private func post(_ body: [UInt8], header: String, to url: String, context: CheckContext) async -> Result<HTTPResponse, HTTPError> {
            let limit = min(timeout, context.remaining)
            let request = HTTPRequest(
                method: "POST", url: url,
                headers: [("Content-Type", "application/json; charset=utf-8"), ("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks) doctor")],
                body: Data(body), timeout: limit, maxRedirects: 0, credentialHeaders: [("Stripe-Signature", header)])
            do {
                return .success(try await context.perform(request))
            } catch {
                return .failure(error)
            }
        }

        /// A 404, 405, 429, 5xx or redirect: the route is not there or the service is failing.
        static func routeProblem(_ response: HTTPResponse, target: String, evidence: Evidence, redactor: Redactor) -> CheckOutcome? {
            var evidence = evidence
            evidence["status"] = .int(response.status)
            evidence["response"] = .string(responseLine(response, redactor))
            switch response.status {
            case 404, 405:
                return CheckOutcome(
                    .fail, "HTTP \(response.status) at \(target): the webhook route is not there", evidence: evidence,
                    hint: "The service does not mount the webhook at /api/webhooks/stripe: fix the route (or the URL registered in Stripe must match where it is mounted).")
            case 300...399:
                return CheckOutcome(
                    .fail, "HTTP \(response.status) redirect at \(target)", evidence: evidence,
                    hint: "Stripe does not follow redirects: register the final URL (often https instead of http, or without a trailing slash) in Stripe Dashboard → Developers → Webhooks.")
            case 429:
                return CheckOutcome(
                    .fail, "HTTP 429 at \(target): the service's rate limit refused the probe", evidence: evidence,
                    hint: "The service's own rate limit (100 requests per 60 s) also refuses Stripe's deliveries: raise it for the webhook route or exempt it.")
            case 500...599:
                return CheckOutcome(
                    .fail, "HTTP \(response.status) at \(target): \(responseLine(response, redactor))", evidence: evidence,
                    hint: "The webhook handler fails before or while verifying: read the Render logs and Sentry at this time.")
            default:
                return nil
            }
        }

        static func outcome(for error: HTTPError, evidence: Evidence) -> CheckOutcome {
            var evidence = evidence
            evidence["error"] = .string(error.localizedDescription)
            if error == .cancelled { return CheckOutcome(.unknown, "cancelled", evidence: evidence) }
            return CheckOutcome(.fail, error.localizedDescription, evidence: evidence,
                                hint: "The webhook endpoint did not answer: check that the API is up (api-health) and the Render logs.")
        }

        /// `HTTP 400 Webhook Error: No signatures found…`: the status and the body's first line, redacted.
        static func responseLine(_ response: HTTPResponse, _ redactor: Redactor) -> String {
            let first = BodyExcerpt.of(response.text, firstLineOnly: true, redactedBy: redactor.redact)
            return first.isEmpty ? "HTTP \(response.status)" : "HTTP \(response.status) \(first)"
        }

        /// A harmless event that says where it comes from: the service records it like any other,
        /// so its id and type make it unmistakably the doctor's.
        static func syntheticEvent(created: Int) -> (id: String, body: [UInt8]) {
            let id = "evt_doctor_probe_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(24)
            let json = """
                {
                  "id": "\(id)",
                  "object": "event",
                  "api_version": null,
                  "created": \(created),
                  "data": {
                    "object": {
                      "object": "doctor_probe",
                      "description": "Synthetic event sent by doctor to check STRIPE_WEBHOOK_SECRET; not from Stripe, safe to ignore."
                    }
                  },
                  "livemode": false,
                  "pending_webhooks": 0,
                  "request": {
                    "id": null,
                    "idempotency_key": null
                  },
                  "type": "doctor.probe"
                }
                """
            return (String(id), Array(json.utf8))
        }
    }
}
