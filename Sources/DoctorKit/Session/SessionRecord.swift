import Foundation

/// A session as rebuilt from its journal: enough for the note, the escalation summaries and listings.
public struct SessionRecord: Sendable {
    /// A runbook run in the session, with the latest result of each of its steps.
    public struct RunbookRun: Sendable {
        /// The runbook id.
        public var id: String
        /// Its title.
        public var title: String
        /// The summary it feeds.
        public var escalation: Escalation?
        /// Step results in the runbook's order (a re-run replaces the earlier result).
        public var steps: [StepResult]
        /// The runbook's step ids in its own order, when recorded.
        var order: [String] = []
        /// The worst status of its steps.
        public var status: Status { Status.worst(steps.map(\.status)) }
    }

    /// Who, where, against what.
    public var info: SessionInfo
    /// The runbooks run, in the order first run.
    public var runbooks: [RunbookRun] = []
    /// Steps that started and never reported (the process was killed or cut off).
    public var unfinished: [(runbook: String, step: String, since: Date)] = []
    /// Operator notes in time order.
    public var notes: [(time: Date, text: String)] = []
    /// Changes of status a watch saw, in time order.
    public var changes: [StatusChange] = []
    /// Events resent with `doctor replay --confirm`, in time order.
    public var actions: [ReplayAction] = []
    /// Escalation summaries produced.
    public var escalations: [(team: Escalation, time: Date)] = []
    /// When the session ended, if it ended cleanly.
    public var endedAt: Date?
    /// The exit code it ended with, if it ended cleanly.
    public var exitCode: Int32?
    /// The time of the last event.
    public var lastEventAt: Date
    /// What the systems looked like, merged over the session's runs (nil in journals written
    /// before snapshots were recorded, or when no run read any area).
    public var snapshot: StateSnapshot?

    /// The worst status of every step.
    public var status: Status { Status.worst(runbooks.flatMap { $0.steps.map(\.status) }) }

    /// Every step result with its runbook id.
    public var allSteps: [(runbook: String, step: StepResult)] {
        runbooks.flatMap { run in run.steps.map { (run.id, $0) } }
    }

    /// Rebuilds a session from its journal events.
    public init?(events: [JournalEvent]) {
        guard case let .sessionStart(info)? = events.first(where: {
            if case .sessionStart = $0 { return true } else { return false }
        }) else { return nil }
        self.info = info
        lastEventAt = info.startedAt
        var started: [String: Date] = [:]
        // Linear in the journal: each runbook's latest results by step id, in the order they first
        // came, sorted into the runbook's own order once at the end.
        var index: [String: Int] = [:]
        var latest: [[String: StepResult]] = []
        var arrival: [[String]] = []
        func position(of runbook: String) -> Int {
            if let found = index[runbook] { return found }
            index[runbook] = runbooks.count
            runbooks.append(RunbookRun(id: runbook, title: runbook, escalation: nil, steps: []))
            latest.append([:])
            arrival.append([])
            return runbooks.count - 1
        }
        for event in events {
            switch event {
            case .sessionStart: break
            case let .runbookStart(id, title, escalation, order, time):
                if index[id] == nil {
                    let at = position(of: id)
                    runbooks[at] = RunbookRun(id: id, title: title, escalation: escalation, steps: [], order: order)
                }
                lastEventAt = max(lastEventAt, time)
            case let .stepStart(runbook, step, time):
                started["\(runbook)/\(step)"] = time
                lastEventAt = max(lastEventAt, time)
            case let .stepResult(runbook, result):
                started["\(runbook)/\(result.id)"] = nil
                let at = position(of: runbook)
                if latest[at][result.id] == nil { arrival[at].append(result.id) }
                latest[at][result.id] = result
                lastEventAt = max(lastEventAt, result.startedAt.addingTimeInterval(Double(result.durationMs) / 1000))
            case let .note(text, time):
                notes.append((time, text))
                lastEventAt = max(lastEventAt, time)
            case let .escalation(team, time):
                escalations.append((team, time))
                lastEventAt = max(lastEventAt, time)
            case let .statusChange(change):
                changes.append(change)
                lastEventAt = max(lastEventAt, change.time)
            case let .replay(action):
                actions.append(action)
                lastEventAt = max(lastEventAt, action.sentAt)
            case let .sessionEnd(_, exitCode, time):
                endedAt = time
                self.exitCode = exitCode
                lastEventAt = max(lastEventAt, time)
            case let .snapshot(state, time):
                snapshot = snapshot.map { $0.merged(with: state) } ?? state
                lastEventAt = max(lastEventAt, time)
            }
        }
        for at in runbooks.indices {
            let rank = Dictionary(runbooks[at].order.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
            let ids = arrival[at].enumerated().sorted { lhs, rhs in
                let (left, right) = (rank[lhs.element] ?? .max, rank[rhs.element] ?? .max)
                return left != right ? left < right : lhs.offset < rhs.offset
            }.map(\.element)
            runbooks[at].steps = ids.compactMap { latest[at][$0] }
        }
        unfinished = started.map { key, since in
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            return (parts[0], parts.count > 1 ? parts[1] : "", since)
        }.sorted { $0.since < $1.since }
        notes.sort { $0.time < $1.time }
    }

    /// The session as a run report, for the renderers.
    public func report(failOn: FailOn = .warn) -> RunReport {
        let status = self.status
        return RunReport(
            status: status, exitCode: exitCode ?? ExitStatus(worst: status, failOn: failOn).rawValue,
            session: info.id, startedAt: info.startedAt, finishedAt: endedAt ?? lastEventAt,
            durationMs: Int(((endedAt ?? lastEventAt).timeIntervalSince(info.startedAt) * 1000).rounded()),
            target: info.target, stripeMode: info.stripeMode, notices: info.notices,
            runbooks: runbooks.map {
                RunbookReport(id: $0.id, title: $0.title, status: $0.status, escalation: $0.escalation, steps: $0.steps)
            })
    }
}
