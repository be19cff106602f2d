import Foundation

/// Check kind `sentry-errors`: the project's errors over the last few minutes against the guide's
/// "Error rate > 5% in 5 minutes" (Key Metrics: < 1 % healthy, 1–5 % warning, > 5 % critical), and
/// the top unresolved issues of the day, the guide's common errors named with their meaning.
///
/// A rate needs a denominator Sentry does not have: the service's HTTP requests over the same
/// minutes from Render's metrics, when Render is configured and counted enough of them. Without
/// one, no rate is invented: the recent errors per minute are judged against the day's baseline.
///
/// Parameters: `recent` (default 5m), `baseline` (default 24h), `spike_warn` / `spike_fail`
/// (multiples of the baseline's per-minute errors; default 3 and 10), `min_errors` (errors in
/// `recent` before a spike counts; default 10), `min_requests` (requests in `recent` before a rate
/// is judged; default 100), `requests` (`auto`: Render's figures when configured, or `none`),
/// `show` (issues listed; default 5). Thresholds: the rate bands (default `warn: 1%`, `fail: 5%`).
public struct SentryErrorsCheck: CheckKind {
    public static let name = "sentry-errors"

    public static func make(_ parameters: ParameterReader, step: StepSettings) throws(RunbookError) -> any Check {
        var settings = Settings()
        settings.recent = try parameters.duration("recent") ?? settings.recent
        if settings.recent < .seconds(60) || settings.recent > .seconds(3600) {
            throw RunbookError(parameters.value("recent")!.location, "`recent` must be from 1m to 1h")
        }
        settings.baseline = try parameters.duration("baseline") ?? settings.baseline
        if settings.baseline < settings.recent * 4 || settings.baseline > .seconds(14 * 86_400) {
            throw RunbookError(parameters.value("baseline")!.location, "`baseline` must be at least four times `recent` and at most 336h")
        }
        settings.spikeWarn = Double(try parameters.int("spike_warn", in: 2...1000) ?? Int(settings.spikeWarn))
        settings.spikeFail = Double(try parameters.int("spike_fail", in: 2...1000) ?? Int(settings.spikeFail))
        if settings.spikeWarn > settings.spikeFail {
            throw RunbookError(parameters.value("spike_warn")!.location, "`spike_warn` must not be above `spike_fail`")
        }
        settings.minErrors = try parameters.int("min_errors", in: 1...100_000) ?? settings.minErrors
        settings.minRequests = try parameters.int("min_requests", in: 1...10_000_000) ?? settings.minRequests
        if let requests = try parameters.optionalString("requests") {
            guard ["auto", "none"].contains(requests) else {
                throw RunbookError(parameters.value("requests")!.location, "`requests` must be auto (Render's request figures when configured) or none")
            }
            settings.useRender = requests == "auto"
        }
        settings.show = try parameters.int("show", in: 1...50) ?? settings.show
        settings.rateWarn = try step.percentThreshold(step.warn, name: "warn") ?? settings.rateWarn
        settings.rateFail = try step.percentThreshold(step.fail, name: "fail") ?? settings.rateFail
        if settings.rateWarn > settings.rateFail, let value = step.warn {
            throw RunbookError(value.location, "thresholds.warn (\(settings.rateWarn)%) is above thresholds.fail (\(settings.rateFail)%)")
        }
        try parameters.finish(kind: name)
        return Probe(settings: settings, timeout: step.timeout ?? SentryCheckSupport.defaultTimeout)
    }

    /// What a step asks for, with the guide's defaults.
    struct Settings: Sendable {
        var recent = Duration.seconds(300)
        var baseline = Duration.seconds(86_400)
        var spikeWarn = 3.0
        var spikeFail = 10.0
        var minErrors = 10
        var minRequests = 100
        var useRender = true
        var show = 5
        var rateWarn = 1.0
        var rateFail = 5.0

        /// The issues' window and stats series: Sentry offers `24h` and `14d`.
        var issuePeriod: String { baseline > .seconds(86_400) ? "14d" : "24h" }
    }

    /// A configured `sentry-errors` step.
    struct Probe: Check {
        let settings: Settings
        let timeout: Duration

        func run(in context: CheckContext) async -> CheckOutcome {
            let target: SentryCheckSupport.Target
            switch SentryCheckSupport.target(context) {
            case let .success(found): target = found
            case let .failure(stop): return stop.outcome
            }
            var evidence = SentryCheckSupport.evidence(target)
            do {
                let now = Int(Date().timeIntervalSince1970)
                let recentSeconds = Int(settings.recent.seconds), baselineSeconds = Int(settings.baseline.seconds)
                let stats = SentryCheckSupport.projectPath(target, "stats")
                // 10 s buckets for the recent minutes, hourly ones for the day (the API's resolutions).
                let recent = try await read(target, stats, since: now - recentSeconds, until: now, resolution: "10s", context: context)
                let baseline = try await read(target, stats, since: now - baselineSeconds, until: now,
                                              resolution: baselineSeconds > 2 * 86_400 ? "1d" : "1h", context: context)
                // The organization route filters by the project's numeric id (the per-project
                // route is deprecated); a slug costs one lookup.
                let projectID = try await target.client.projectID(
                    organization: target.organization, project: target.project, deadline: context.deadline)
                var query = SentryIssueList.Query(organization: target.organization, projectID: projectID)
                query.period = settings.issuePeriod
                let list = try await target.client.issues(query, deadline: context.deadline)
                if projectID != target.project { evidence["project_id"] = .string(projectID) }
                let requests = settings.useRender ? await SentryRequestCount.read(context, since: now - recentSeconds, until: now) : nil
                let figures = SentryErrorsVerdict.Figures(
                    recentErrors: recent.total, baselineErrors: baseline.total, requests: requests, issues: list)
                return SentryErrorsVerdict(settings: settings).judge(figures, evidence: &evidence)
            } catch {
                return SentryCheckSupport.outcome(for: error, evidence: evidence)
            }
        }

        private func read(
            _ target: SentryCheckSupport.Target, _ path: String, since: Int, until: Int, resolution: String, context: CheckContext
        ) async throws(SentryAPIError) -> SentryStats {
            let response = try await target.client.get(
                path, query: [("stat", "received"), ("since", String(since)), ("until", String(until)), ("resolution", resolution)],
                deadline: context.deadline)
            guard let stats = SentryStats(response.json) else {
                throw .invalidResponse(status: response.status, detail: "expected the stats as [[timestamp, count], …]")
            }
            return stats
        }
    }
}
