import Foundation

/// What the samples of one step found.
struct SampleRecord {
    /// How many samples the step planned; the verdict is settled against this many.
    let planned: Int
    var totals: [Duration] = []
    var timings: [HTTPTimings] = []
    var succeeded = 0
    var failures: [String: Int] = [:]
    var retryAfter: String?
    var rateLimitRemaining: String?
    /// Why sampling stopped before `planned` samples, when it did.
    var stopped: String?
    var attempted: Int { succeeded + failures.values.reduce(0, +) }

    init(planned: Int) { self.planned = planned }

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

    /// Why the verdict can no longer change whatever the remaining samples bring, or nil.
    ///
    /// The verdict is bounded from both sides: the best case has every remaining sample succeed
    /// fast, the worst has every one fail or be slow. When both give the same status, more samples
    /// would only cost the service requests and the engineer seconds.
    func settled(_ check: HTTPSampleCheck.Sampler) -> String? {
        let remaining = planned - attempted
        guard remaining > 0, attempted > 0 else { return nil }
        // The p90 of `planned` samples is the value at this rank: it reaches a threshold once this
        // many samples do.
        let rank = Int((0.9 * Double(planned)).rounded(.up))
        let needed = planned - rank + 1
        let overFail = totals.filter { $0 >= check.fail }.count
        let overWarn = totals.filter { $0 >= check.warn }.count
        func latency(_ fail: Int, _ warn: Int) -> Status { fail >= needed ? .fail : warn >= needed ? .warn : .pass }
        func rate(_ succeeded: Int) -> Status {
            let percent = Double(succeeded) / Double(planned) * 100
            return percent < check.successFail ? .fail : percent < check.successWarn ? .warn : .pass
        }
        let best = Status.worst([latency(overFail, overWarn), rate(succeeded + remaining)])
        let worst = Status.worst([latency(overFail + remaining, overWarn + remaining), rate(succeeded)])
        guard best == worst else { return nil }
        let failed = attempted - succeeded
        let because: String
        if rate(succeeded + remaining) == best, best != .pass, failed > 0 {
            because = "\(failed) of \(attempted) samples failed, so under \(Self.percent(best == .fail ? check.successFail : check.successWarn)) can succeed"
        } else if best == .fail {
            because = "\(overFail) samples over the \(check.fail.short) critical threshold already put the p90 over it"
        } else if best == .warn {
            because = "\(overWarn) samples over the \(check.warn.short) threshold already put the p90 over it"
        } else {
            because = "the remaining samples cannot change it"
        }
        return "the verdict was settled after \(attempted) of \(planned) samples: \(because)"
    }

    static func percent(_ value: Double) -> String {
        value == value.rounded() ? String(format: "%.0f%%", value) : String(format: "%.1f%%", value)
    }
}
