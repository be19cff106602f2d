import Foundation

/// The `stripe-deliveries` check kind: events of a recent window whose webhook deliveries failed or
/// are still pending, and the delivery success rate against the guide's bands.
///
/// Stripe's API says per event how many endpoints have not acknowledged it (`pending_webhooks`,
/// across every endpoint of the account) and lists events with `delivery_success=false`; it gives
/// no per-attempt response codes. The evidence says so rather than implying more.
public struct StripeDeliveriesCheck: CheckKind {
    public static let name = "stripe-deliveries"

    static let defaultWindow = Duration.seconds(24 * 3600)
    /// Stripe lists events of the last 30 days only.
    static let maxWindow = Duration.seconds(30 * 24 * 3600)
    static let defaultTimeout = Duration.seconds(20)
    /// The guide's webhook success rate bands: healthy above 99 %, critical below 95 %.
    static let defaultWarn = 99.0
    static let defaultFail = 95.0
    /// How many recent events the success rate is computed over, at most.
    static let sampleSize = 500

    public static func make(_ parameters: ParameterReader, step: StepSettings) throws(RunbookError) -> any Check {
        let window = try parameters.duration("window") ?? defaultWindow
        if window <= .zero || window > maxWindow {
            throw RunbookError(parameters.value("window")!.location,
                               "`window` must be more than 0 and at most 720h (Stripe keeps events for 30 days), found \(window.short)")
        }
        let shown = try parameters.int("show", in: 1...100) ?? 10
        let warn = try step.percentThreshold(step.warn, name: "warn") ?? defaultWarn
        let fail = try step.percentThreshold(step.fail, name: "fail") ?? defaultFail
        if fail > warn, let value = step.fail {
            throw RunbookError(value.location, "thresholds.fail (\(fail)%) must not be above thresholds.warn (\(warn)%): both are success rates below which the step warns or fails")
        }
        return Probe(window: window, shown: shown, warn: warn, fail: fail, timeout: step.timeout ?? defaultTimeout)
    }

    /// A configured `stripe-deliveries` step.
    struct Probe: Check {
        let window: Duration
        let shown: Int
        let warn: Double
        let fail: Double
        let timeout: Duration

        /// `24h`, `90m` or `45s`: the window as an operator writes it.
        var windowText: String {
            let seconds = Int(window.seconds)
            if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
            if seconds % 60 == 0 { return "\(seconds / 60)m" }
            return "\(seconds)s"
        }

        func run(in context: CheckContext) async -> CheckOutcome {
            return await StripeCheckSupport.run(context) { (client, evidence) throws(StripeAPIError) in
                let now = Int(Date().timeIntervalSince1970)
                let since = now - Int(window.seconds)
                evidence["window"] = .string(windowText)
                evidence["since"] = .string(UTCTime.string(Date(timeIntervalSince1970: TimeInterval(since)), .iso8601))
                let created = [("created[gte]", String(since))]
                let failing = try await client.list("/v1/events", query: [("delivery_success", "false")] + created, deadline: context.deadline)
                let recent = try await client.list("/v1/events", query: created, maxItems: StripeDeliveriesCheck.sampleSize, deadline: context.deadline)
                if let last = (recent.requestIDs + failing.requestIDs).last { evidence["request_id"] = .string(last) }
                // The doctor's own canaries are the payment-canary step's to judge, not these figures.
                let canaries = PaymentCanary.known(context)
                let theirs = { (events: [JSONValue]) in
                    events.filter { !PaymentCanary.isCanary(event: $0, known: canaries) }.compactMap(StripeEvent.init).filter { !$0.isDoctorProbe }
                }
                return evaluate(
                    failing: theirs(failing.items),
                    failingTruncated: failing.hasMore,
                    recent: theirs(recent.items),
                    recentTruncated: recent.hasMore, evidence: evidence)
            }
        }

