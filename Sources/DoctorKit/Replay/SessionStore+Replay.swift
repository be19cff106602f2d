import Foundation

extension SessionStore {
    /// The latest session whose results can feed a replay (a `stripe-deliveries` or
    /// `reconciliation` result), newest first.
    public func latestReplaySource() -> SessionRecord? {
        list().first { ReplayInputs(results: $0.allSteps).sawSteps }
    }

    /// Journals `actions` in session `id` (as `replay` events) and rewrites its incident note, so
    /// the note and `doctor escalate stripe` list them under "Actions taken".
    public func record(_ actions: [ReplayAction], in id: String) {
        for action in actions { appendEvent(.replay(action), to: id) }
        guard let record = try? load(id) else { return }
        let note = IncidentNote.render(record, changes: SessionDiff.sinceLastGood(record, in: self))
        try? Self.writeFile(note, to: notePath(of: id))
    }
}
