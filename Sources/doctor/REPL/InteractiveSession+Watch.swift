import DoctorKit
import Foundation

extension InteractiveSession {
    /// `watch [runbook…|all] [DURATION]`: re-runs what did not pass until it passes, the deadline
    /// (default 10m) or Ctrl-C, printing each change of status as it happens.
    func watch(_ argument: String) {
        var options = WatchOptions()
        var ids: [String] = []
        for word in argument.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init) {
            // A word that reads as a duration is the deadline; no runbook id is one.
            if let deadline = Duration(parsing: word), deadline > .zero { options.deadline = deadline } else { ids.append(word) }
        }
        if let problem = options.problem {
            refuse("watch: \(problem)")
            return
        }
        let selected: [Runbook]
        if ids.isEmpty {
            // What this session has run is what there is to watch.
            let ran = Set(diagnosis.runbookOf.values)
            selected = runbooks.filter { ran.contains($0.id) }
            guard !selected.isEmpty else {
                refuse("nothing ran yet: `watch <runbook>|all [duration]`, e.g. `watch webhooks-not-arriving 10m`")
                return
            }
        } else {
            switch RunbookSelection.select(ids.joined(separator: ","), from: runbooks) {
            case let .success(list): selected = list
            case let .failure(failure):
                refuse("\(failure); `runbooks` lists them")
                return
            }
        }
        _ = recorder
        if setup.interactive { console.out(renderer.style.dim("(Ctrl-C stops watching; the last state is kept)")) }
        let diagnosis = self.diagnosis
        let console = self.console
        let chosen = options
        let (outcome, _) = waitInterruptibly {
            await diagnosis.watch(selected, options: chosen) { event in console.out(event.line) }
        }
        lastRunbook = selected.last?.id
        events.append(.ran(runbooks: selected.map(\.id), at: Date(), durationMs: Int(outcome.elapsed.milliseconds),
                           status: diagnosis.status, cancelled: outcome.reason == .cancelled))
    }
}
