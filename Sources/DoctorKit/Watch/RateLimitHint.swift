import Foundation

/// How long the service asked the doctor to hold off, read from a round's evidence: `Retry-After`
/// (seconds or an HTTP date) and `RateLimit-Remaining` with `RateLimit-Reset`.
enum RateLimitHint {
    /// The longest wait any of `results` asks for, or nil when none does.
    ///
    /// A remaining budget too small for two more rounds counts as a request to wait for the
    /// reset (60 s, the service's window, when the reset is not given).
    static func wait(in results: [StepResult], requestsPerRound: Int, now: Date = Date()) -> Duration? {
        var longest: Duration?
        func consider(_ wait: Duration) { longest = max(longest ?? .zero, wait) }
        for result in results {
            let evidence = result.evidence
            if let text = value(evidence, "retry-after", "retry_after"), let wait = retryAfter(text, now: now) { consider(wait) }
            if let remaining = value(evidence, "ratelimit-remaining", "ratelimit_remaining").flatMap(Self.integer),
               remaining < 2 * max(1, requestsPerRound) {
                let reset = value(evidence, "ratelimit-reset", "ratelimit_reset").flatMap(Self.integer) ?? 60
                consider(.seconds(max(1, reset)))
            }
        }
        // A server that names an hour is not believed beyond ten minutes: the deadline bounds it anyway.
        return longest.map { min($0, .seconds(600)) }
    }

    private static func value(_ evidence: Evidence, _ names: String...) -> String? {
        for name in names {
            switch evidence[name] {
            case let .string(text)?: return text
            case let .int(number)?: return String(number)
            default: continue
            }
        }
        return nil
    }

    private static func integer(_ text: String) -> Int? { Int(text.trimmingCharacters(in: .whitespaces)) }

    /// `Retry-After: 30` or `Retry-After: Wed, 02 Dec 2026 14:00:05 GMT`.
    static func retryAfter(_ text: String, now: Date) -> Duration? {
        if let seconds = integer(text) { return seconds >= 0 ? .seconds(seconds) : nil }
        guard let epoch = UTCTime.parseHTTPDate(text) else { return nil }
        let seconds = Double(epoch) - now.timeIntervalSince1970
        return seconds > 0 ? .seconds(Int64(seconds.rounded(.up))) : nil
    }
}
