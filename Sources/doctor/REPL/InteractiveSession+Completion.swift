import DoctorKit

extension InteractiveSession {
    /// Tab's candidates: commands first, then each command's own arguments.
    func complete(_ request: CompletionRequest) -> CompletionAnswer {
        guard let first = request.previousWords.first else {
            return CompletionAnswer(candidates: SessionCommand.all.map(\.name))
        }
        // Only the first argument is completed: no command takes a second one.
        guard request.previousWords.count == 1, let command = SessionCommand.named(first) else {
            return CompletionAnswer(candidates: [])
        }
        switch command.name {
        case "run", "watch":
            return CompletionAnswer(candidates: runbooks.map(\.id) + ["all"])
        case "step", "show", "why":
            if request.word.contains("/") {
                return CompletionAnswer(candidates: runbooks.flatMap { runbook in runbook.steps.map { "\(runbook.id)/\($0.id)" } })
            }
            return CompletionAnswer(candidates: allStepIDs)
        case "set":
            return CompletionAnswer(candidates: variableNames, terminator: "=")
        case "unset":
            return CompletionAnswer(candidates: variableNames.filter { configuration.value($0) != nil })
        case "escalate":
            return CompletionAnswer(candidates: Escalation.allCases.map(\.rawValue))
        case "help":
            return CompletionAnswer(candidates: SessionCommand.all.map(\.name))
        default:
            return CompletionAnswer(candidates: [])
        }
    }
}
