import Foundation

/// The results of one runbook in a run.
public struct RunbookReport: Sendable, Encodable {
    /// The runbook id.
    public var id: String
    /// The runbook title.
    public var title: String
    /// The worst step status (`skip` when every step was skipped).
    public var status: Status
    /// Which support team its escalation summary is for.
    public var escalation: Escalation?
    /// Every step, in the runbook's order.
    public var steps: [StepResult]

    /// A runbook's results.
    public init(id: String, title: String, status: Status, escalation: Escalation?, steps: [StepResult]) {
        self.id = id
        self.title = title
        self.status = status
        self.escalation = escalation
        self.steps = steps
    }
}

/// Everything a run found: the document behind every output format.
public struct RunReport: Sendable, Encodable {
    /// The worst status of the run.
    public var status: Status
    /// The process exit code the run maps to (docs/architecture.md, "Statuses and exit codes").
    public var exitCode: Int32
    /// The session id.
    public var session: String
    /// When the run started.
    public var startedAt: Date
    /// When it ended.
    public var finishedAt: Date
    /// Wall-clock duration.
    public var durationMs: Int
    /// The API base URL diagnosed, when set.
    public var target: String?
    /// `live` or `test`, from the Stripe key, when set.
    public var stripeMode: String?
    /// What the run must say about its configuration (API base overrides, ignored file values).
    public var notices: [String]
    /// Each runbook's results.
    public var runbooks: [RunbookReport]
    /// Where the session's incident note was written, once it was.
    public var notePath: String?
    /// What changed since the last good run, when the run had problems and such a run was recorded.
    public var changes: SessionDiff?

    enum CodingKeys: String, CodingKey {
        case status, session, target, notices, runbooks, findings, changes
        case notePath = "note"
        case exitCode = "exit_code"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case durationMs = "duration_ms"
        case stripeMode = "stripe_mode"
    }

    /// Encodes the report and its diagnosis's `findings` (each problem once, ranked, with what
    /// explains it); the per-runbook `steps` stay as scripts know them.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(status, forKey: .status)
        try container.encode(exitCode, forKey: .exitCode)
        try container.encode(session, forKey: .session)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(finishedAt, forKey: .finishedAt)
        try container.encode(durationMs, forKey: .durationMs)
        try container.encodeIfPresent(target, forKey: .target)
        try container.encodeIfPresent(stripeMode, forKey: .stripeMode)
        try container.encode(notices, forKey: .notices)
        try container.encode(runbooks, forKey: .runbooks)
        try container.encode(Diagnosis(self).findings, forKey: .findings)
        try container.encodeIfPresent(notePath, forKey: .notePath)
        try container.encodeIfPresent(changes, forKey: .changes)
    }

    /// Every step result of the run, with its runbook id.
    public var allSteps: [(runbook: String, step: StepResult)] {
        runbooks.flatMap { runbook in runbook.steps.map { (runbook.id, $0) } }
    }

    /// How many steps ended with each status.
    public var counts: [Status: Int] {
        var counts: [Status: Int] = [:]
        for (_, step) in allSteps { counts[step.status, default: 0] += 1 }
        return counts
    }
}

/// A new session id: UTC time and a random suffix, sortable and unique enough for one host.
public func makeSessionID(at date: Date = Date()) -> String {
    let suffix = String(UInt32.random(in: 0...0xFFFF), radix: 16)
    return UTCTime.string(date, .compact) + "-" + String(repeating: "0", count: 4 - suffix.count) + suffix
}
