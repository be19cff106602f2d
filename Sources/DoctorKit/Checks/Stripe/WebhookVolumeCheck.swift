import Foundation

/// The `webhook-volume` check kind: how many events Stripe created a day (the last 24 h and the
/// average over `average_over`, default 7 days), against the guide's Performance Optimization
/// advice: "Consider job queue (if webhook volume exceeds 1000/day)".
///
/// It is advice, not a fault: past `thresholds.warn` (default 1000 a day) the step warns with the
/// guide's words and never fails. The count is of the account's events (each endpoint receives the
/// types it is subscribed to); the read is bounded by `max_events`, and a cut-off read gives an
/// estimate from the newest events, said to be one.
public struct WebhookVolumeCheck: CheckKind {
    public static let name = "webhook-volume"

    static let day = 86_400
    static let defaultAverageOver = Duration.seconds(7 * 86_400)
    static let maxAverageOver = Duration.seconds(30 * 86_400)
    static let defaultWarn = 1000
    static let defaultTimeout = Duration.seconds(30)

    public static func make(_ parameters: ParameterReader, step: StepSettings) throws(RunbookError) -> any Check {
        let span = try parameters.duration("average_over") ?? defaultAverageOver
        if span < .seconds(day) || span > maxAverageOver || Int(span.seconds) % day != 0 {
            throw RunbookError(parameters.value("average_over")!.location,
                               "`average_over` must be whole days from 24h to 720h (Stripe keeps events for 30 days), found \(span.window)")
        }
        let maxEvents = try parameters.int("max_events", in: 100...20_000) ?? 3000
        try parameters.finish(kind: name)
        if let value = step.fail {
            throw RunbookError(value.location, "`webhook-volume` takes no fail threshold: a high volume is advice (a job queue), not a fault")
        }
        var warn = defaultWarn
        if let value = step.warn {
            guard case let .scalar(text, _, _) = value,
                  let number = Int(text.replacingOccurrences(of: "/day", with: "").trimmingCharacters(in: .whitespaces)), number >= 1
            else { throw RunbookError(value.location, "thresholds.warn must be a number of events a day, such as 1000") }
            warn = number
        }
        return Probe(days: Int(span.seconds) / day, maxEvents: maxEvents, warn: warn, timeout: step.timeout ?? defaultTimeout)
    }

    /// A configured `webhook-volume` step.
    struct Probe: Check {
        /// The average is over this many days.
        let days: Int
        let maxEvents: Int
        /// Events a day past which the job-queue advice applies.
        let warn: Int
        let timeout: Duration

        func run(in context: CheckContext) async -> CheckOutcome {
            return await StripeCheckSupport.run(context) { (client, evidence) throws(StripeAPIError) in
                let now = Int(Date().timeIntervalSince1970)
                let since = now - days * WebhookVolumeCheck.day
                let series: StripeEventSeries
                let read = try await StripeEventHistory.read([nil], since: since, maxEvents: maxEvents, client: client,
                                                               canaries: PaymentCanary.known(context), deadline: context.deadline)
                series = read.series[0]
                evidence["pages_read"] = .int(read.pages)
                if let id = read.requestID { evidence["request_id"] = .string(id) }
                return evaluate(series, now: now, evidence: evidence)
            }
        }

        /// Judges the events read from `series.since` to `now`.
        func evaluate(_ series: StripeEventSeries, now: Int, evidence: Evidence) -> CheckOutcome {
            var evidence = evidence
            let day = WebhookVolumeCheck.day
            let lastDay = series.events(from: now - day, to: now).count
            let dayComplete = series.coveredFrom <= now - day
            let covered = series.covered(from: series.since, to: now)
            // A cut-off read covers its newest part only: the average is over that part, an estimate.
            let average = covered > 0 ? Double(series.events.count) * Double(day) / Double(covered) : 0
            let lastDayText = dayComplete ? "\(lastDay)" : "\(lastDay)+"
            let averageText = String(format: "%.0f", average)
            evidence["last_24h"] = .string(lastDayText)
            evidence["average_per_day"] = .string(averageText)
            evidence["average_over"] = .string(series.truncated
                ? "estimated from the newest \(series.events.count) events, covering \(StripeEventHistory.span(covered)) (max_events \(maxEvents))"
                : "\(days) days, \(series.events.count) events")
            if let by = Self.byType(series.events(from: now - day, to: now)) { evidence["last_24h_by_type"] = by }
            evidence["note"] = .string("All of the account's events are counted; each webhook endpoint receives the types it is subscribed to, so its own volume can be lower.")
            let estimate = series.truncated ? " (estimate)" : ""
            let summary = "\(lastDayText) events in the last 24h, \(averageText) a day on average over \(days == 1 ? "1 day" : "\(days) days")\(estimate)"
            guard lastDay > warn || average > Double(warn) else {
                return CheckOutcome(.pass, summary + "; under the guide's \(warn)/day for a job queue", evidence: evidence)
            }
            return CheckOutcome(
                .warn, summary + "; past the guide's \(warn)/day: consider a job queue", evidence: evidence,
                hint: "Consider job queue (if webhook volume exceeds \(warn)/day): Bull or RabbitMQ for async processing; prevents blocking on slow operations. Acknowledge each webhook with a 2xx at once and do the work from the queue, so Stripe's deliveries never wait on the database.")
        }

        /// The five most frequent types, for the evidence.
        static func byType(_ events: [StripeEventSeries.Event]) -> JSONValue? {
            guard !events.isEmpty else { return nil }
            let counts = Dictionary(grouping: events, by: \.type).mapValues(\.count)
            let top = counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(5)
            return .object(top.map { ($0.key, .int($0.value)) })
        }
    }
}
