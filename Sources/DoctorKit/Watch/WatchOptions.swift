import Foundation

/// How a watch paces its rounds and when it gives up.
public struct WatchOptions: Sendable, Equatable {
    /// The pause before the first re-run, and after a round that changed something.
    public var firstInterval: Duration
    /// The longest pause between rounds; the pause doubles up to it while nothing changes.
    public var maxInterval: Duration
    /// How long the watch may last in all before it ends with the last state.
    public var deadline: Duration

    /// The service's documented rate limit: 100 requests per 60 s.
    public static let serviceLimitPerMinute = 100
    /// The share of that limit a watch allows itself, so real traffic keeps the rest.
    public static let budgetPerMinute = 20
    /// The shortest pause allowed: faster would only add load while a deploy settles.
    public static let shortestInterval: Duration = .seconds(1)
    /// The longest deadline allowed: a watch is for a fix under way, not a monitor.
    public static let longestDeadline: Duration = .seconds(24 * 3600)

    /// Defaults: 5 s, doubling to 60 s, for 10 minutes.
    public init(firstInterval: Duration = .seconds(5), maxInterval: Duration = .seconds(60), deadline: Duration = .seconds(600)) {
        self.firstInterval = firstInterval
        self.maxInterval = maxInterval
        self.deadline = deadline
    }

    /// Why these options cannot be used, in one line, or nil when they can.
    public var problem: String? {
        if firstInterval < Self.shortestInterval { return "the interval must be at least \(Self.shortestInterval.short)" }
        if maxInterval < firstInterval { return "the longest interval (\(maxInterval.short)) is shorter than the first (\(firstInterval.short))" }
        if deadline <= .zero { return "the deadline must be longer than zero" }
        if deadline > Self.longestDeadline { return "the deadline must be at most \(Self.longestDeadline.short)" }
        return nil
    }

    /// The shortest pause that keeps `requestsPerRound` requests a round within the budget.
    public static func pacedInterval(requestsPerRound: Int) -> Duration {
        .milliseconds(Int64(max(0, requestsPerRound)) * 60_000 / Int64(budgetPerMinute))
    }
}
