import Foundation

/// What a check found: the part of a step's result that the check kind decides.
public struct CheckOutcome: Sendable, Equatable {
    /// The status of the step.
    public var status: Status
    /// One line saying what was found.
    public var summary: String
    /// Structured facts behind the summary.
    public var evidence: Evidence
    /// A hint more precise than the runbook's, when the check knows the cause.
    public var hint: String?
    /// The variables this step showed to work live (the API accepted the key, the service accepted
    /// a probe signed with the secret): they outrank any guess from a value's shape in the same run.
    public var proves: [String] = []

    /// An outcome with the given parts.
    public init(_ status: Status, _ summary: String, evidence: Evidence = Evidence(), hint: String? = nil) {
        self.status = status
        self.summary = summary
        self.evidence = evidence
        self.hint = hint
    }

    /// The outcome, marked as proving that `variables` work.
    public func proving(_ variables: String...) -> CheckOutcome {
        var copy = self
        copy.proves = variables
        return copy
    }
}

/// The result of one step of one runbook, as reports and the JSON document carry it.
public struct StepResult: Sendable, Equatable, Encodable {
    /// The step's id within its runbook.
    public var id: String
    /// The check kind that ran.
    public var kind: String
    /// The step's title.
    public var title: String
    /// The step's status.
    public var status: Status
    /// Wall-clock time the step took, in milliseconds.
    public var durationMs: Int
    /// One line saying what was found.
    public var summary: String
    /// What to do next; present when the step did not pass.
    public var hint: String?
    /// Structured facts behind the summary.
    public var evidence: Evidence
    /// When the step started.
    public var startedAt: Date
    /// The variables the step showed to work live (see `CheckOutcome.proves`); nil when none.
    public var proves: [String]?

    enum CodingKeys: String, CodingKey {
        case id, kind, title, status, summary, hint, evidence, proves
        case durationMs = "duration_ms"
        case startedAt = "started_at"
    }

    /// A result with the given parts.
    public init(
        id: String, kind: String, title: String, status: Status, durationMs: Int, summary: String,
        hint: String?, evidence: Evidence, startedAt: Date
    ) {
        self.id = id
        self.kind = kind
        self.title = title
        self.status = status
        self.durationMs = durationMs
        self.summary = summary
        self.hint = hint
        self.evidence = evidence
        self.startedAt = startedAt
    }
}