        func evaluate(
            failing: [StripeEvent], failingTruncated: Bool, recent: [StripeEvent], recentTruncated: Bool,
            evidence: Evidence, now: Int = Int(Date().timeIntervalSince1970)
        ) -> CheckOutcome {
            var evidence = evidence
            let failingIDs = Set(failing.map(\.id))
            let pending = recent.filter { $0.pendingWebhooks > 0 }
            let count = { (n: Int, more: Bool) in more ? "\(n)+" : "\(n)" }
            evidence["events_in_window"] = .string(count(recent.count, recentTruncated))
            evidence["failed_or_pending"] = .string(count(failing.count, failingTruncated))
            evidence["pending_in_recent"] = .int(pending.count)
            let listed = (failing + pending.filter { !failingIDs.contains($0.id) }).sorted { $0.created > $1.created }
            if !listed.isEmpty {
                evidence["events"] = .array(listed.prefix(shown).map { .string($0.line) })
                if listed.count > shown { evidence["events_not_shown"] = .int(listed.count - shown) }
            }
            evidence["note"] = .string("Stripe's API counts pending deliveries across all of the account's endpoints and gives no per-attempt response codes; the endpoint's attempts and the codes the service answered are in Stripe Dashboard → Developers → Webhooks.")

            guard !recent.isEmpty || !failing.isEmpty else {
                return CheckOutcome(.pass, "no events in the last \(windowText), so none failed", evidence: evidence)
            }
            guard !failing.isEmpty || !pending.isEmpty else {
                return CheckOutcome(.pass, "all \(count(recent.count, recentTruncated)) events of the last \(windowText) were delivered", evidence: evidence)
            }
            // Each figure says what it covers. With every event of the window read, the count and the
            // rate are over the window. When only the newest sample was read, the rate is over that
            // sample (the failing list reaches further back, and mixing the two sets would weigh the
            // failures double), and the window's failures are counted apart.
            let failedIDs = failingIDs.union(pending.map(\.id))
            let newest = listed.first.map { ", newest \($0.id) (\($0.type))" } ?? ""
            let sampleFailed = recent.filter { failedIDs.contains($0.id) }.count
            let rate = recent.isEmpty ? 0 : Double(recent.count - sampleFailed) / Double(recent.count) * 100
            let figure = String(format: "%.1f", rate)
            var summary: String
            if recentTruncated {
                evidence["success_rate"] = .string("\(figure)% of the newest \(recent.count) events")
                summary = "\(count(failedIDs.count, failingTruncated)) events of the last \(windowText) not delivered; of the newest \(recent.count), \(sampleFailed) not delivered (\(figure)% delivered)\(newest)"
            } else {
                evidence["success_rate"] = .string("\(figure)%")
                summary = "\(count(failedIDs.count, failingTruncated)) of \(recent.count) events of the last \(windowText) not delivered (\(figure)% delivered)\(newest)"
            }
            if let oldest = listed.min(by: { $0.created < $1.created }) {
                let horizon = StripeDeliveriesCheck.retryHorizon(of: oldest, now: now)
                evidence["retry_horizon"] = .string(horizon.detail)
                summary += "; \(horizon.clause)"
            }
            // Failures older than the newest sample still happened: never a plain pass beside them.
            let olderFailures = recentTruncated && failedIDs.count > sampleFailed
            let hint = "Stripe could not deliver these events: open the endpoint in Stripe Dashboard → Developers → Webhooks to see the response codes, and read the Render logs at those times. First 1-2 events fail? environment variables not set; random failures? database connection; all failing after a deploy? the deploy. If they fail at the correct URL while the service is healthy, escalate to Stripe support with these event ids."
            if rate < fail { return CheckOutcome(.fail, summary, evidence: evidence, hint: hint) }
            if rate <= warn || olderFailures { return CheckOutcome(.warn, summary, evidence: evidence, hint: hint) }
            return CheckOutcome(.pass, summary, evidence: evidence, hint: "Deliveries are within the guide's healthy rate (over \(Int(warn))%); the listed events are still worth a look in the Dashboard.")
        }
    }
}
