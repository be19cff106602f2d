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
        let (warn, fail) = try step.latencyBands(warn: HTTPCheck.defaultWarn, fail: HTTPCheck.defaultFail)
        let perRequest = fail + .seconds(1)
        // Every sample may take up to its own timeout plus the pause: the step must leave room for all.
        let needed = (perRequest + interval) * samples
        let timeout = step.timeout ?? needed
        if let written = step.timeout, written < needed {
            throw RunbookError(step.timeoutLocation, "timeout (\(written.short)) is too short for \(samples) samples of up to \(perRequest.short) each, \(interval.short) apart (needs \(needed.short))")
        }
        return Sampler(url: url, method: method, expectStatus: expectStatus, samples: samples, interval: interval,
                       perRequest: perRequest, successWarn: successWarn, successFail: successFail,
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
        let perRequest: Duration
        let successWarn: Double
        let successFail: Double
        let warn: Duration
        let fail: Duration
        let timeout: Duration

        func run(in context: CheckContext) async -> CheckOutcome {
            let expanded: String
            switch url.expand(context.configuration) {
            case let .success(text): expanded = text
            case let .failure(missing): return CheckOutcome(.unknown, missing.message)
            }
            var evidence = Evidence()
            evidence["url"] = .string(expanded)
            var record = SampleRecord()
            for index in 0..<samples {
                if index > 0 { try? await Task.sleep(for: interval) }
                if Task.isCancelled { return CheckOutcome(.unknown, "cancelled", evidence: evidence) }
                guard context.remaining > .milliseconds(50) else { break }
                let request = HTTPRequest(method: method, url: expanded, timeout: min(perRequest, context.remaining), maxRedirects: 3)
                do {
                    let response = try await context.http.perform(request)
                    record.add(response, expected: expectStatus)
                    // The doctor must never be the cause of a 429: stop while the service's budget is
                    // still comfortable (a fifth of its limit, at least 10 requests, left for real traffic).
                    if let remaining = response.header("ratelimit-remaining").flatMap(Int.init),
                       remaining < max(10, (response.header("ratelimit-limit").flatMap(Int.init) ?? 100) / 5),
                       index < samples - 1 {
                        evidence["stopped_early"] = .string("RateLimit-Remaining was \(remaining): sampling stopped to leave the budget to real traffic")
                        break
                    }
                } catch {
                    if error == .cancelled { return CheckOutcome(.unknown, "cancelled", evidence: evidence) }
                    if case .invalidURL = error { return CheckOutcome(.unknown, error.localizedDescription, evidence: evidence) }
                    record.add(error)
                }
            }
            return record.outcome(evidence: evidence, check: self)
        }
    }
}

/// What the samples of one step found.
struct SampleRecord {
    var totals: [Duration] = []
    var timings: [HTTPTimings] = []
    var succeeded = 0
    var failures: [String: Int] = [:]
    var retryAfter: String?
    var rateLimitRemaining: String?
    var attempted: Int { succeeded + failures.values.reduce(0, +) }

    mutating func add(_ response: HTTPResponse, expected: StatusSet) {
        totals.append(response.timings.total)
        timings.append(response.timings)
        if let value = response.header("retry-after") { retryAfter = value }
        if let value = response.header("ratelimit-remaining") { rateLimitRemaining = value }
        if expected.contains(response.status) {
            succeeded += 1
        } else {
            let kind: String
            switch response.status {
            case 429: kind = "429 rate limited"
            case 500...599: kind = "\(response.status) server error"
            default: kind = "\(response.status) unexpected"
            }
            failures[kind, default: 0] += 1
        }
    }

    mutating func add(_ error: HTTPError) {
        let kind: String
        switch error {
        case .timedOut: kind = "timeout"
        case .connectionRefused: kind = "connection refused"
        case .protocolError: kind = "connection reset or not HTTP"
        case .tls: kind = "TLS"
        case .dnsFailure: kind = "DNS"
        default: kind = "other"
        }
        failures[kind, default: 0] += 1
    }

    static func percentile(_ values: [Duration], _ p: Double) -> Duration {
        guard !values.isEmpty else { return .zero }
        let sorted = values.sorted()
        let rank = Int((p * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }

    func outcome(evidence: Evidence, check: HTTPSampleCheck.Sampler) -> CheckOutcome {
        var evidence = evidence
        guard attempted > 0 else { return CheckOutcome(.unknown, "no sample finished before the deadline", evidence: evidence) }
        let rate = Double(succeeded) / Double(attempted) * 100
        evidence["samples"] = .int(attempted)
        evidence["succeeded"] = .int(succeeded)
        evidence["success_rate"] = .string(String(format: "%.1f%%", rate))
        if !failures.isEmpty {
            evidence["failures"] = .object(failures.sorted { $0.value > $1.value }.map { ($0.key, .int($0.value)) })
        }
        let p50 = Self.percentile(totals, 0.5), p90 = Self.percentile(totals, 0.9)
        if !totals.isEmpty {
            evidence["latency"] = .object([("p50_ms", .int(Int(p50.milliseconds))), ("p90_ms", .int(Int(p90.milliseconds))),
                                           ("max_ms", .int(Int((totals.max() ?? .zero).milliseconds)))])
            func median(_ phase: (HTTPTimings) -> Duration) -> JSONValue {
                .double(Double(Self.percentile(timings.map(phase), 0.5).milliseconds))
            }
            evidence["median_breakdown_ms"] = .object([
                ("dns", median(\.dns)), ("connect", median(\.connect)), ("tls", median(\.tls)), ("first_byte", median(\.firstByte)),
            ])
        }
        if let retryAfter { evidence["retry_after"] = .string(retryAfter) }
        if let rateLimitRemaining { evidence["ratelimit_remaining"] = .string(rateLimitRemaining) }

        var summary = "\(attempted) samples: \(String(format: "%.0f", rate))% succeeded"
        if !totals.isEmpty { summary += ", p50 \(p50.short), p90 \(p90.short)" }
        if !failures.isEmpty {
            summary += "; failures: " + failures.sorted { $0.value > $1.value }.map { "\($0.value)× \($0.key)" }.joined(separator: ", ")
        }
        var status = Status.pass
        var hints: [String] = []
        if rate < check.successFail {
            status = .fail
        } else if rate < check.successWarn {
            status = .warn
        }
        if failures.keys.contains(where: { $0.hasPrefix("429") }) {
            hints.append("Requests were rate limited (429" + (retryAfter.map { ", Retry-After \($0) s" } ?? "") + "): the service's limit is 100 requests per 60 s; raise it if the traffic is legitimate, investigate if it is a sudden spike.")
        }
        if failures.keys.contains(where: { $0.contains("server error") || $0 == "timeout" || $0.contains("reset") }) {
            hints.append("Random 5xx, timeouts or resets point at the database connection or the instance: check the Render logs and Sentry for the failing requests' times and retry timing.")
        }
        if p90 >= check.fail {
            status = .fail
            summary += " (p90 over the \(check.fail.short) critical threshold)"
        } else if p90 >= check.warn {
            if status == .pass { status = .warn }
            summary += " (p90 over the \(check.warn.short) healthy threshold)"
        }
        return CheckOutcome(status, summary, evidence: evidence, hint: hints.isEmpty ? nil : hints.joined(separator: " "))
    }
}
