import Foundation

/// The `stripe-api` check kind: the Stripe API is reachable, answers in time and accepts the key
/// (`GET /v1/account`); the account id is evidence for an escalation.
public struct StripeAPICheck: CheckKind {
    public static let name = "stripe-api"

    /// Without guidance from the guide on Stripe's own latency, the guide's webhook latency bands.
    static let defaultWarn = Duration.seconds(1)
    static let defaultFail = Duration.seconds(5)
    /// Room for the fail threshold plus Stripe's two retries with backoff.
    static let defaultTimeout = Duration.seconds(15)

    public static func make(_ parameters: ParameterReader, step: StepSettings) throws(RunbookError) -> any Check {
        let limits = try step.latencyLimits(warn: defaultWarn, fail: defaultFail, timeout: defaultTimeout)
        return Probe(warn: limits.warn, fail: limits.fail, timeout: limits.timeout)
    }

    /// A configured `stripe-api` step.
    struct Probe: Check {
        let warn: Duration
        let fail: Duration
        let timeout: Duration

        func run(in context: CheckContext) async -> CheckOutcome {
            return await StripeCheckSupport.run(context) { (client, evidence) throws(StripeAPIError) in
                let started = ContinuousClock.now
                let response = try await client.get("/v1/account", deadline: context.deadline)
                // Stripe answered with the account: the key works, whatever its shape suggested.
                return judge(response, elapsed: ContinuousClock.now - started, client: client, evidence: evidence)
                    .proving("STRIPE_SECRET_KEY")
            }
        }

        private func judge(_ response: StripeResponse, elapsed: Duration, client: StripeClient, evidence: Evidence) -> CheckOutcome {
            var evidence = evidence
            let account = response.json
            if let id = account.string("id") { evidence["account_id"] = .string(id) }
            if let name = account["business_profile"]?.string("name") ?? account["settings"]?["dashboard"]?.string("display_name") {
                evidence["account_name"] = .string(name)
            }
            if let charges = account.bool("charges_enabled") { evidence["charges_enabled"] = .bool(charges) }
            if let requestID = response.requestID { evidence["request_id"] = .string(requestID) }
            evidence["attempts"] = .int(response.attempts)
            evidence["timings"] = response.timings.json
            evidence["total_ms"] = .int(Int(elapsed.milliseconds))

            let latency = response.timings.total
            let who = account.string("id").map { "account \($0)" } ?? "the account"
            var summary = "\(who) answered in \(latency.short) with key \(client.keyDisplay)"
            if response.attempts > 1 { summary += " after \(response.attempts) attempts" }
            if latency >= fail {
                return CheckOutcome(.fail, "\(summary), over the \(fail.short) critical threshold", evidence: evidence,
                                    hint: "Stripe answers slowly from here: check status.stripe.com and the network path; slow Stripe calls slow every webhook that calls Stripe.")
            }
            if latency >= warn {
                return CheckOutcome(.warn, "\(summary), over the \(warn.short) healthy threshold", evidence: evidence,
                                    hint: "Stripe answers slowly from here: check status.stripe.com and the network path; slow Stripe calls slow every webhook that calls Stripe.")
            }
            if client.mode == "live", account.bool("charges_enabled") == false {
                return CheckOutcome(.warn, "\(summary), but charges are not enabled on it", evidence: evidence,
                                    hint: "Stripe has disabled charges on this account: see the requirements in the Stripe Dashboard.")
            }
            return CheckOutcome(.pass, summary, evidence: evidence)
        }
    }
}
