import DoctorKit
import Foundation

extension InteractiveSession {
    /// `runbooks`: what can be run.
    func listRunbooks() {
        guard !runbooks.isEmpty else {
            console.out("no runbooks loaded")
            return
        }
        let width = runbooks.map(\.id.count).max() ?? 0
        for runbook in runbooks {
            let ran = runbook.steps.compactMap { results["\(runbook.id)/\($0.id)"]?.status }
            let state = ran.isEmpty ? "" : "  " + renderer.style.paint("[\(Status.worst(ran).symbol)]", Status.worst(ran))
            console.out("\(runbook.id.padding(toLength: width, withPad: " ", startingAt: 0))  \(runbook.title)\(state)")
            console.out(renderer.style.dim("    \(runbook.symptom)"))
            console.out(renderer.style.dim("    steps: \(runbook.steps.map(\.id).joined(separator: ", "))"
                + (runbook.escalation.map { "; escalates to \($0.rawValue)" } ?? "")))
        }
    }

    /// `show <step>`: the latest result with every piece of evidence, unabridged.
    func show(_ argument: String) {
        guard let (runbook, step) = resolveStep(argument, command: "show") else { return }
        guard let result = results["\(runbook.id)/\(step.id)"] else {
            console.out("\(runbook.id)/\(step.id) has not run in this session: `step \(step.id)` runs it")
            return
        }
        console.out(renderer.style.paint("[\(result.status.symbol)]", result.status) + " \(runbook.id)/\(step.id): \(result.title)")
        console.out("  status: \(result.status.rawValue), \(result.summary)")
        console.out("  started: \(Self.utc(result.startedAt)), took \(result.durationMs) ms")
        if result.evidence.isEmpty { console.out("  evidence: none recorded") }
        for (key, value) in result.evidence.entries {
            console.out("  \(key): " + Self.pretty(value, indent: "    "))
        }
        if let hint = result.hint { console.out("  → \(hint)") }
    }

    /// `why <step>`: what the step checks and what to do, in the runbook's and the guide's words.
    func why(_ argument: String) {
        guard let (runbook, step) = resolveStep(argument, command: "why") else { return }
        console.out(renderer.style.bold("\(runbook.id)/\(step.id): \(step.title)"))
        var checks = "  checks: \(step.kind) \(Self.flat(step.parameters))"
        if let thresholds = step.thresholds { checks += ", thresholds \(Self.flat(thresholds))" }
        console.out(checks + ", timeout \(Self.seconds(step.timeout))")
        if !step.needs.isEmpty { console.out("  runs after: \(step.needs.joined(separator: ", "))") }
        if let result = results["\(runbook.id)/\(step.id)"] {
            console.out("  latest: " + renderer.style.paint("[\(result.status.symbol)]", result.status) + " \(result.summary)")
            if let hint = result.hint, hint != step.hint { console.out("  found: \(hint)") }
        } else {
            console.out("  latest: not run in this session")
        }
        console.out("  hint: \(step.hint ?? "(the runbook gives none)")")
        let section = runbook.guide.map { " (\($0))" } ?? ""
        console.out("  the guide\(section): \(step.guide ?? "(no advice quoted for this step)")")
    }

    /// `note <text>`: a timestamped operator note.
    func note(_ text: String) {
        guard !text.isEmpty else {
            refuse("note needs text, e.g. `note restarted the service on Render`")
            return
        }
        let now = Date()
        // Redacted now: a pasted secret never sits in the session, the note file or the screen.
        let safe = redactor.redact(text)
        events.append(.note(at: now, text: safe))
        recorder?.note(safe)
        console.out("noted at \(Self.utc(now))")
    }

