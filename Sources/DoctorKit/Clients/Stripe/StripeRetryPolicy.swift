import Foundation

/// When and how long to wait before retrying a Stripe API request, as Stripe's own libraries do
/// (stripe-python `_http_client.py` `_should_retry` and `_sleep_time_seconds`; stripe-node `RequestSender`).
public struct StripeRetryPolicy: Sendable, Equatable {
    /// Retries after the first attempt (the libraries' default is 2).
    public var maxRetries: Int
    /// The first delay; later ones double.
    public var initialDelay: Duration
    /// The longest delay computed from the backoff.
    public var maxDelay: Duration
    /// A `Retry-After` longer than this is not honoured (the request is not worth holding that long).
    public var maxRetryAfter: Duration

    /// The libraries' defaults: 2 retries, 0.5 s doubling, capped at 5 s; `Retry-After` up to 60 s.
    public init(maxRetries: Int = 2, initialDelay: Duration = .milliseconds(500),
                maxDelay: Duration = .seconds(5), maxRetryAfter: Duration = .seconds(60)) {
        self.maxRetries = maxRetries
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
    }

    /// Whether an answer with `status` and headers deserves another try after `retries` retries.
    ///
    /// `Stripe-Should-Retry` decides first; without it 409 and 5xx are retried and nothing else,
    /// so a 429 is retried only when Stripe says so.
    public func shouldRetry(status: Int, shouldRetryHeader: String?, retries: Int) -> Bool {
        guard retries < maxRetries else { return false }
        switch shouldRetryHeader?.lowercased() {
        case "true"?: return true
        case "false"?: return false
        default: break
        }
        return status == 409 || status >= 500
    }

    /// Whether a request that got no answer deserves another try: connection problems and timeouts
    /// do; a bad URL, a TLS failure (retrying cannot fix a certificate) or a cancellation do not.
    public func shouldRetry(after error: HTTPError, retries: Int) -> Bool {
        guard retries < maxRetries else { return false }
        switch error {
        case .connectionRefused, .dnsFailure, .timedOut, .protocolError: return true
        case .invalidURL, .tls, .tooManyRedirects, .cancelled, .transfer: return false
        }
    }

    /// The pause before retry number `retry` (1-based): `initialDelay × 2^(retry−1)` capped at
    /// `maxDelay`, scaled by `jitter` (from 0.5 to 1), never below `initialDelay`, and at least a
    /// reasonable `Retry-After`.
    public func delay(beforeRetry retry: Int, jitter: Double, retryAfter: String? = nil) -> Duration {
        let exponent = max(0, min(retry - 1, 30))
        var delay = min(maxDelay, initialDelay * (1 << exponent))
        delay = delay * min(1, max(0.5, jitter))
        delay = max(initialDelay, delay)
        if let retryAfter, let seconds = Double(retryAfter.trimmingCharacters(in: .whitespaces)), seconds >= 0 {
            let asked = Duration.milliseconds(Int64(seconds * 1000))
            if asked <= maxRetryAfter { delay = max(delay, asked) }
        }
        return delay
    }
}
