import Foundation

/// What a support team asks for, and whether the guide's criteria for escalating to it are met.
public struct EscalationSummary: Sendable, Encodable {
    /// One fact support asks for; `unknown` when the session could not establish it.
    public struct Field: Sendable, Encodable {
        /// What it is, e.g. "Webhook endpoint".
        public var label: String
        /// The value, or nil when unknown (never invented).
        public var value: String?
        /// The step it came from (`runbook/step`), if any.
        public var source: String?
    }

    /// One of the guide's "When to Escalate" criteria.
    public struct Criterion: Sendable, Encodable {
        /// The guide's words.
        public var text: String
        /// Whether it is met; nil when the session cannot tell.
        public var met: Bool?
        /// The evidence for the answer.
        public var evidence: String
    }

    /// The team.
    public var team: Escalation
    /// The session it summarises.
    public var session: String
    /// The time window the session covers (UTC).
    public var windowStart: Date
    /// The end of that window.
    public var windowEnd: Date
    /// The facts support asks for.
    public var fields: [Field]
    /// The guide's criteria, each answered.
    public var criteria: [Criterion]
    /// Whether to escalate now, and why, in one or two sentences.
    public var verdict: String
    /// Whether escalating is warranted.
    public var escalate: Bool
    /// Steps that did not pass, one line each.
    public var findings: [String]
    /// What was checked and found fine.
    public var ruledOut: [String]
    /// Operator notes.
    public var notes: [String]
    /// What was already done about it (events resent with `doctor replay --confirm`), one line each.
    public var actionsTaken: [String] = []

    enum CodingKeys: String, CodingKey {
        case team, session, fields, criteria, verdict, escalate, findings, notes
        case actionsTaken = "actions_taken"
        case windowStart = "window_start"
        case windowEnd = "window_end"
        case ruledOut = "ruled_out"
    }
}

/// Reading evidence out of a session, shared by both summaries.
struct SessionFacts {
    let record: SessionRecord

    /// Results of steps of `kind`, with their runbook.
    func steps(kind: String) -> [(runbook: String, step: StepResult)] {
        record.allSteps.filter { $0.step.kind == kind }
    }

    /// The first value of evidence `key` among steps of `kinds`, with where it came from.
    func evidence(_ key: String, kinds: [String]) -> (value: JSONValue, source: String)? {
        for kind in kinds {
            for (runbook, step) in steps(kind: kind) {
                if let value = step.evidence[key], value != .null { return (value, "\(runbook)/\(step.id)") }
            }
        }
        return nil
    }

    /// A field from evidence, `unknown` (nil) when absent.
    func field(_ label: String, _ key: String, kinds: [String]) -> EscalationSummary.Field {
        let found = evidence(key, kinds: kinds)
        return .init(label: label, value: found.map { $0.value.text }, source: found?.source)
    }

    /// Every step that sent a request to the webhook route, with the HTTP status it got.
    var webhookResponses: [(source: String, status: Int)] {
        record.allSteps.compactMap { runbook, step in
            guard step.kind == "webhook-secret" || (step.kind == "http" && (step.evidence["url"]?.text.contains("/api/webhooks/stripe") ?? false)) else {
                return nil
            }
            let status = step.evidence["status"] ?? step.evidence["http_status"] ?? step.evidence["probe_status"]
            guard case let .int(code)? = status else { return nil }
            return ("\(runbook)/\(step.id)", code)
        }
    }

    /// Every Stripe request id recorded.
    var requestIDs: [String] {
        var ids: [String] = []
        for (_, step) in record.allSteps where step.kind.hasPrefix("stripe") {
            for (key, value) in step.evidence.entries where key.contains("request_id") {
                for id in value.text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !ids.contains(id) {
                    ids.append(id)
                }
            }
        }
        return ids
    }

    /// The session's results read as a diagnosis.
    var diagnosis: Diagnosis { Diagnosis(record.report()) }

    /// Each problem once, cause first: "title: summary [step in runbooks]", and what explains it.
    var findings: [String] {
        diagnosis.findings.map { finding in
            "\(finding.status.symbol) \(finding.title): \(finding.summary) [\(finding.steps[0].step) in \(finding.runbooks.joined(separator: ", "))]"
                + (finding.explainedBy.map { " (explained by \($0))" } ?? "")
        }
    }

    /// What passed, one line per area.
    var ruledOut: [String] { diagnosis.ruledOut }

    /// The error-log lines (of patterns that signal trouble), or nil when the session read no log.
    var errorLogExcerpts: EscalationSummary.Field {
        let scans = steps(kind: "log-scan")
        let lines = diagnosis.errorLogExcerpts()
        let value = scans.isEmpty ? nil : lines.isEmpty ? "no error lines in the logs read" : lines.joined(separator: " | ")
        return .init(label: "Error-log excerpts", value: value,
                     source: scans.isEmpty ? nil : scans.map { "\($0.runbook)/\($0.step.id)" }.first)
    }

    var notes: [String] { record.notes.map { "\(TextRenderer.utc($0.time)): \($0.text)" } }
}
