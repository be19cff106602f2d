import Foundation

/// The request loop the Render and Sentry clients share: `GET` with a Bearer credential sent to
/// the API's host only (no redirects followed), connection failures and 5xx retried twice with
/// backoff, a 429 waited out once when its `Retry-After` (or `Ratelimit-Reset`) fits the deadline.
struct BearerAPI: Sendable {
    /// No HTTP answer: the transport's error, after `attempts` tries.
    struct Failure: Error {
        let error: HTTPError
        let attempts: Int
    }

    let http: HTTPClient
    /// The secret sent as `Authorization: Bearer …`.
    let credential: String
    /// Waits between attempts (replaced in tests).
    var sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }

    /// The final answer to `GET url` (2xx, or the error status that was not worth retrying) and how
    /// many requests it took.
    func get(_ url: String, deadline: ContinuousClock.Instant) async throws(Failure) -> (response: HTTPResponse, attempts: Int) {
        var attempts = 0
        while true {
            attempts += 1
            let remaining = deadline - ContinuousClock.now
            guard remaining > .milliseconds(1) else {
                throw Failure(error: .timedOut(after: .zero, phase: "no time left before the step's deadline"), attempts: attempts - 1)
            }
            let request = HTTPRequest(
                method: "GET", url: url, headers: [("Accept", "application/json")], timeout: remaining,
                maxRedirects: 0, credentialHeaders: [("Authorization", "Bearer \(credential)")])
            let response: HTTPResponse
            do {
                response = try await http.perform(request)
            } catch {
                let retryable: Bool
                switch error {
                case .connectionRefused, .dnsFailure, .timedOut, .protocolError: retryable = true
                default: retryable = false
                }
                guard retryable, attempts < 3, await pause(.milliseconds(500 << (attempts - 1)), deadline: deadline)
                else { throw Failure(error: error, attempts: attempts) }
                continue
            }
            if response.status == 429, attempts == 1, let wait = Self.retryDelay(response), await pause(wait, deadline: deadline) {
                continue
            }
            if response.status >= 500, attempts < 3, await pause(.milliseconds(500 << (attempts - 1)), deadline: deadline) {
                continue
            }
            return (response, attempts)
        }
    }

    /// How long a 429 asks to wait: `Retry-After`, else `Ratelimit-Reset` read as seconds to the reset.
    static func retryDelay(_ response: HTTPResponse) -> Duration? {
        for name in ["retry-after", "ratelimit-reset"] {
            if let text = response.header(name), let seconds = Double(text.trimmingCharacters(in: .whitespaces)),
               seconds >= 0, seconds <= 30 {
                return .milliseconds(Int64(seconds * 1000))
            }
        }
        return nil
    }

    private func pause(_ delay: Duration, deadline: ContinuousClock.Instant) async -> Bool {
        guard ContinuousClock.now + delay + .milliseconds(100) < deadline else { return false }
        do { try await sleep(delay) } catch { return false }
        return true
    }
}
