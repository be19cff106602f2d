import Foundation

extension TextRenderer {
    /// The verdict first: how many problems, the likely cause, what it explains, what to do next.
    public func verdict(_ diagnosis: Diagnosis) -> String {
        guard let cause = diagnosis.cause else {
            guard diagnosis.passed.isEmpty else { return style.paint("No problem found.", .pass) }
            let skipped = diagnosis.notRun.count + diagnosis.blocked.values.map(\.count).reduce(0, +)
            return style.paint("Nothing was checked: \(skipped) step\(skipped == 1 ? "" : "s") skipped (see below).", .skip)
        }
        let problems = diagnosis.problems.count
        let lead: String
        if problems == 0 {
            let unchecked = diagnosis.unchecked.count
            lead = "No problem seen, but \(unchecked) thing\(unchecked == 1 ? "" : "s") could not be checked"
        } else {
            lead = "\(problems) problem\(problems == 1 ? "" : "s")"
        }
        var line = "\(lead): \(Self.phrase(cause))"
        let explained = diagnosis.explained(by: cause).count
        if explained > 0 { line += " — it explains \(explained) other symptom\(explained == 1 ? "" : "s")" }
        var lines = [style.paint(style.bold(line), cause.status)]
        if let change = cause.likelyChange { lines.append("likely cause: \(change)") }
        if let hint = cause.hint { lines.append("next: \(hint)") }
        return lines.joined(separator: "\n")
    }

    /// The findings, ranked, each once with the runbooks that share it; symptoms under their cause.
    public func findings(_ diagnosis: Diagnosis) -> String {
        guard !diagnosis.findings.isEmpty else { return "" }
        var out = "\n" + style.bold("Findings") + "\n"
        for finding in diagnosis.findings where finding.explainedBy == nil {
            out += self.finding(finding) + keptFromRunning(diagnosis.blocked[finding.id]) + "\n"
            for symptom in diagnosis.explained(by: finding) {
                let text = self.finding(symptom) + keptFromRunning(diagnosis.blocked[symptom.id])
                out += text.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n") + "\n"
            }
        }
        return out
    }

    /// One finding: its step line with the runbooks that share it, evidence, next action.
    public func finding(_ finding: Finding) -> String {
        let symbol = style.paint("[\(finding.status.symbol)]", finding.status)
        let shared = finding.steps.map(\.runbook)
        let place = style.dim(" (\(finding.steps[0].step) in \(shared.joined(separator: ", ")))")
        let cause = finding.explainedBy.map { style.dim(" — explained by \($0)") } ?? ""
        var lines = ["\(symbol) \(finding.title): \(finding.summary)\(place)\(cause)"]
        if let change = finding.likelyChange { lines.append("    likely cause: \(change)") }
        if finding.explainedBy == nil || style.verbose {
            for (key, value) in finding.evidence.entries { lines.append(style.dim("    • \(key): \(Self.flat(value))")) }
            if let hint = finding.hint { lines.append("    " + style.paint("→", finding.status) + " \(hint)") }
        }
        return lines.joined(separator: "\n")
    }

    /// What was not checked for want of an input (or under `--read-only`), each once, with what to set.
    public func notRun(_ diagnosis: Diagnosis) -> String {
        guard !diagnosis.notRun.isEmpty, !style.verbose else { return "" }
        var out = "\n" + style.bold("Not checked") + "\n"
        for (steps, result) in diagnosis.notRun {
            out += "\(style.paint("[\(Status.skip.symbol)]", .skip)) \(result.title): \(result.summary)"
                + style.dim(" (\(steps[0].step) in \(steps.map(\.runbook).joined(separator: ", ")))") + "\n"
            if let hint = result.hint { out += "    " + style.paint("→", .skip) + " \(hint)\n" }
            let kept = keptFromRunning(diagnosis.blocked[Diagnosis.notRunKey(steps)])
            if !kept.isEmpty { out += kept.dropFirst() + "\n" }
        }
        return out
    }

    /// `step (runbook, runbook), step (runbook)`: steps grouped by id.
    static func places(_ steps: [Finding.StepRef]) -> String {
        var order: [String] = []
        var runbooks: [String: [String]] = [:]
        for step in steps {
            if runbooks[step.step] == nil { order.append(step.step) }
            runbooks[step.step, default: []].append(step.runbook)
        }
        return order.map { "\($0) (\(runbooks[$0]!.joined(separator: ", ")))" }.joined(separator: ", ")
    }

