import Foundation

/// Records one session: its folder, its journal, and its incident note when it ends.
///
/// Every sink is redacted by the journal; the note is rebuilt from the journal, so what
/// `doctor note ID` prints later is exactly what the session wrote.
public final class SessionRecorder: Sendable {
    /// The session id.
    public let id: String
    /// Where the session lives.
    public let store: SessionStore
    private let journal: Journal

    /// How many sessions are kept by default (`DOCTOR_KEEP_SESSIONS` overrides).
    public static let defaultKeep = 100

    /// Starts recording a session: creates its folder (0700) and journal (0600), records the start
    /// and prunes the oldest sessions beyond `keep`.
    public init(id: String = makeSessionID(), mode: String, configuration: Configuration,
                store: SessionStore = SessionStore(), keep: Int = SessionRecorder.defaultKeep,
                onFailure: (@Sendable (String) -> Void)? = nil) throws(SessionError) {
        self.id = id
        self.store = store
        _ = try store.create(id: id)
        journal = try Journal(path: store.journalPath(of: id), redactor: Redactor(configuration), onFailure: onFailure)
        journal.append(.sessionStart(SessionInfo(id: id, mode: mode, configuration: configuration)))
        store.prune(keep: max(1, keep))
    }

    /// Records that runbooks are about to run (their titles and escalations, for the note).
    public func runbooksStarting(_ runbooks: [Runbook]) {
        for runbook in runbooks {
            journal.append(.runbookStart(id: runbook.id, title: runbook.title, escalation: runbook.escalation,
                                         steps: runbook.steps.map(\.id), time: Date()))
        }
    }

    /// Records a step starting or finishing; never blocks on the disk.
    public func record(_ event: StepEvent) {
        switch event {
        case let .started(runbook, step): journal.append(.stepStart(runbook: runbook, step: step, time: Date()))
        // A revision is journaled as the step's new result: the record keeps the latest of each step.
        case let .finished(runbook, result), let .revised(runbook, result, _):
            journal.append(.stepResult(runbook: runbook, result: result))
        case .progress:
            // How far a step has got is for a terminal; the record keeps starts and results.
            break
        }
    }

    /// Records what a finished run saw of the systems (deploy, variables by name, endpoint,
    /// schema, account), so a later run can say what changed since.
    public func snapshot(_ state: StateSnapshot) {
        guard !state.isEmpty else { return }
        journal.append(.snapshot(state, time: Date()))
    }

    /// Records an operator note.
    public func note(_ text: String) { journal.append(.note(text: text, time: Date())) }

    /// Records a resend a replay made, with its request id and outcome.
    public func replay(_ action: ReplayAction) { journal.append(.replay(action)) }

    /// Records a change of status a watch saw.
    public func statusChange(_ change: StatusChange) { journal.append(.statusChange(change)) }

    /// Records that an escalation summary was produced.
    public func escalation(_ team: Escalation) { journal.append(.escalation(team: team, time: Date())) }

    /// The first failed write of the journal, if any.
    public var writeFailure: String? { journal.writeFailure }

    /// Waits until every event so far is on disk (call before showing a result to a person).
    public func sync() { journal.sync() }

    /// Ends the session: records the end, closes the journal and writes the incident note.
    ///
    /// - Returns: the note's path in the session folder.
    @discardableResult
    public func finish(status: Status, exitCode: Int32, redactor: Redactor? = nil) throws(SessionError) -> String {
        journal.append(.sessionEnd(status: status, exitCode: exitCode, time: Date()))
        journal.close()
        let record = try store.load(id)
        let path = store.notePath(of: id)
        // Redacted again with the session's secrets as they are now: one set during the session
        // after a result showed it is masked in the note too.
        let note = IncidentNote.render(record, changes: SessionDiff.sinceLastGood(record, in: store))
        try SessionStore.writeFile(redactor.map { $0.redact(note) } ?? note, to: path)
        return path
    }

    /// The session so far, rebuilt from the journal.
    public func current() throws(SessionError) -> SessionRecord {
        journal.sync()
        return try store.load(id)
    }
}
