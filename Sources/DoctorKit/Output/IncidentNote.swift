import Foundation

/// The incident note: Markdown written for a person who was not there.
///
/// It says what was seen, when (UTC), against which service, each step with status, duration and
/// evidence, the operator's notes, what was ruled out, and what to do next.
public enum IncidentNote {
    /// The note of a session; `live` when the session is still going (a `save` mid-session), so a
    /// missing end is not called a cut-off record.
    ///
    /// `changes` is what changed since the last good run (`SessionDiff.sinceLastGood`), when known.
    public static func render(_ session: SessionRecord, live: Bool = false, changes: SessionDiff? = nil) -> String {
        var report = session.report()
        report.changes = changes
        let diagnosis = Diagnosis(report)
        var lines: [String] = []
        lines.append("# Incident note: \(diagnosis.cause.map { "\($0.title) — \($0.status.rawValue.uppercased())" } ?? "no problem found")")
        lines.append("")
        let end = session.endedAt ?? session.lastEventAt
        let ended = session.endedAt != nil ? "" : live ? " (still running; so far)" : " (did not end cleanly; last event)"
        lines.append("- **When:** \(utc(session.info.startedAt)) → \(utc(end))\(ended), \(seconds(report.durationMs))")
        lines.append("- **Who:** `\(session.info.operatorName)` on `\(session.info.host)`, doctor \(session.info.doctorVersion), \(session.info.mode) session `\(session.info.id)`")
        lines.append("- **What:** API \(session.info.target.map { "`\($0)`" } ?? "unknown (API_URL not set)") · Stripe mode \(session.info.stripeMode ?? "unknown") · Render service \(session.info.renderService.map { "`\($0)`" } ?? "unknown")")
        lines.append("- **Result:** \(verdict(report.status)), exit \(report.exitCode): \(counts(diagnosis))")
        for notice in session.info.notices { lines.append("- **Note:** \(notice)") }
        if session.endedAt == nil && !live {
            lines.append("- **Partial:** the journal ends at \(utc(session.lastEventAt)) without the session's end (the process was killed, or the disk was full): what happened after that is not in this note.")
        }
        lines.append("")

        lines.append("## Summary")
        lines.append("")
        lines.append("| Step | Runbooks | Status | Duration | Finding |")
        lines.append("| --- | --- | --- | --- | --- |")
        for (step, runbooks) in distinctSteps(report) {
            lines.append("| \(cell(step.id)) | \(cell(runbooks.joined(separator: ", "))) | \(step.status.symbol) \(step.status.rawValue) | \(step.status == .skip ? "" : duration(step.durationMs)) | \(cell(step.summary)) |")
        }
        for open in session.unfinished {
            lines.append("| \(cell(open.step)) | \(cell(open.runbook)) | ? unknown | | started \(utc(open.since)) and never reported (process ended) |")
        }
        lines.append("")

        if !diagnosis.findings.isEmpty {
            lines.append("## What did not pass")
            lines.append("")
            for finding in diagnosis.findings {
                let places = finding.steps.map { "`\($0.path)`" }.joined(separator: ", ")
                lines.append("### \(finding.status.symbol) \(finding.title) (\(places))")
                lines.append("")
                if let cause = finding.explainedBy {
                    lines.append("Explained by `\(cause)`.")
                    lines.append("")
                }
                if let change = finding.likelyChange {
                    lines.append("Likely cause: \(change).")
                    lines.append("")
                }
                let step = report.allSteps.first { $0.runbook == finding.steps[0].runbook && $0.step.id == finding.steps[0].step }?.step
                let when = step.map { " at \(utc($0.startedAt)) after \(duration($0.durationMs))" } ?? ""
                lines.append("\(finding.status.rawValue.uppercased())\(when): \(finding.summary)")
                lines.append("")
                if !finding.explains.isEmpty {
                    lines.append("It explains: \(finding.explains.map { "`\($0)`" }.joined(separator: ", ")).")
                    lines.append("")
                }
                if !finding.evidence.isEmpty {
                    lines.append("Evidence:")
                    lines.append("")
                    for (key, value) in finding.evidence.entries { lines.append("- \(key): `\(code(value.text))`") }
                    lines.append("")
                }
                if let hint = finding.hint {
                    lines.append("What to do: \(hint)")
                    lines.append("")
                }
            }
        }

        if let changes {
            lines.append("## Changed since the last good run (`\(changes.from.id)`, \(changes.age))")
            lines.append("")
            if let problem = changes.problem { lines.append(problem) }
            if changes.problem == nil && changes.changes.isEmpty { lines.append("Nothing the doctor records (deploy, deployed variables, endpoint, schema, account) changed.") }
            for change in changes.changes { lines.append("- \(change.area.rawValue): \(code(change.summary))") }
            for line in changes.notCompared { lines.append("- not compared: \(line)") }
            lines.append("")
        }

        if !session.changes.isEmpty {
            lines.append("## Watched")
            lines.append("")
            for change in session.changes {
                lines.append("- \(utc(change.time)): \(change.runbook)/\(change.step) \(change.from.rawValue) → \(change.to.rawValue): \(change.summary)")
            }
            lines.append("")
        }

        let canaries = PaymentCanary.actions(in: session)
        if !session.actions.isEmpty || !canaries.isEmpty {
            lines.append("## Actions taken")
            lines.append("")
            if !session.actions.isEmpty {
                let healed = session.actions.filter(\.healed).count
                lines.append("Resent with `doctor replay --confirm`: healed \(healed) of \(session.actions.count).")
                lines.append("")
                for action in session.actions { lines.append("- \(code(action.line))") }
            }
            for canary in canaries { lines.append("- \(code(canary))") }
            lines.append("")
        }

        if !session.notes.isEmpty {
            lines.append("## Operator notes")
            lines.append("")
            for note in session.notes { lines.append("- \(utc(note.time)): \(note.text)") }
            lines.append("")
        }

        let ruledOut = diagnosis.ruledOut
        if !ruledOut.isEmpty {
            lines.append("## Ruled out")
            lines.append("")
            for line in ruledOut { lines.append("- \(line)") }
            lines.append("")
        }

        lines.append("## Suggested next actions")
        lines.append("")
        let actions = nextActions(report, diagnosis)
        if actions.isEmpty {
            lines.append("Nothing failed. If the symptom persists, run the runbook that matches it (`doctor runbooks`) and add what you see with `note`.")
        } else {
            for (index, action) in actions.enumerated() { lines.append("\(index + 1). \(action)") }
        }
        lines.append("")
        return lines.joined(separator: "\n")
    }

