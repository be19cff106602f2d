import Foundation

/// A step whose status changed between two rounds of a watch: what `watch` prints, journals and
/// lists in the incident note.
public struct StatusChange: Sendable, Equatable {
    /// The runbook holding the step.
    public var runbook: String
    /// The step id.
    public var step: String
    /// The status before the round.
    public var from: Status
    /// The status the round found.
    public var to: Status
    /// The new result's summary (redacted, as every result that leaves the session).
    public var summary: String
    /// When the round saw the change.
    public var time: Date

    /// A change of `step` in `runbook` from `from` to `to`, seen at `time`.
    public init(runbook: String, step: String, from: Status, to: Status, summary: String, time: Date) {
        self.runbook = runbook
        self.step = step
        self.from = from
        self.to = to
        self.summary = summary
        self.time = time
    }

    /// `03:24:10 webhook-secret-match ✗→✓ the secrets match`: the time of day is UTC.
    public var line: String { "\(Self.clock(time)) \(step) \(from.symbol)→\(to.symbol) \(summary)" }

    /// The UTC time of day of `date`, `03:24:10`.
    public static func clock(_ date: Date) -> String {
        let stamp = UTCTime.string(date, .iso8601)
        return String(stamp.dropFirst(11).prefix(8))
    }
}
