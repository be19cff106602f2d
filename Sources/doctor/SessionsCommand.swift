import ArgumentParser
import DoctorKit
import Foundation

/// `doctor sessions`: the recorded sessions, newest first.
struct SessionsCommand: RootOptionShadowing {
    static let configuration = CommandConfiguration(
        commandName: "sessions",
        abstract: "List recorded sessions (time, mode, runbooks, worst status).",
        discussion: "Sessions live under $XDG_STATE_HOME/doctor/sessions (default ~/.local/state/doctor/sessions); DOCTOR_KEEP_SESSIONS (default 100) bounds how many are kept.")

    @Option(name: .long, help: "Output format: text or json.")
    var format: OutputFormat = .text

    /// Whatever follows `sessions` that is none of its options (see `RootOptionShadowing`).
    @Argument(parsing: .captureForPassthrough, help: .private)
    var unexpected: [String] = []

    func validate() throws {
        try rejectUnexpected()
        guard format == .text || format == .json else { throw ValidationError("sessions prints text or json, not \(format.rawValue)") }
    }

    func run() throws {
        let console = Console(redactor: nil)
        let store = SessionStore()
        let sessions = store.list()
        if format == .json {
            let rows: [[String: JSONValue]] = sessions.map { record in
                ["id": .string(record.info.id), "mode": .string(record.info.mode), "started_at": .string(TextRenderer.utc(record.info.startedAt)),
                 "status": .string(record.status.rawValue), "runbooks": .array(record.runbooks.map { .string($0.id) }),
                 "ended": .bool(record.endedAt != nil), "note": .string(store.notePath(of: record.info.id))]
            }
            console.out(JSONRenderer.render(encodable: rows))
            return
        }
        guard !sessions.isEmpty else {
            console.out("No sessions recorded yet in \(store.root).")
            return
        }
        for record in sessions {
            let runbooks = record.runbooks.map(\.id).joined(separator: ", ")
            let ended = record.endedAt == nil ? " (did not end cleanly)" : ""
            console.out("\(record.info.id)  \(TextRenderer.utc(record.info.startedAt))  \(record.info.mode.padding(toLength: 11, withPad: " ", startingAt: 0)) [\(record.status.symbol)] \(record.status.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)) \(runbooks.isEmpty ? "-" : runbooks)\(ended)")
        }
    }
}

/// `doctor note [ID]`: print (and rewrite) a session's incident note, rebuilt from its journal.
struct NoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "note",
        abstract: "Print a session's incident note, rebuilt from its journal (default: the latest session).",
        discussion: "Works for a session whose process was killed: every step that had finished is in the note.")

    @Argument(help: ArgumentHelp("Session id (see `doctor sessions`).", valueName: "id"))
    var id: String?

    @Option(name: .long, help: ArgumentHelp("Also write the note here.", valueName: "path"))
    var output: String?

    func run() throws {
        let console = Console(redactor: nil)
        let store = SessionStore()
        do {
            guard let chosen = id ?? store.ids().last else { throw SessionError.noSessions(store.root) }
            let record = try store.load(chosen)
            let note = IncidentNote.render(record, changes: SessionDiff.sinceLastGood(record, in: store))
            // Printed first: a full disk that cannot take note.md must not cost the operator the note.
            console.out(note, terminator: "")
            do {
                try SessionStore.writeFile(note, to: store.notePath(of: chosen))
            } catch {
                console.error("the note is printed above but not saved: \(error.localizedDescription)")
            }
            if let output { try SessionStore.writeFile(note, to: output) }
        } catch {
            console.error(error.localizedDescription)
            throw ExitCode(ExitStatus.unknown.rawValue)
        }
    }
}