    /// Each distinct step result once (a shared step with every runbook that holds it), in run order.
    static func distinctSteps(_ report: RunReport) -> [(step: StepResult, runbooks: [String])] {
        var rows: [(step: StepResult, runbooks: [String])] = []
        var index: [String: Int] = [:]
        for (runbook, step) in report.allSteps {
            let identity = Finding.identity(of: step)
            if let at = index[identity] {
                rows[at].runbooks.append(runbook)
            } else {
                index[identity] = rows.count
                rows.append((step, [runbook]))
            }
        }
        return rows
    }

    /// The cause's next action first, then those of the other problems, each once; then the
    /// escalation to consider.
    static func nextActions(_ report: RunReport, _ diagnosis: Diagnosis) -> [String] {
        var actions: [String] = []
        for finding in diagnosis.findings where finding.explainedBy == nil {
            guard let hint = finding.hint else { continue }
            if !actions.contains(where: { $0.hasSuffix(hint) }) { actions.append("\(finding.title): \(hint)") }
        }
        let teams = Set(report.runbooks.filter { $0.status == .fail }.compactMap(\.escalation))
        for team in teams.sorted(by: { $0.rawValue < $1.rawValue }) {
            actions.append("If this is not fixed on our side, check whether the guide's escalation criteria are met: `doctor escalate \(team.rawValue)`.")
        }
        return actions
    }

    static func verdict(_ status: Status) -> String {
        switch status {
        case .pass: "no issues found"
        case .warn: "warnings"
        case .fail: "problems found"
        case .unknown: "could not check everything"
        case .skip: "nothing was checked"
        }
    }

    static func counts(_ diagnosis: Diagnosis) -> String {
        var parts = ["\(diagnosis.problems.count) problem\(diagnosis.problems.count == 1 ? "" : "s")"]
        if !diagnosis.symptoms.isEmpty { parts.append("\(diagnosis.symptoms.count) symptom\(diagnosis.symptoms.count == 1 ? "" : "s") they explain") }
        if !diagnosis.unchecked.isEmpty { parts.append("\(diagnosis.unchecked.count) not checked") }
        parts.append("\(diagnosis.passed.count) check\(diagnosis.passed.count == 1 ? "" : "s") passed")
        return parts.joined(separator: ", ")
    }

    static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    static func code(_ text: String) -> String {
        let flat = text.replacingOccurrences(of: "`", with: "'").replacingOccurrences(of: "\n", with: " ")
        return flat.count > 300 ? String(flat.prefix(300)) + "…" : flat
    }

    static func duration(_ ms: Int) -> String { TextRenderer.duration(ms) }

    static func seconds(_ ms: Int) -> String {
        ms < 60_000 ? String(format: "%.1f s", Double(ms) / 1000) : String(format: "%d min %d s", ms / 60_000, (ms % 60_000) / 1000)
    }

    static func utc(_ date: Date) -> String { TextRenderer.utc(date) }
}
