import Foundation

extension EscalationSummary {
    /// The Stripe support summary: account, endpoint, failing events, the endpoint's answers,
    /// request ids, the window, and the guide's three Stripe criteria.
    public static func stripe(_ record: SessionRecord) -> EscalationSummary {
        let facts = SessionFacts(record: record)
        var fields: [Field] = [
            facts.field("Stripe account", "account_id", kinds: ["stripe-api"]),
            Field(label: "Mode", value: record.info.stripeMode, source: nil),
            facts.field("Webhook endpoint id", "endpoint_id", kinds: ["stripe-endpoint"]),
            facts.field("Webhook endpoint URL", "endpoint_url", kinds: ["stripe-endpoint"]),
            facts.field("Endpoint status", "status", kinds: ["stripe-endpoint"]),
            facts.field("Failing or pending events", "events", kinds: ["stripe-deliveries"]),
            facts.field("Failed or pending count", "failed_or_pending", kinds: ["stripe-deliveries"]),
        ]
        if fields[3].value == nil, let target = record.info.target {
            fields[3] = Field(label: "Webhook endpoint URL", value: target + "/api/webhooks/stripe (expected; not confirmed in Stripe)", source: nil)
        }
        let responses = facts.webhookResponses
        fields.append(Field(label: "Our endpoint's answers to the doctor",
                            value: responses.isEmpty ? nil : responses.map { "HTTP \($0.status) (\($0.source))" }.joined(separator: ", "),
                            source: nil))
        // What the service itself logged about the deliveries it got: the endpoint's answers to
        // Stripe, as near as the session can see them.
        var seenScans: Set<String> = []
        let logged = facts.steps(kind: "log-scan").compactMap { runbook, step -> String? in
            guard seenScans.insert(step.id).inserted, let counts = step.evidence["counts"] else { return nil }
            var line = "\(counts.text) over \(step.evidence["window"]?.text ?? "the window")"
            if let rate = step.evidence["success_rate"] { line += "; webhook success \(rate.text)" }
            return line + " (\(runbook)/\(step.id))"
        }
        fields.append(Field(label: "The endpoint's answers in the service's logs",
                            value: logged.isEmpty ? nil : logged.joined(separator: "; "), source: nil))
        let requestIDs = facts.requestIDs
        fields.append(Field(label: "Stripe request ids", value: requestIDs.isEmpty ? nil : requestIDs.joined(separator: ", "), source: nil))

        // 1. "Webhook endpoint consistently returns 5XX errors"
        let serverErrors = responses.filter { (500...599).contains($0.status) }
        let fiveXX = Criterion(
            text: "Webhook endpoint consistently returns 5XX errors",
            met: responses.isEmpty ? nil : (!serverErrors.isEmpty && serverErrors.count == responses.count),
            evidence: responses.isEmpty ? "no request reached the webhook endpoint in this session"
                : responses.map { "HTTP \($0.status) from \($0.source)" }.joined(separator: "; "))

        // 2. "Stripe shows delivery failures for correct URL"
        let endpoint = facts.steps(kind: "stripe-endpoint").first?.step
        let deliveries = facts.steps(kind: "stripe-deliveries").first?.step
        let urlCorrect: Bool? = endpoint.flatMap { $0.status == .skip || $0.status == .unknown ? nil : $0.status == .pass }
        let failing: Bool? = deliveries.flatMap { $0.status == .skip || $0.status == .unknown ? nil : $0.status != .pass }
        let deliveryMet: Bool? = (urlCorrect == false || failing == false) ? false : (urlCorrect == true && failing == true ? true : nil)
        let delivery = Criterion(
            text: "Stripe shows delivery failures for correct URL",
            met: deliveryMet,
            evidence: [endpoint.map { "endpoint: \($0.summary)" } ?? "endpoint not checked (STRIPE_SECRET_KEY missing or step not run)",
                       deliveries.map { "deliveries: \($0.summary)" } ?? "deliveries not checked"].joined(separator: "; "))

        // 3. "API rate limit constantly hit for legitimate traffic"
        let stripeSteps = record.allSteps.filter { $0.step.kind.hasPrefix("stripe") }
        let limited = stripeSteps.filter {
            $0.step.evidence["http_status"] == .int(429) || $0.step.evidence["status"] == .int(429) || $0.step.summary.contains("429")
        }
        let rateLimit = Criterion(
            text: "API rate limit constantly hit for legitimate traffic",
            met: stripeSteps.isEmpty ? nil : (!limited.isEmpty && limited.count == stripeSteps.filter { $0.step.status != .skip }.count),
            evidence: stripeSteps.isEmpty ? "no Stripe API step ran"
                : limited.isEmpty ? "no 429 from the Stripe API in \(stripeSteps.count) step(s)"
                : limited.map { "\($0.step.title): \($0.step.summary)" }.joined(separator: "; "))

        let criteria = [fiveXX, delivery, rateLimit]
        let escalate: Bool
        let verdict: String
        if !serverErrors.isEmpty {
            escalate = false
            verdict = "Do not escalate to Stripe yet: our own endpoint answers HTTP \(serverErrors.map { String($0.status) }.joined(separator: ", ")). That is the service's failure, not Stripe's: check the Render logs and Sentry, fix it, then re-run."
        } else if deliveryMet == true || rateLimit.met == true {
            escalate = true
            verdict = "Escalate to Stripe: " + [deliveryMet == true ? "deliveries fail although the endpoint URL is registered correctly and our endpoint answers the doctor" : nil,
                                                rateLimit.met == true ? "the Stripe API rate-limits every call" : nil].compactMap { $0 }.joined(separator: "; ") + "."
        } else if criteria.allSatisfy({ $0.met == nil }) {
            escalate = false
            verdict = "Cannot tell yet: the session did not check the Stripe side (set STRIPE_SECRET_KEY and run `doctor --check webhooks-not-arriving`)."
        } else {
            escalate = false
            verdict = "The guide's criteria for escalating to Stripe are not met; fix the findings below first."
        }
        var summary = EscalationSummary(
            team: .stripe, session: record.info.id, windowStart: record.info.startedAt,
            windowEnd: record.endedAt ?? record.lastEventAt, fields: fields, criteria: criteria, verdict: verdict,
            escalate: escalate, findings: facts.findings, ruledOut: facts.ruledOut, notes: facts.notes)
        summary.actionsTaken = record.actions.map(\.line) + PaymentCanary.actions(in: record)
        return summary
    }
}
