import Foundation

/// The `http-sample` check kind: repeated requests to one URL, for latency percentiles and the
/// success rate with its failure classes (the guide's High Latency and Intermittent Failures).
///
/// Samples are sequential and spaced, and their number is bounded, so the doctor never becomes the
/// cause of the service's 429s (the guide: 100 requests per 60 s).
public struct HTTPSampleCheck: CheckKind {
    public static let name = "http-sample"

    /// At most this many requests per step: a tenth of the service's per-minute budget.
    static let maxSamples = 30
    /// How long sampling may go on by default: a verdict on a slow service within seconds, while a
    /// healthy one (tens of milliseconds a request) still gets every planned sample.
    static let defaultBudget = Duration.seconds(5)

    public static func make(_ parameters: ParameterReader, step: StepSettings) throws(RunbookError) -> any Check {
        let location = parameters.value("url")?.location ?? parameters.location
        let url = try Template(try parameters.string("url"), at: location)
        let method = (try parameters.optionalString("method") ?? "GET").uppercased()
        guard method == "GET" || method == "HEAD" else {
            throw RunbookError(parameters.value("method")!.location, "`method` must be GET or HEAD: samples must not change anything")
        }
        let expectStatus = try StatusSet.read(parameters.value("expect_status")) ?? StatusSet.success
        let samples = try parameters.int("samples", in: 2...maxSamples) ?? 10
        let interval = try parameters.duration("interval") ?? .milliseconds(200)
        if interval < .milliseconds(100) {
            throw RunbookError(parameters.value("interval")!.location, "`interval` must be at least 100ms, so the samples stay well inside the service's rate limit")
        }
        let successWarn = try percent(parameters, "success_warn") ?? 99
        let successFail = try percent(parameters, "success_fail") ?? 95
        if successFail > successWarn {
            throw RunbookError(parameters.value("success_fail")!.location, "`success_fail` (\(successFail)%) must not be above `success_warn` (\(successWarn)%)")
        }
        let budget = try parameters.duration("budget") ?? defaultBudget
        if budget < .seconds(1) || budget > .seconds(120) {
            throw RunbookError(parameters.value("budget")!.location, "`budget` must be from 1s to 120s: the time sampling may take before it settles on what it has")
        }
        let (warn, fail) = try step.latencyBands(warn: HTTPCheck.defaultWarn, fail: HTTPCheck.defaultFail)
        let perRequest = fail + .seconds(1)
        // No sample starts past the budget, and the last one may take up to its own timeout.
        let needed = budget + perRequest
        let timeout = step.timeout ?? needed
        if let written = step.timeout, written < needed {
            throw RunbookError(step.timeoutLocation, "timeout (\(written.short)) is too short for a sampling budget of \(budget.short) plus one last sample of up to \(perRequest.short) (needs \(needed.short))")
        }
        return Sampler(url: url, method: method, expectStatus: expectStatus, samples: samples, interval: interval,
                       budget: budget, perRequest: perRequest, successWarn: successWarn, successFail: successFail,
                       warn: warn, fail: fail, timeout: timeout)
    }

    static func percent(_ parameters: ParameterReader, _ key: String) throws(RunbookError) -> Double? {
        guard let text = try parameters.optionalString(key) else { return nil }
        guard let value = Double(text.hasSuffix("%") ? String(text.dropLast()) : text), (0...100).contains(value) else {
            throw RunbookError(parameters.value(key)!.location, "`\(key)` must be a percentage such as 99%, found \"\(text)\"")
        }
        return value
    }

    /// A configured `http-sample` step.
    struct Sampler: Check {
        let url: Template
        let method: String
        let expectStatus: StatusSet
        let samples: Int
        let interval: Duration
        let budget: Duration
        let perRequest: Duration
        let successWarn: Double
        let successFail: Double
        let warn: Duration
        let fail: Duration
        let timeout: Duration

        /// The pauses between the samples, as far as the sampling budget lets them go.
        var plannedDuration: Duration { min(budget, interval * (samples - 1)) }

        func run(in context: CheckContext) async -> CheckOutcome {
            let expanded: String
            switch url.expanded(in: context.configuration) {
            case let .success(text): expanded = text
            case let .failure(stop): return stop.outcome
            }
            var evidence = Evidence()
            evidence["url"] = .string(expanded)
            var record = SampleRecord(planned: samples)
            let clock = ContinuousClock()
            let start = clock.now
            for index in 0..<samples {
                if index > 0 {
                    // Stop once the verdict cannot change, or when the next sample (judged by the
                    // slowest so far) would end past the budget: a slow service gets its verdict in
                    // seconds, from the samples taken.
                    if let settled = record.settled(self) {
                        record.stopped = settled
                        break
                    }
                    let expected = interval + (record.totals.max() ?? .zero)
                    if clock.now - start + expected > budget {
                        record.stopped = "the \(budget.short) sampling budget was reached after \(index) of \(samples) samples"
                        break
                    }
                    try? await Task.sleep(for: interval)
                }
                if Task.isCancelled { return CheckOutcome(.unknown, "cancelled", evidence: evidence) }
                guard context.remaining > .milliseconds(50) else {
                    record.stopped = "the step's deadline came after \(index) of \(samples) samples"
                    break
                }
                context.progress("\(index + 1)/\(samples)")
                let request = HTTPRequest(method: method, url: expanded, timeout: min(perRequest, context.remaining), maxRedirects: 3)
                do {
                    let response = try await context.perform(request)
                    record.add(response, expected: expectStatus)
                    // The doctor must never be the cause of a 429: stop while the service's budget is
                    // still comfortable (a fifth of its limit, at least 10 requests, left for real traffic).
                    if let remaining = response.header("ratelimit-remaining").flatMap(Int.init),
                       remaining < max(10, (response.header("ratelimit-limit").flatMap(Int.init) ?? 100) / 5),
                       index < samples - 1 {
                        record.stopped = "RateLimit-Remaining was \(remaining): sampling stopped to leave the budget to real traffic"
                        break
                    }
                } catch {
                    if error == .cancelled { return CheckOutcome(.unknown, "cancelled", evidence: evidence) }
                    if case .invalidURL = error {
                        var evidence = evidence
                        evidence["url_written_at"] = .string(url.location.description)
                        return CheckOutcome(.unknown, error.localizedDescription, evidence: evidence)
                    }
                    record.add(error)
                }
            }
            return record.outcome(evidence: evidence, check: self)
        }
    }
}
