import Foundation

/// The requests one run made to the service under diagnosis (`API_URL`'s origin), whichever step
/// made them, so that a slow first answer followed by fast ones can be named a cold start.
public final class TargetRequestLog: @unchecked Sendable {
    /// One request: which step made it, when it started and how long it took.
    public struct Entry: Sendable {
        /// The step that made the request.
        public var step: String
        /// When the request started.
        public var started: ContinuousClock.Instant
        /// How long it took to answer (or to time out).
        public var duration: Duration
        /// When it ended.
        public var ended: ContinuousClock.Instant { started + duration }
    }

    private let lock = NSLock()
    private var recorded: [Entry] = []

    /// An empty log.
    public init() {}

    /// Notes a request to the target.
    func record(step: String, started: ContinuousClock.Instant, duration: Duration) {
        lock.withLock { recorded.append(Entry(step: step, started: started, duration: duration)) }
    }

    /// The requests in the order they started.
    public var entries: [Entry] { lock.withLock { recorded }.sorted { $0.started < $1.started } }
}

extension CheckContext {
    /// Performs a request as `http` does, noting it in the run's log when it goes to the service
    /// under diagnosis (the first request of a run counts, whichever step makes it).
    public func perform(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        let started = ContinuousClock.now
        let target = requestLog != nil && configuration.value("API_URL").flatMap(Origin.init) == Origin(request.url)
        do {
            let response = try await http.perform(request)
            if target { requestLog?.record(step: stepID, started: started, duration: response.timings.total) }
            return response
        } catch {
            // A timeout is an answer too (the slowest kind); other errors say nothing of latency.
            if target, case .timedOut = error {
                requestLog?.record(step: stepID, started: started, duration: ContinuousClock.now - started)
            }
            throw error
        }
    }
}
