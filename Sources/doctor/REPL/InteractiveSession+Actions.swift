import DoctorKit

extension InteractiveSession {
    /// The words of `<command> [confirm [yes] …]` (`extra` are the command's own, such as `live`),
    /// or nil once the user was told why not: a usage error, or the refusal that applies to
    /// confirming it (`--read-only`; no terminal without `yes`, which stands for the typed answer).
    func actionWords(_ argument: String, command: String, extra: [String] = [], action: ActionRefusal.Action) -> Set<String>? {
        let words = Set(argument.split(separator: " ").map { $0.lowercased() })
        guard words.isSubset(of: Set(["confirm", "yes"] + extra)), words.isEmpty || words.contains("confirm") else {
            refuse("usage: \(command) [confirm [yes]\(extra.map { " [\($0)]" }.joined())]")
            return nil
        }
        if words.contains("confirm"), let refusal = ActionRefusal.check(
            action, readOnly: diagnosis.options.readOnly, terminal: setup.interactive,
            confirmedWithoutTerminal: words.contains("yes"), noTerminalAllow: "`\(command) confirm yes`") {
            refuse(refusal.message)
            return nil
        }
        return words
    }
}
