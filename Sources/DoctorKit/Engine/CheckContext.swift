/// What a running check may use: the configuration, the shared clients and the run's limits.
public struct CheckContext: Sendable {
    /// The merged configuration.
    public var configuration: Configuration
    /// The HTTP client shared by every step of the run.
    public var http: HTTPClient
    /// No step may send an event or write anything (`--read-only`).
    public var readOnly: Bool
    /// The user agreed to the canary payment (`--canary`): an action, never taken by default.
    public var canary = false
    /// The latest instant the step may end: the sooner of its own timeout and the run deadline.
    public var deadline: ContinuousClock.Instant
    /// What every step of the run shares besides `http`: database sessions, absent resources.
    public var resources: SharedResources
    /// The step this context runs (for the run's request log).
    public var stepID: String
    /// The run's requests to the service under diagnosis, when the runner keeps one.
    public var requestLog: TargetRequestLog?
    /// Says how far a long step has got (`4/10`, `waiting for the Payment row, 6 s left`), for a
    /// terminal's status line; never recorded.
    public var progress: @Sendable (String) -> Void
    /// The run's shared log pass: every log step reading the same file is served by one read.
    var logScans: LogScanHub?

    /// A context with the given parts.
    public init(
        configuration: Configuration, http: HTTPClient, readOnly: Bool, deadline: ContinuousClock.Instant,
        resources: SharedResources = SharedResources(), stepID: String = "", requestLog: TargetRequestLog? = nil,
        progress: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.progress = progress
        self.configuration = configuration
        self.http = http
        self.readOnly = readOnly
        self.deadline = deadline
        self.resources = resources
        self.stepID = stepID
        self.requestLog = requestLog
    }

    /// Time left before `deadline`, never negative.
    public var remaining: Duration { max(.zero, deadline - ContinuousClock.now) }
}
