import Foundation

/// What a watch tells its face as it goes; a face prints `line` of each.
public enum WatchEvent: Sendable {
    /// The watch begins (or its pace changed): how many steps, how often, what load.
    case pace(WatchPace)
    /// A step that does not pass yet, as the watch starts from it.
    case failing(runbook: String, result: StepResult, time: Date)
    /// A step's status changed in a round.
    case change(StatusChange)
    /// The watch ended.
    case ended(WatchOutcome)

    /// The event as one line of text.
    public var line: String {
        switch self {
        case let .pace(pace): pace.line
        case let .failing(_, result, time): "\(StatusChange.clock(time)) \(result.id) \(result.status.symbol) \(result.summary)"
        case let .change(change): change.line
        case let .ended(outcome): outcome.line
        }
    }
}

/// How a watch paces its rounds, and the load that puts on the service.
public struct WatchPace: Sendable, Equatable {
    /// How many steps a round re-runs (shared steps once).
    public var steps: Int
    /// The shortest pause between rounds.
    public var shortest: Duration
    /// The longest pause between rounds.
    public var longest: Duration
    /// Requests a round makes to the service (`API_URL`), as measured.
    public var requestsPerRound: Int
    /// When the watch gives up.
    public var until: Date

    /// The most requests a minute the watch can send the service: a round every `shortest`.
    public var requestsPerMinute: Int {
        let perRound = Int64(requestsPerRound) * 60_000
        let milliseconds = max(1, shortest.milliseconds)
        return Int((perRound + milliseconds - 1) / milliseconds)
    }

    /// That load as a share of the service's limit, in whole percent.
    public var share: Int { (requestsPerMinute * 100 + WatchOptions.serviceLimitPerMinute - 1) / WatchOptions.serviceLimitPerMinute }

    /// `watching 3 steps every 5–60 s until 03:34:10 UTC: at most 12 requests a minute to the service, 12 % of its rate limit`.
    public var line: String {
        let range = shortest == longest ? seconds(shortest) : "\(seconds(shortest))–\(seconds(longest))"
        return "watching \(steps) step\(steps == 1 ? "" : "s") every \(range) s until \(StatusChange.clock(until)) UTC: "
            + "at most \(requestsPerMinute) request\(requestsPerMinute == 1 ? "" : "s") a minute to the service, "
            + "\(share) % of its rate limit (\(WatchOptions.serviceLimitPerMinute) per 60 s)"
    }

    private func seconds(_ duration: Duration) -> String {
        let milliseconds = duration.milliseconds
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000)" : String(format: "%.1f", Double(milliseconds) / 1000)
    }
}

/// How a watch ended and the state it left.
public struct WatchOutcome: Sendable {
    /// Why it ended.
    public enum Reason: String, Sendable {
        /// Every watched step passes.
        case passed
        /// The deadline came first.
        case deadline
        /// The caller cancelled it (Ctrl-C).
        case cancelled
    }

    /// Why it ended.
    public var reason: Reason
    /// How many rounds re-ran steps.
    public var rounds: Int
    /// Every change of status, in order.
    public var changes: [StatusChange]
    /// The steps still not passing, as `runbook/step`.
    public var failing: [String]
    /// The exit code of the session's latest results, as `--check` would give it.
    public var exitCode: Int32
    /// How long it watched.
    public var elapsed: Duration

    /// One line: how it ended.
    public var line: String {
        let took = "\(rounds) round\(rounds == 1 ? "" : "s") in \(elapsed.short)"
        switch reason {
        case .passed: return "all passing after \(took) (exit \(exitCode))"
        case .deadline: return "deadline reached after \(took): \(failingText) (exit \(exitCode))"
        case .cancelled: return "watch cancelled after \(took): \(failingText) (exit \(exitCode))"
        }
    }

    private var failingText: String {
        failing.isEmpty ? "nothing left failing" : "still not passing: " + failing.joined(separator: ", ")
    }
}
