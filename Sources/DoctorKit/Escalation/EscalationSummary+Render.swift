import Foundation

extension EscalationSummary {
    /// The Render support summary: service and deploys, health results, error-log excerpts, resource
    /// figures, and the guide's three Render criteria.
    public static func render(_ record: SessionRecord) -> EscalationSummary {
        let facts = SessionFacts(record: record)
        let health = record.allSteps.filter {
            $0.step.kind == "http" && ($0.step.evidence["url"]?.text.hasSuffix("/api/health") ?? false)
        }
        var seen: Set<String> = []
        let healthLines = health.compactMap { runbook, step -> String? in
            seen.insert(step.id).inserted ? "\(step.status.symbol) \(step.summary) at \(TextRenderer.utc(step.startedAt))" : nil
        }
        let deploySteps = facts.steps(kind: "render-deploys")
        let deployEvidence = deploySteps.first?.step.evidence
        let latest = deployEvidence?["latest"]
        let failedDeploys: [JSONValue] = { if case let .array(list)? = deployEvidence?["failed_in_window"] { list } else { [] } }()
        let service = facts.steps(kind: "render-service").first
        let metrics = facts.steps(kind: "render-metrics").first
        let fields: [Field] = [
            Field(label: "Render service", value: record.info.renderService ?? service?.step.evidence["service_id"]?.text, source: nil),
            Field(label: "Service URL", value: service?.step.evidence["url"]?.text ?? record.info.target,
                  source: service.map { "\($0.runbook)/\($0.step.id)" }),
            Field(label: "Service state", value: service?.step.summary, source: service.map { "\($0.runbook)/\($0.step.id)" }),
            Field(label: "Latest deploy", value: latest.map(Self.deployLine),
                  source: deploySteps.first.map { "\($0.runbook)/\($0.step.id)" }),
            Field(label: "Failed deploys", value: deployEvidence == nil ? nil : (failedDeploys.isEmpty ? "none in the window" : failedDeploys.map(Self.deployLine).joined(separator: "; ")),
                  source: deploySteps.first.map { "\($0.runbook)/\($0.step.id)" }),
            Field(label: "Health check results", value: healthLines.isEmpty ? nil : healthLines.joined(separator: "; "), source: nil),
            facts.errorLogExcerpts,
            Field(label: "Memory and CPU", value: metrics.map { $0.step.summary },
                  source: metrics.map { "\($0.runbook)/\($0.step.id)" }),
        ]
        let repeatedly = deployEvidence?["fails_repeatedly"].map { $0 == .bool(true) }
        let deploys = Criterion(
            text: "Deployment fails repeatedly",
            met: repeatedly,
            evidence: deploySteps.first.map { $0.step.summary } ?? "no Render deploy history in this session (needs RENDER_API_KEY and RENDER_SERVICE_ID and a Render deploys step)")
        let failingHealth = health.filter { $0.step.status == .fail }
        // Render marks a deploy update_failed when the new instance never became healthy: it
        // crashed on start or failed its health check.
        let startFailed = latest?.string("status") == "update_failed"
        let crashes = Criterion(
            text: "API crashes on startup",
            met: startFailed ? true : health.isEmpty ? nil : (failingHealth.isEmpty ? false : nil),
            evidence: startFailed ? "the latest deploy \(latest?.string("id") ?? "") is update_failed: its new instance never became healthy (crash on start or failing health check)"
                : health.isEmpty ? "the health check did not run"
                : failingHealth.isEmpty ? "the health check answered: \(health[0].step.summary)"
                : "the health check fails (\(failingHealth[0].step.summary)); whether it crashes on startup needs the Render deploy logs")
        let metricSteps = facts.steps(kind: "render-metrics")
        let resources = Criterion(
            text: "Memory/CPU spikes beyond expectations",
            met: metricSteps.first.map { $0.step.status == .fail || $0.step.evidence["memory_over_critical"] == .bool(true) },
            evidence: metricSteps.first.map { $0.step.summary } ?? "no Render memory/CPU figures in this session")
        let criteria = [deploys, crashes, resources]
        let escalate = criteria.contains { $0.met == true }
        let verdict: String
        if escalate {
            verdict = "Escalate to Render: " + criteria.filter { $0.met == true }.map(\.text).joined(separator: "; ") + "."
        } else if criteria.allSatisfy({ $0.met == nil }) || !failingHealth.isEmpty {
            verdict = "Cannot tell yet: the session has no Render deploy or resource figures. "
                + (failingHealth.isEmpty ? "" : "The API fails its health check; check the deploy status and logs in the Render dashboard before escalating.")
        } else {
            verdict = "The guide's criteria for escalating to Render are not met."
        }
        return EscalationSummary(
            team: .render, session: record.info.id, windowStart: record.info.startedAt,
            windowEnd: record.endedAt ?? record.lastEventAt, fields: fields, criteria: criteria, verdict: verdict,
            escalate: escalate, findings: facts.findings, ruledOut: facts.ruledOut, notes: facts.notes)
    }

    /// `dep-… build_failed (commit abc1234 "msg") finished 2026-12-02T13:40:00Z`.
    static func deployLine(_ deploy: JSONValue) -> String {
        var text = "\(deploy.string("id") ?? "?") \(deploy.string("status") ?? "?")"
        if let commit = deploy.string("commit") {
            text += " (commit \(commit.prefix(7))" + (deploy.string("message").map { " \"\($0.prefix(60))\"" } ?? "") + ")"
        }
        if let finished = deploy.string("finished_at") ?? deploy.string("created_at") { text += " at \(finished)" }
        return text
    }

    /// The summary as plain text, ready to paste into a support ticket.
    public var text: String {
        var lines: [String] = []
        let name = team == .stripe ? "Stripe" : "Render"
        lines.append("\(name) support summary (doctor session \(session))")
        lines.append("Time window: \(TextRenderer.utc(windowStart)) to \(TextRenderer.utc(windowEnd))")
        lines.append("")
        lines.append("Verdict: \(verdict)")
        lines.append("")
        for field in fields {
            lines.append("\(field.label): \(field.value ?? "unknown")" + (field.source.map { "  [\($0)]" } ?? ""))
        }
        lines.append("")
        lines.append("Escalation criteria (from our operations guide):")
        for criterion in criteria {
            let answer = criterion.met.map { $0 ? "MET" : "not met" } ?? "unknown"
            lines.append("- \(criterion.text): \(answer). \(criterion.evidence)")
        }
        if !findings.isEmpty {
            lines.append("")
            lines.append("Findings:")
            lines += findings.map { "- \($0)" }
        }
        if !ruledOut.isEmpty {
            lines.append("")
            lines.append("Already ruled out:")
            lines += ruledOut.map { "- \($0)" }
        }
        if !actionsTaken.isEmpty {
            lines.append("")
            lines.append("Actions taken:")
            lines += actionsTaken.map { "- \($0)" }
        }
        if !notes.isEmpty {
            lines.append("")
            lines.append("Operator notes:")
            lines += notes.map { "- \($0)" }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
