import Foundation

/// What the Stripe API check kinds share: building the client from the configuration (or skipping
/// when there is no key) and turning a failed call into an outcome with evidence and a hint.
enum StripeCheckSupport {
    /// The client, or the outcome to return when it cannot be built.
    static func client(_ context: CheckContext) -> Result<StripeClient, StepStop> {
        do {
            return .success(try StripeClient(configuration: context.configuration, http: context.http))
        } catch {
            return .failure(StepStop(outcome(for: error, client: nil, evidence: Evidence())))
        }
    }

    /// Runs a Stripe step's `body` with the client and the evidence every Stripe step starts with:
    /// no key is a skip, a failed call an outcome in plain words with what to do about it.
    static func run(
        _ context: CheckContext, _ body: (StripeClient, inout Evidence) async throws(StripeAPIError) -> CheckOutcome
    ) async -> CheckOutcome {
        let client: StripeClient
        switch self.client(context) {
        case let .success(built): client = built
        case let .failure(stop): return stop.outcome
        }
        var evidence = evidence(client)
        do {
            return try await body(client, &evidence)
        } catch {
            return outcome(for: error, client: client, evidence: evidence)
        }
    }

    /// Evidence every Stripe step carries: which key (masked), mode and API base.
    static func evidence(_ client: StripeClient) -> Evidence {
        var evidence = Evidence()
        evidence["key"] = .string(client.keyDisplay)
        if let mode = client.mode { evidence["mode"] = .string(mode) }
        if client.base != StripeClient.defaultBase { evidence["api_base"] = .string(client.base) }
        return evidence
    }

    /// The outcome of a Stripe call that failed, in plain words, with what to do about it.
    static func outcome(for error: StripeAPIError, client: StripeClient?, evidence: Evidence) -> CheckOutcome {
        var evidence = evidence
        let summary = error.localizedDescription
        switch error {
        case .missingKey:
            return CheckOutcome(
                .skip, "skipped: STRIPE_SECRET_KEY is not set, so the Stripe API cannot be asked", evidence: evidence,
                hint: "Set STRIPE_SECRET_KEY (Stripe Dashboard → Developers → API keys) in the environment or .env to let the doctor read the endpoint and its deliveries.")
        case .invalidBase:
            return CheckOutcome(.unknown, summary, evidence: evidence,
                                hint: "Unset STRIPE_API_BASE, or set it to an absolute URL such as https://api.stripe.com.")
        case let .transport(httpError, attempts):
            evidence["error"] = .string(httpError.localizedDescription)
            evidence["attempts"] = .int(attempts)
            if httpError == .cancelled { return CheckOutcome(.unknown, "cancelled", evidence: evidence) }
            return CheckOutcome(.fail, summary, evidence: evidence,
                                hint: "Check outbound network access to \(client?.base ?? StripeClient.defaultBase) and Stripe's status page (status.stripe.com); a TLS error usually means a proxy intercepts HTTPS.")
        case let .invalidResponse(status, requestID, detail):
            evidence["http_status"] = .int(status)
            if let requestID { evidence["request_id"] = .string(requestID) }
            evidence["detail"] = .string(detail)
            return CheckOutcome(.fail, summary, evidence: evidence,
                                hint: "The answer is not Stripe's: if STRIPE_API_BASE is set, it points at something else; otherwise a proxy answered in Stripe's place.")
        case let .api(failure):
            evidence["http_status"] = .int(failure.status)
            if let type = failure.type { evidence["error_type"] = .string(type) }
            if let code = failure.code { evidence["error_code"] = .string(code) }
            if let message = failure.message { evidence["error_message"] = .string(message) }
            if let requestID = failure.requestID { evidence["request_id"] = .string(requestID) }
            if let retry = failure.shouldRetry { evidence["stripe_should_retry"] = .bool(retry) }
            if let retryAfter = failure.retryAfter { evidence["retry_after"] = .string(retryAfter) }
            evidence["attempts"] = .int(failure.attempts)
            let key = client?.keyDisplay ?? "STRIPE_SECRET_KEY"
            switch failure.errorClass {
            case "AuthenticationError":
                return CheckOutcome(
                    .fail, "Stripe rejected STRIPE_SECRET_KEY (\(key)): \(failure.message ?? "HTTP 401")", evidence: evidence,
                    hint: "The key is wrong, rolled or deleted: copy the secret key from Stripe Dashboard → Developers → API keys into STRIPE_SECRET_KEY on Render (and your .env), then redeploy; the service cannot call Stripe with it either.")
            case "PermissionError":
                return CheckOutcome(
                    .unknown, "the key \(key) may not read this: \(failure.message ?? "HTTP 403")", evidence: evidence,
                    hint: "A restricted key needs read access to Webhook Endpoints, Events and Account for these checks; grant it in Dashboard → Developers → API keys, or run the doctor with the secret key.")
            case "RateLimitError":
                let told = failure.shouldRetry == true ? "" : "; not retried, as Stripe did not send Stripe-Should-Retry: true"
                return CheckOutcome(
                    .fail, "Stripe rate limited the request (HTTP \(failure.status)\(failure.code.map { ", \($0)" } ?? ""))\(told)",
                    evidence: evidence,
                    hint: "This account's Stripe API rate limit is being hit (100 requests/s live, 25/s test): find the code making bulk calls, paginate and back off exponentially; if legitimate traffic constantly hits it, escalate to Stripe support with the request id.")
            default:
                if failure.status >= 500 {
                    return CheckOutcome(
                        .fail, summary, evidence: evidence,
                        hint: "Stripe's API itself is failing: check status.stripe.com; if it persists, escalate to Stripe support with the request id.")
                }
                return CheckOutcome(.fail, summary, evidence: evidence,
                                    hint: "Stripe refused the doctor's request; the request id lets Stripe support look it up.")
            }
        }
    }
}
