import DoctorKit
import Foundation

extension InteractiveSession {
    /// `save [path]`: the incident note of the session so far, in the session folder or at `path`.
    func save(_ argument: String) {
        guard let recorder else {
            console.error("cannot save: the session is not recorded")
            return
        }
        var path = argument.isEmpty ? recorder.store.notePath(of: id) : argument
        if path.hasPrefix("~/"), let home = setup.environment["HOME"] { path = home + path.dropFirst() }
        do {
            // Files are created 0600: the note names hosts, ids and findings.
            let record = try recorder.current()
            let changes = SessionDiff.sinceLastGood(record, in: recorder.store)
            try SessionStore.writeFile(IncidentNote.render(record, live: true, changes: changes), to: path)
            console.out("session note written to \(path)")
        } catch {
            console.error(error.localizedDescription)
        }
    }
}
