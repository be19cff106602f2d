import Foundation

extension SampleRecord {
    /// The phase names of the breakdown, in the order a request goes through them.
    static let phases: [(name: String, time: @Sendable (HTTPTimings) -> Duration)] = [
        ("dns", \.dns), ("connect", \.connect), ("tls", \.tls), ("first_byte", \.firstByte), ("transfer", \.transfer),
    ]

    /// Milliseconds with two decimals: a loopback request takes well under one.
    static func milliseconds(_ duration: Duration) -> JSONValue {
        let (seconds, attoseconds) = duration.components
        return .double(((Double(seconds) * 1000 + Double(attoseconds) / 1e15) * 100).rounded() / 100)
    }

    /// The step's verdict from the samples taken: success rate, then the p90 against the bands.
    func outcome(evidence: Evidence, check: HTTPSampleCheck.Sampler) -> CheckOutcome {
        var evidence = evidence
        guard attempted > 0 else { return CheckOutcome(.unknown, "no sample finished before the deadline", evidence: evidence) }
        let rate = Double(succeeded) / Double(attempted) * 100
        evidence["samples"] = .int(attempted)
        evidence["planned"] = .int(planned)
        if let stopped { evidence["stopped_early"] = .string(stopped) }
        evidence["succeeded"] = .int(succeeded)
        evidence["success_rate"] = .string(String(format: "%.1f%%", rate))
        if !failures.isEmpty {
            evidence["failures"] = .object(failures.sorted { $0.value > $1.value }.map { ($0.key, .int($0.value)) })
        }
        let p50 = Self.percentile(totals, 0.5), p90 = Self.percentile(totals, 0.9)
        var dominant: String?
        if !totals.isEmpty {
            evidence["latency"] = .object([
                ("p50_ms", Self.milliseconds(p50)), ("p90_ms", Self.milliseconds(p90)),
                ("p95_ms", Self.milliseconds(Self.percentile(totals, 0.95))),
                ("p99_ms", Self.milliseconds(Self.percentile(totals, 0.99))),
                ("max_ms", Self.milliseconds(totals.max() ?? .zero)),
            ])
            let medians = Self.phases.map { ($0.name, Self.percentile(timings.map($0.time), 0.5)) }
            evidence["median_breakdown_ms"] = .object(medians.map { ($0.0, Self.milliseconds($0.1)) })
            // Where the time goes tells where to look: DNS/connect the network or Render's routing,
            // TLS the handshake, first byte the instance itself, transfer a large or slow body.
            if let top = medians.max(by: { $0.1 < $1.1 }), top.1 > .zero {
                dominant = top.0
                evidence["dominant_phase"] = .string(top.0)
            }
        }
        if let retryAfter { evidence["retry_after"] = .string(retryAfter) }
        if let rateLimitRemaining { evidence["ratelimit_remaining"] = .string(rateLimitRemaining) }

        let counted = attempted < planned ? "\(attempted) of \(planned) samples" : "\(attempted) samples"
        var summary = "\(counted): \(String(format: "%.0f", rate))% succeeded"
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
        let slowest = dominant.map { ", mostly \($0 == "first_byte" ? "waiting for the first byte" : $0)" } ?? ""
        if p90 >= check.fail {
            status = .fail
            summary += " (p90 over the \(check.fail.short) critical threshold\(slowest))"
        } else if p90 >= check.warn {
            if status == .pass { status = .warn }
            summary += " (p90 over the \(check.warn.short) healthy threshold\(slowest))"
        }
        return CheckOutcome(status, summary, evidence: evidence, hint: hints.isEmpty ? nil : hints.joined(separator: " "))
    }
}
