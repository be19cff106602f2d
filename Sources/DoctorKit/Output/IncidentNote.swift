import Foundation

/// The incident note: Markdown written for a person who was not there.
///
/// It says what was seen, when (UTC), against which service, each step with status, duration and
/// evidence, the operator's notes, what was ruled out, and what to do next.
public enum IncidentNote {
    /// The note of a session.
    public static func render(_ session: SessionRecord) -> String {
        let report = session.report()
        var lines: [String] = []
        let worst = worstFinding(report)
        lines.append("# Incident note: \(worst.map { "\($0.step.title) — \($0.step.status.rawValue.uppercased())" } ?? "no problem found")")
        lines.append("")
        let end = session.endedAt ?? session.lastEventAt
        let ended = session.endedAt == nil ? " (did not end cleanly; last event)" : ""
        lines.append("- **When:** \(utc(session.info.startedAt)) → \(utc(end))\(ended), \(seconds(report.durationMs))")
        lines.append("- **Who:** `\(session.info.operatorName)` on `\(session.info.host)`, doctor \(session.info.doctorVersion), \(session.info.mode) session `\(session.info.id)`")
        lines.append("- **What:** API \(session.info.target.map { "`\($0)`" } ?? "unknown (API_URL not set)") · Stripe mode \(session.info.stripeMode ?? "unknown") · Render service \(session.info.renderService.map { "`\($0)`" } ?? "unknown")")
        lines.append("- **Result:** \(verdict(report.status)), exit \(report.exitCode): \(counts(report))")
        for notice in session.info.notices { lines.append("- **Note:** \(notice)") }
        lines.append("")

        lines.append("## Summary")
        lines.append("")
        lines.append("| Runbook | Step | Status | Duration | Finding |")
        lines.append("| --- | --- | --- | --- | --- |")
        for (runbook, step) in report.allSteps {
            lines.append("| \(cell(runbook)) | \(cell(step.id)) | \(step.status.symbol) \(step.status.rawValue) | \(step.status == .skip ? "" : duration(step.durationMs)) | \(cell(step.summary)) |")
        }
        for open in session.unfinished {
            lines.append("| \(cell(open.runbook)) | \(cell(open.step)) | ? unknown | | started \(utc(open.since)) and never reported (process ended) |")
        }
        lines.append("")

        let problems = report.allSteps.filter { $0.step.status == .fail || $0.step.status == .unknown || $0.step.status == .warn }
            .sorted { $0.step.status.severity > $1.step.status.severity }
        if !problems.isEmpty {
            lines.append("## What did not pass")
            lines.append("")
            for (runbook, step) in problems {
                lines.append("### \(step.status.symbol) \(step.title) (`\(runbook)/\(step.id)`)")
                lines.append("")
                lines.append("\(step.status.rawValue.uppercased()) at \(utc(step.startedAt)) after \(duration(step.durationMs)): \(step.summary)")
                lines.append("")
                if !step.evidence.isEmpty {
                    lines.append("Evidence:")
                    lines.append("")
                    for (key, value) in step.evidence.entries { lines.append("- \(key): `\(code(value.text))`") }
                    lines.append("")
                }
                if let hint = step.hint {
                    lines.append("What to do: \(hint)")
                    lines.append("")
                }
            }
        }

        if !session.notes.isEmpty {
            lines.append("## Operator notes")
            lines.append("")
            for note in session.notes { lines.append("- \(utc(note.time)): \(note.text)") }
            lines.append("")
        }

        let passed = report.allSteps.filter { $0.step.status == .pass }
        if !passed.isEmpty {
            lines.append("## Ruled out")
            lines.append("")
            var seen: Set<String> = []
            for (_, step) in passed where seen.insert(step.title).inserted {
                lines.append("- \(step.title): \(step.summary)")
            }
            lines.append("")
        }

        lines.append("## Suggested next actions")
        lines.append("")
        let actions = nextActions(report)
        if actions.isEmpty {
            lines.append("Nothing failed. If the symptom persists, run the runbook that matches it (`doctor runbooks`) and add what you see with `note`.")
        } else {
            for (index, action) in actions.enumerated() { lines.append("\(index + 1). \(action)") }
        }
        lines.append("")
        return lines.joined(separator: "\n")
    }

    /// The step that best names the incident: the first failure, else the first unknown, else warning.
    static func worstFinding(_ report: RunReport) -> (runbook: String, step: StepResult)? {
        for status in [Status.fail, .unknown, .warn] {
            if let found = report.allSteps.first(where: { $0.step.status == status }) { return found }
        }
        return nil
    }

    /// The hints of the steps that did not pass, worst first, each once; then the escalation to consider.
    static func nextActions(_ report: RunReport) -> [String] {
        var actions: [String] = []
        let ranked = report.allSteps.filter { $0.step.status != .pass && $0.step.status != .skip }
            .sorted { $0.step.status.severity > $1.step.status.severity }
        for (_, step) in ranked {
            guard let hint = step.hint else { continue }
            let action = "\(step.title): \(hint)"
            if !actions.contains(where: { $0.hasSuffix(hint) }) { actions.append(action) }
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

    static func counts(_ report: RunReport) -> String {
        let counts = report.counts
        return [(Status.fail, "failed"), (.unknown, "unknown"), (.warn, "warning"), (.pass, "passed"), (.skip, "skipped")]
            .compactMap { status, word in counts[status].map { "\($0) \(word)" } }.joined(separator: ", ")
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
