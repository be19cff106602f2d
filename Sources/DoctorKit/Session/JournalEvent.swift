import Foundation

/// One line of a session's `journal.jsonl`: everything a note or an escalation is rebuilt from.
public enum JournalEvent: Sendable, Equatable {
    /// The session began: who, where, against what.
    case sessionStart(SessionInfo)
    /// A step began running.
    case stepStart(runbook: String, step: String, time: Date)
    /// A step has its result.
    case stepResult(runbook: String, result: StepResult)
    /// A runbook was run (its title, escalation and step order, for the note).
    case runbookStart(id: String, title: String, escalation: Escalation?, steps: [String], time: Date)
    /// The operator wrote a note.
    case note(text: String, time: Date)
    /// An escalation summary was produced.
    case escalation(team: Escalation, time: Date)
    /// A watch saw a step's status change.
    case statusChange(StatusChange)
    /// The session ended.
    case sessionEnd(status: Status, exitCode: Int32, time: Date)
    /// A run ended: what the systems looked like, safe to write (for `doctor diff`).
    case snapshot(StateSnapshot, time: Date)
    /// `doctor replay --confirm` asked Stripe to resend an event; what came of it.
    case replay(ReplayAction)
}

/// The environment fingerprint recorded when a session starts.
public struct SessionInfo: Sendable, Equatable, Codable {
    /// The session id.
    public var id: String
    /// `check`, `demo` or `interactive`.
    public var mode: String
    /// When it started.
    public var startedAt: Date
    /// The operator's login name.
    public var operatorName: String
    /// The host the doctor ran on.
    public var host: String
    /// The doctor's version.
    public var doctorVersion: String
    /// `API_URL`, when set.
    public var target: String?
    /// `live` or `test`, when a Stripe key is set.
    public var stripeMode: String?
    /// `RENDER_SERVICE_ID`, when set.
    public var renderService: String?
    /// Which variables were set, each shown masked (never a secret).
    public var variables: [String: String]
    /// Configuration notices (API base overrides).
    public var notices: [String]

    enum CodingKeys: String, CodingKey {
        case id, mode, host, target, variables, notices
        case startedAt = "started_at"
        case operatorName = "operator"
        case doctorVersion = "doctor_version"
        case stripeMode = "stripe_mode"
        case renderService = "render_service"
    }

    /// A fingerprint of `configuration`, safe to write down.
    public init(id: String, mode: String, configuration: Configuration, startedAt: Date = Date()) {
        self.id = id
        self.mode = mode
        self.startedAt = startedAt
        let environment = ProcessInfo.processInfo.environment
        operatorName = environment["DOCTOR_OPERATOR"] ?? environment["USER"] ?? environment["LOGNAME"]
            ?? getpwuid(getuid()).flatMap { $0.pointee.pw_name.map { String(cString: $0) } } ?? "unknown"
        host = ProcessInfo.processInfo.hostName
        doctorVersion = DoctorVersion.current
        target = configuration.value("API_URL")
        stripeMode = Runner.stripeMode(configuration)
        renderService = configuration.value("RENDER_SERVICE_ID")
        var shown: [String: String] = [:]
        // The service's variables and the doctor's own only: the shell around it holds other
        // people's secrets under names nothing here can recognise.
        for name in configuration.names where VariableValidators.validated.contains(name) || name.hasPrefix("DOCTOR_") {
            guard let value = configuration.value(name) else { continue }
            shown[name] = VariableValidators.display(name, value)
        }
        variables = shown
        notices = configuration.notices
    }
}

extension JournalEvent: Codable {
    private enum Kind: String, Codable {
        case sessionStart = "session_start", stepStart = "step_start", stepResult = "step_result"
        case runbookStart = "runbook_start", note, escalation, sessionEnd = "session_end", snapshot
        case statusChange = "status_change"
        case replay
    }

