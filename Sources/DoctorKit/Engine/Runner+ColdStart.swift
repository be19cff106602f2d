/// What a cold start looks like in one run's requests to the service.
struct ColdStart: Sendable, Equatable {
    /// The step that made the run's first request.
    var step: String
    /// How long that first request took.
    var first: Duration
    /// The median of the requests that started after it had answered.
    var warmMedian: Duration
    /// How many such requests there were.
    var warmCount: Int

    /// A first request at least this slow can be a cold start ("seconds", not a slow query).
    static let slowFirst = Duration.seconds(1)

    /// A cold start when the run's first request was slow and those after it were fast: at least
    /// two of them, their median under the healthy 1 s and under a quarter of the first.
    static func detect(_ entries: [TargetRequestLog.Entry]) -> ColdStart? {
        guard let first = entries.first, first.duration >= slowFirst else { return nil }
        // Requests that overlapped the first waited for the same instance: only later ones are warm.
        let warm = entries.filter { $0.started >= first.ended }.map(\.duration).sorted()
        guard warm.count >= 2 else { return nil }
        let median = warm[warm.count / 2]
        guard median < .seconds(1), median * 4 <= first.duration else { return nil }
        return ColdStart(step: first.step, first: first.duration, warmMedian: median, warmCount: warm.count)
    }

    /// The sentence the verdict carries.
    var sentence: String {
        "a cold start: the run's first request took \(first.short), the \(warmCount) after it \(Self.fine(warmMedian)) (median), "
            + "as when a Render instance spins up after being idle"
    }

    /// A short duration that stays readable under a millisecond (`0.4ms`), as loopback answers are.
    static func fine(_ duration: Duration) -> String {
        let ms = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        return ms < 10 ? String(format: "%.1fms", ms) : duration.short
    }

    /// What to do about it.
    static let hint = "The service was idle and its instance was spinning up: the first request waits for it, and so would Stripe's first delivery after a quiet spell (Stripe retries a timed-out delivery). Keep the instance warm — an instance type that does not spin down when idle, or regular traffic to the health check — and re-run to see the warm latency."
}

extension Runner {
    /// The reports with the step that made the run's first request naming a cold start, when the
    /// requests show one; the changed results are announced again through `progress`.
    static func nameColdStart(
        _ reports: [RunbookReport], _ entries: [TargetRequestLog.Entry], progress: @Sendable (StepEvent) -> Void
    ) -> [RunbookReport] {
        guard let cold = ColdStart.detect(entries) else { return reports }
        var revised = reports
        for index in revised.indices {
            for position in revised[index].steps.indices {
                var result = revised[index].steps[position]
                guard result.id == cold.step, result.status != .skip, result.status != .unknown else { continue }
                result.summary += " — \(cold.sentence)"
                result.evidence["cold_start"] = .object([
                    ("first_request_ms", .int(Int(cold.first.milliseconds))),
                    ("later_median_ms", .int(Int(cold.warmMedian.milliseconds))),
                    ("later_requests", .int(cold.warmCount)),
                ])
                result.hint = ColdStart.hint
                revised[index].steps[position] = result
                progress(.revised(runbook: revised[index].id, result: result, reason: .coldStart))
            }
        }
        return revised
    }
}