    /// `escalate stripe|render`: the support summary of this session, with the guide's criteria.
    func escalate(_ argument: String) {
        let teams = Escalation.allCases.map(\.rawValue)
        guard let team = Escalation(rawValue: argument) else {
            let suggestion = argument.isEmpty ? nil : RunbookSelection.nearest(argument, in: teams)
            refuse("escalate needs stripe or render" + (suggestion.map { " (did you mean \"\($0)\"?)" } ?? ""))
            return
        }
        let feeding = runbooks.filter { $0.escalation == team }.map(\.id)
        let ran = Set(results.keys.map { String($0.prefix { $0 != "/" }) })
        if !feeding.contains(where: ran.contains) {
            console.out("nothing feeding the \(team.rawValue) summary has run yet: `run \(feeding.first ?? "all")` first"
                + (feeding.count > 1 ? " (runbooks feeding it: \(feeding.joined(separator: ", ")))" : ""))
            return
        }
        guard let recorder else {
            console.error("cannot build the summary: the session is not recorded")
            return
        }
        do {
            let record = try recorder.current()
            let summary = team == .stripe ? EscalationSummary.stripe(record) : EscalationSummary.render(record)
            recorder.escalation(team)
            console.out(summary.text, terminator: "")
        } catch {
            console.error(error.localizedDescription)
        }
    }

    /// `status`: the session so far.
    func status() {
        console.out("session \(id), started \(Self.utc(startedAt)), target \(configuration.value("API_URL") ?? "(API_URL not set)")")
        let runs = events.filter { if case .ran = $0 { return true } else { return false } }.count
        let notes = events.filter { if case .note = $0 { return true } else { return false } }.count
        console.out("\(runs) run\(runs == 1 ? "" : "s"), \(results.count) step result\(results.count == 1 ? "" : "s"), \(notes) note\(notes == 1 ? "" : "s")")
        for key in resultOrder {
            guard let result = results[key] else { continue }
            console.out("  " + renderer.style.paint("[\(result.status.symbol)]", result.status) + " \(key): \(result.summary)")
        }
        for case let .note(time, text) in events { console.out("  note \(Self.utc(time)): \(text)") }
        console.out("exit code if the session ended now: \(exitCode)")
    }

    /// `help [command]`.
    func help(_ argument: String) {
        if argument.isEmpty {
            let width = SessionCommand.all.map { ($0.name + " " + $0.usage).count }.max() ?? 0
            for command in SessionCommand.all {
                let head = command.usage.isEmpty ? command.name : command.name + " " + command.usage
                console.out("  \(head.padding(toLength: width, withPad: " ", startingAt: 0))  \(command.summary)")
            }
            console.out("`help <command>` for more. Tab completes commands, runbooks, steps and variables.")
            return
        }
        guard let command = SessionCommand.named(argument) else {
            let suggestion = RunbookSelection.nearest(argument, in: SessionCommand.all.map(\.name)).map { " (did you mean \"\($0)\"?)" } ?? ""
            refuse("no command \"\(argument)\"\(suggestion)")
            return
        }
        console.out(renderer.style.bold(command.usage.isEmpty ? command.name : "\(command.name) \(command.usage)") + ": \(command.summary)")
        console.out(command.details)
    }

    /// `key: value` pairs of an object on one line.
    static func flat(_ value: JSONValue) -> String {
        guard case let .object(members) = value else { return value.text }
        return members.map { "\($0.0): \($0.1.text)" }.joined(separator: ", ")
    }

    static func utc(_ date: Date) -> String { UTCTime.string(date, .readable) }

    static func seconds(_ duration: Duration) -> String {
        String(format: "%.1fs", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }

    /// A value in full: strings as they are (indented when multi-line), objects and arrays as JSON.
    static func pretty(_ value: JSONValue, indent: String) -> String {
        switch value {
        case let .string(text):
            guard text.contains("\n") else { return text }
            return "\n" + text.split(separator: "\n", omittingEmptySubsequences: false).map { indent + $0 }.joined(separator: "\n")
        case .object, .array:
            let json = JSONRenderer.render(encodable: value).trimmingCharacters(in: .whitespacesAndNewlines)
            guard json.contains("\n") else { return json }
            return "\n" + json.split(separator: "\n").map { indent + $0 }.joined(separator: "\n")
        default:
            return value.text
        }
    }
}
