import Foundation

/// Finding the last good run: the session a run with problems is compared with.
extension SessionDiff {
    /// The latest session recorded before `id`, against the same system, in which every step of
    /// `failing` (`runbook/step` paths) ran and passed.
    ///
    /// The same system: the same `API_URL` (and both demo runs or neither, since the sandbox
    /// listens on a new port each time). Sessions are read newest first and the search stops at
    /// the first match.
    public static func lastGood(before id: String, target: String?, mode: String, failing: Set<String>,
                                in store: SessionStore) -> SessionRecord? {
        guard !failing.isEmpty else { return nil }
        for candidate in store.ids().reversed() where candidate < id {
            guard let record = try? store.load(candidate), sameSystem(record.info, target: target, mode: mode) else { continue }
            var passed = Set<String>()
            for (runbook, step) in record.allSteps where step.status == .pass { passed.insert("\(runbook)/\(step.id)") }
            if failing.isSubset(of: passed) { return record }
        }
        return nil
    }

    /// The latest session recorded before `id` against the same system, whatever its results.
    public static func previous(before id: String, target: String?, mode: String, in store: SessionStore) -> SessionRecord? {
        for candidate in store.ids().reversed() where candidate < id {
            if let record = try? store.load(candidate), sameSystem(record.info, target: target, mode: mode) { return record }
        }
        return nil
    }

    /// Whether a session recorded with `info` diagnosed the system a run of `mode` at `target` does.
    static func sameSystem(_ info: SessionInfo, target: String?, mode: String) -> Bool {
        if (info.mode == "demo") != (mode == "demo") { return false }
        return mode == "demo" || info.target == target
    }

    /// What changed since the last good run of the recorded session `record` (for its note).
    public static func sinceLastGood(_ record: SessionRecord, in store: SessionStore) -> SessionDiff? {
        sinceLastGood(record.report(), snapshot: record.snapshot, mode: record.info.mode, in: store)
    }

    /// What changed since the last good run of `report` (a run of `mode` whose state is
    /// `snapshot`); nil when the run had no problem or no earlier session passed its failing steps.
    public static func sinceLastGood(_ report: RunReport, snapshot: StateSnapshot?, mode: String,
                                     in store: SessionStore) -> SessionDiff? {
        let failing = Set(report.allSteps.filter { $0.step.status == .fail || $0.step.status == .warn }
            .map { "\($0.runbook)/\($0.step.id)" })
        guard let good = lastGood(before: report.session, target: report.target, mode: mode, failing: failing, in: store)
        else { return nil }
        return SessionDiff(from: Side(id: good.info.id, startedAt: good.info.startedAt), good.snapshot,
                           to: Side(id: report.session, startedAt: report.startedAt), snapshot)
    }
}
