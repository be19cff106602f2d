import Foundation

/// The `refunds-disputes` check kind: the guide's Security Monitoring patterns read from Stripe's
/// events — "Unusually high refund rates", "Dispute/chargeback spikes" and "Customer deleted events
/// without cancellations" — each in a recent window against the baseline before it.
///
/// Refunds are `charge.refunded` events per succeeded payment (`payment_intent.succeeded` and
/// `charge.succeeded`, one payment counted once); disputes are `charge.dispute.created`; a
/// `customer.deleted` in the window is matched to a `customer.subscription.deleted` of the same
/// customer anywhere in the range read. A spike is `thresholds.warn` (default 3×) or `fail`
/// (default 10×) the expected count, judged only from `min_count` events, with an expectation of at
/// least one event per window: a quiet week makes no single refund or dispute a spike.
public struct RefundsDisputesCheck: CheckKind {
    public static let name = "refunds-disputes"

    static let defaultWindow = Duration.seconds(24 * 3600)
    static let defaultBaseline = Duration.seconds(7 * 24 * 3600)
    /// Stripe lists events of the last 30 days only: window and baseline together fit in it.
    static let maxRange = Duration.seconds(30 * 24 * 3600)
    static let defaultTimeout = Duration.seconds(30)
    static let defaultWarn = 3.0
    static let defaultFail = 10.0

    /// The event types read, in this order.
    static let types = [
        "charge.refunded", "payment_intent.succeeded", "charge.succeeded", "charge.dispute.created",
        "customer.deleted", "customer.subscription.deleted",
    ]

    public static func make(_ parameters: ParameterReader, step: StepSettings) throws(RunbookError) -> any Check {
        let window = try parameters.duration("window") ?? defaultWindow
        let baseline = try parameters.duration("baseline") ?? defaultBaseline
        if window <= .zero || window + baseline > maxRange {
            throw RunbookError(parameters.value("window")?.location ?? parameters.value("baseline")?.location ?? parameters.location,
                               "`window` must be more than 0 and `window` + `baseline` at most 720h (Stripe keeps events for 30 days), found \(window.window) + \(baseline.window)")
        }
        if baseline < window, let value = parameters.value("baseline") {
            throw RunbookError(value.location, "`baseline` (\(baseline.window)) must be at least as long as `window` (\(window.window)): a spike needs history to stand out from")
        }
        let minCount = try parameters.int("min_count", in: 1...100_000) ?? 3
        let maxEvents = try parameters.int("max_events", in: 100...10_000) ?? 2000
        let shown = try parameters.int("show", in: 1...100) ?? 10
        let unmatched = try parameters.int("unmatched_deletions", in: 1...100_000) ?? 1
        try parameters.finish(kind: name)
        let warn = try multiple(step.warn, name: "warn") ?? defaultWarn
        let fail = try multiple(step.fail, name: "fail") ?? max(defaultFail, warn)
        if fail < warn, let value = step.fail {
            throw RunbookError(value.location, "thresholds.fail (\(fail)×) must not be below thresholds.warn (\(warn)×): both are multiples of the baseline from which the step warns or fails")
        }
        return Probe(window: window, baseline: baseline, minCount: minCount, maxEvents: maxEvents, shown: shown,
                     unmatchedWarn: unmatched, warn: warn, fail: fail, timeout: step.timeout ?? defaultTimeout)
    }

    /// Reads a threshold written as a multiple: `3x`, `3×` or `3` (at least 1).
    static func multiple(_ value: RunbookValue?, name: String) throws(RunbookError) -> Double? {
        guard let value else { return nil }
        guard case let .scalar(text, _, _) = value else {
            throw RunbookError(value.location, "thresholds.\(name) must be a multiple of the baseline such as 3x")
        }
        var digits = text.trimmingCharacters(in: .whitespaces)
        if digits.hasSuffix("x") || digits.hasSuffix("×") { digits.removeLast() }
        guard let number = Double(digits), number.isFinite, number >= 1 else {
            throw RunbookError(value.location, "thresholds.\(name) must be a multiple of the baseline of at least 1, such as 3x, found \"\(text)\"")
        }
        return number
    }

    /// A configured `refunds-disputes` step.
    struct Probe: Check {
        let window: Duration
        let baseline: Duration
        /// Fewer events than this in the window are never a spike.
        let minCount: Int
        /// Events read per type at most.
        let maxEvents: Int
        let shown: Int
        /// From this many customer deletions without a cancellation, the step warns.
        let unmatchedWarn: Int
        /// Spike multiples.
        let warn: Double
        let fail: Double
        let timeout: Duration

        func run(in context: CheckContext) async -> CheckOutcome {
            return await StripeCheckSupport.run(context) { (client, evidence) throws(StripeAPIError) in
                let now = Int(Date().timeIntervalSince1970)
                let windowStart = now - Int(window.seconds)
                let since = windowStart - Int(baseline.seconds)
                evidence["window"] = .string(window.window)
                evidence["baseline"] = .string("\(baseline.window) before it, from \(StripeEventHistory.iso(since))")
                let read: [StripeEventSeries]
                let result = try await StripeEventHistory.read(
                    RefundsDisputesCheck.types, since: since, maxEvents: maxEvents, client: client,
                    canaries: PaymentCanary.known(context), deadline: context.deadline)
                read = result.series
                evidence["pages_read"] = .int(result.pages)
                if let id = result.requestID { evidence["request_id"] = .string(id) }
                return evaluate(Series(read), now: now, evidence: evidence)
            }
        }
    }

    /// The six series by name.
    struct Series {
        let refunds, paymentIntents, charges, disputes, customersDeleted, subscriptionsDeleted: StripeEventSeries

        init(_ read: [StripeEventSeries]) {
            (refunds, paymentIntents, charges, disputes, customersDeleted, subscriptionsDeleted) =
                (read[0], read[1], read[2], read[3], read[4], read[5])
        }
    }
}