    /// `\n    kept from running: …` for the steps a finding or a step not run held back, or nothing.
    func keptFromRunning(_ steps: [Finding.StepRef]?) -> String {
        guard let steps, !steps.isEmpty else { return "" }
        return "\n" + style.dim("    kept from running: " + Self.places(steps))
    }

    /// One line per finding, for the end of a streamed run (the details were shown as they came).
    func findingIndex(_ diagnosis: Diagnosis) -> String {
        diagnosis.findings.map { finding in
            let indent = finding.explainedBy == nil ? "  " : "      "
            let cause = finding.explainedBy.map { style.dim(" (explained by \($0))") } ?? ""
            return indent + style.paint(finding.status.symbol, finding.status)
                + " \(finding.id): \(finding.summary)" + style.dim(" [\(finding.runbooks.joined(separator: ", "))]") + cause + "\n"
        }.joined()
    }

    /// What passed: one line per runbook, or every step of every runbook with `--verbose`.
    public func passed(_ report: RunReport, _ diagnosis: Diagnosis) -> String {
        if style.verbose {
            var out = ""
            for runbook in report.runbooks {
                out += runbookTitle(runbook) + "\n"
                for step in runbook.steps { out += self.step(step) + "\n" }
            }
            return out
        }
        var lines: [String] = []
        for tally in diagnosis.runbooks {
            let parts = [(Status.pass, "passed"), (.skip, "skipped"), (.fail, "failed"), (.warn, "warned"), (.unknown, "unknown")]
                .compactMap { status, word in tally.counts[status].map { "\($0) \(word)" } }
            let worst = Status.worst(Array(tally.counts.keys))
            lines.append("  \(style.paint(worst.symbol, worst)) \(tally.title) (\(tally.id)): \(parts.joined(separator: ", "))")
        }
        let notes = diagnosis.passed.compactMap { entry in entry.result.hint.map { (entry.result, $0) } }
        for (result, hint) in notes {
            lines.append("    " + style.paint("→", .pass) + " \(result.id): \(hint)")
        }
        return "\n" + style.bold("Runbooks") + style.dim(" (-v shows every step)") + "\n" + lines.joined(separator: "\n") + "\n"
    }

    /// The closing line: problems (not step rows), what they explain, what was not checked, what passed.
    public func summary(_ report: RunReport, _ diagnosis: Diagnosis? = nil) -> String {
        let diagnosis = diagnosis ?? Diagnosis(report)
        let verdict: String
        switch report.status {
        case .pass: verdict = "No issues found"
        case .warn: verdict = "Warnings found"
        case .fail: verdict = "Problems found"
        case .unknown: verdict = "Could not check everything"
        case .skip: verdict = "Nothing was checked"
        }
        var parts: [String] = []
        let problems = diagnosis.problems
        if !problems.isEmpty {
            let worst = Status.worst(problems.map(\.status))
            parts.append(style.paint("\(problems.count) problem\(problems.count == 1 ? "" : "s")", worst))
        }
        let symptoms = diagnosis.symptoms.count
        if symptoms > 0 { parts.append("\(symptoms) symptom\(symptoms == 1 ? "" : "s") explained by \(problems.count == 1 ? "it" : "them")") }
        let unchecked = diagnosis.unchecked.count
        if unchecked > 0 { parts.append(style.paint("\(unchecked) not checked", .unknown)) }
        parts.append(style.paint("\(diagnosis.passed.count) check\(diagnosis.passed.count == 1 ? "" : "s") passed", .pass))
        let seconds = String(format: "%.1fs", Double(report.durationMs) / 1000)
        return "\n\(style.bold(verdict)): \(parts.joined(separator: ", ")) in \(seconds) (exit \(report.exitCode))"
    }

    /// A finding in the verdict's words: `title: summary` (step id), or the runbooks sharing it.
    static func phrase(_ finding: Finding) -> String {
        // The summary up to its first clause: the rest is in the finding below.
        let head = finding.summary.components(separatedBy: "; ").first ?? finding.summary
        let place = finding.steps.count > 1 ? "\(finding.steps[0].step), in \(finding.steps.count) runbooks" : finding.steps[0].path
        return "\(head) (\(place))"
    }
}
