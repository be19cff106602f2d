/// One diagnostic, built from a runbook step and run by the engine.
///
/// A check never throws: whatever goes wrong becomes an outcome with a status and a one-line summary.
public protocol Check: Sendable {
    /// How long the step may take before it counts as failed (the target did not answer).
    var timeout: Duration { get }

    /// Runs the diagnostic. It must return promptly once the task is cancelled.
    func run(in context: CheckContext) async -> CheckOutcome

    /// How long the check takes at least by its own design (deliberate pauses between samples),
    /// whatever the target does; zero for most. When steps queue for a slot, the runner starts the
    /// longest first, so a long step does not end the run late by waiting behind short ones.
    var plannedDuration: Duration { get }
}

extension Check {
    public var plannedDuration: Duration { .zero }
}

/// A check whose verdict rests partly on guesses (a value's shape) that a live step of the same
/// run can settle, so that one run never contradicts itself.
public protocol ProofAwareCheck: Check {
    /// The outcome judged again knowing `proofs` (variable → the step that showed it works); nil
    /// when that changes nothing.
    func revised(_ outcome: CheckOutcome, proofs: [String: String], in configuration: Configuration) -> CheckOutcome?
}

/// A kind of check that runbooks name in `check:`; each kind lives in a file of its own.
public protocol CheckKind {
    /// The name runbooks use, e.g. `http`.
    static var name: String { get }

    /// Builds a check from a step, validating its parameters; errors point at the offending value.
    static func make(_ parameters: ParameterReader, step: StepSettings) throws(RunbookError) -> any Check
}

/// The parts of a step, besides `with:`, that a check kind may need to validate and build the check.
public struct StepSettings: Sendable {
    /// The step id.
    public var id: String
    /// `thresholds.warn`, as written.
    public var warn: RunbookValue?
    /// `thresholds.fail`, as written.
    public var fail: RunbookValue?
    /// `timeout`, when the step sets one.
    public var timeout: Duration?
    /// Where `timeout` is written (or the step, when it is not).
    public var timeoutLocation: SourceLocation
    /// Where the step starts.
    public var location: SourceLocation

    /// Settings of a step.
    public init(
        id: String, warn: RunbookValue?, fail: RunbookValue?, timeout: Duration?,
        timeoutLocation: SourceLocation, location: SourceLocation
    ) {
        self.id = id
        self.warn = warn
        self.fail = fail
        self.timeout = timeout
        self.timeoutLocation = timeoutLocation
        self.location = location
    }

    /// Reads a threshold written as a duration.
    public func durationThreshold(_ value: RunbookValue?, name: String) throws(RunbookError) -> Duration? {
        guard let value else { return nil }
        guard case let .scalar(text, _, _) = value, let duration = Duration(parsing: text) else {
            throw RunbookError(value.location, "thresholds.\(name) must be a duration such as 1s or 500ms")
        }
        return duration
    }

    /// Reads a threshold written as a percentage (`70%` or `70`).
    public func percentThreshold(_ value: RunbookValue?, name: String) throws(RunbookError) -> Double? {
        guard let value else { return nil }
        guard case let .scalar(text, _, _) = value,
            let number = Double(text.hasSuffix("%") ? String(text.dropLast()) : text),
            (0...100).contains(number)
        else {
            throw RunbookError(value.location, "thresholds.\(name) must be a percentage from 0 to 100, such as 70%")
        }
        return number
    }

    /// Rejects thresholds for a kind that has none.
    public func rejectThresholds(kind: String) throws(RunbookError) {
        if let value = warn ?? fail {
            throw RunbookError(value.location, "check `\(kind)` takes no thresholds")
        }
    }
}