    private enum CodingKeys: String, CodingKey {
        case type, session, runbook, step, steps, result, time, text, team, status, title, escalation, id, state, from, summary
        case action
        case exitCode = "exit_code"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(Kind.self, forKey: .type) {
        case .sessionStart: self = .sessionStart(try c.decode(SessionInfo.self, forKey: .session))
        case .stepStart:
            self = .stepStart(runbook: try c.decode(String.self, forKey: .runbook),
                              step: try c.decode(String.self, forKey: .step), time: try c.decode(Date.self, forKey: .time))
        case .stepResult:
            self = .stepResult(runbook: try c.decode(String.self, forKey: .runbook),
                               result: try c.decode(StepResult.self, forKey: .result))
        case .runbookStart:
            self = .runbookStart(id: try c.decode(String.self, forKey: .id), title: try c.decode(String.self, forKey: .title),
                                 escalation: try c.decodeIfPresent(Escalation.self, forKey: .escalation),
                                 steps: try c.decodeIfPresent([String].self, forKey: .steps) ?? [],
                                 time: try c.decode(Date.self, forKey: .time))
        case .note: self = .note(text: try c.decode(String.self, forKey: .text), time: try c.decode(Date.self, forKey: .time))
        case .escalation:
            self = .escalation(team: try c.decode(Escalation.self, forKey: .team), time: try c.decode(Date.self, forKey: .time))
        case .statusChange:
            self = .statusChange(StatusChange(
                runbook: try c.decode(String.self, forKey: .runbook), step: try c.decode(String.self, forKey: .step),
                from: try c.decode(Status.self, forKey: .from), to: try c.decode(Status.self, forKey: .status),
                summary: try c.decode(String.self, forKey: .summary), time: try c.decode(Date.self, forKey: .time)))
        case .sessionEnd:
            self = .sessionEnd(status: try c.decode(Status.self, forKey: .status),
                               exitCode: try c.decode(Int32.self, forKey: .exitCode), time: try c.decode(Date.self, forKey: .time))
        case .snapshot:
            self = .snapshot(try c.decode(StateSnapshot.self, forKey: .state), time: try c.decode(Date.self, forKey: .time))
        case .replay: self = .replay(try c.decode(ReplayAction.self, forKey: .action))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case let .sessionStart(info):
            try c.encode(Kind.sessionStart, forKey: .type)
            try c.encode(info, forKey: .session)
        case let .stepStart(runbook, step, time):
            try c.encode(Kind.stepStart, forKey: .type)
            try c.encode(runbook, forKey: .runbook)
            try c.encode(step, forKey: .step)
            try c.encode(time, forKey: .time)
        case let .stepResult(runbook, result):
            try c.encode(Kind.stepResult, forKey: .type)
            try c.encode(runbook, forKey: .runbook)
            try c.encode(result, forKey: .result)
        case let .runbookStart(id, title, escalation, steps, time):
            try c.encode(Kind.runbookStart, forKey: .type)
            try c.encode(id, forKey: .id)
            try c.encode(title, forKey: .title)
            try c.encodeIfPresent(escalation, forKey: .escalation)
            try c.encode(steps, forKey: .steps)
            try c.encode(time, forKey: .time)
        case let .note(text, time):
            try c.encode(Kind.note, forKey: .type)
            try c.encode(text, forKey: .text)
            try c.encode(time, forKey: .time)
        case let .escalation(team, time):
            try c.encode(Kind.escalation, forKey: .type)
            try c.encode(team, forKey: .team)
            try c.encode(time, forKey: .time)
        case let .statusChange(change):
            try c.encode(Kind.statusChange, forKey: .type)
            try c.encode(change.runbook, forKey: .runbook)
            try c.encode(change.step, forKey: .step)
            try c.encode(change.from, forKey: .from)
            try c.encode(change.to, forKey: .status)
            try c.encode(change.summary, forKey: .summary)
            try c.encode(change.time, forKey: .time)
        case let .sessionEnd(status, exitCode, time):
            try c.encode(Kind.sessionEnd, forKey: .type)
            try c.encode(status, forKey: .status)
            try c.encode(exitCode, forKey: .exitCode)
            try c.encode(time, forKey: .time)
        case let .snapshot(state, time):
            try c.encode(Kind.snapshot, forKey: .type)
            try c.encode(state, forKey: .state)
            try c.encode(time, forKey: .time)
        case let .replay(action):
            try c.encode(Kind.replay, forKey: .type)
            try c.encode(action, forKey: .action)
        }
    }

    /// The event with every string passed through `redactor`.
    public func redacted(by redactor: Redactor) -> JournalEvent {
        switch self {
        case var .sessionStart(info):
            info.target = info.target.map(redactor.redact)
            info.notices = info.notices.map(redactor.redact)
            info.variables = info.variables.mapValues(redactor.redact)
            return .sessionStart(info)
        case let .stepResult(runbook, result): return .stepResult(runbook: runbook, result: redactor.redact(result))
        case let .note(text, time): return .note(text: redactor.redact(text), time: time)
        case let .snapshot(state, time): return .snapshot(state.redacted(by: redactor), time: time)
        case var .statusChange(change):
            change.summary = redactor.redact(change.summary)
            return .statusChange(change)
        case var .replay(action):
            action.outcome = redactor.redact(action.outcome)
            return .replay(action)
        default: return self
        }
    }
}
