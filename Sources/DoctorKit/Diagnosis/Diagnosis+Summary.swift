import Foundation

extension Diagnosis {
    /// The system a check asks, for grouping what was ruled out.
    public static func area(ofKind kind: String) -> String {
        switch kind {
        case "http", "http-sample": "Service"
        case "env", "redis-ping": "Configuration"
        case _ where kind.hasPrefix("stripe") || kind.hasPrefix("webhook") || kind == "refunds-disputes": "Stripe"
        case _ where kind.hasPrefix("postgres") || kind.hasPrefix("reconciliation") || kind == "prisma-accelerate"
            || kind == "duplicate-processing" || kind == "audit-retention": "Database"
        case _ where kind.hasPrefix("render"): "Render"
        case _ where kind.hasPrefix("sentry"): "Sentry"
        case "log-scan": "Logs"
        default: "Other"
        }
    }

    /// What passed, one line per area: `Stripe: stripe-endpoint (enabled …), stripe-deliveries (8 of 8 …)`.
    public var ruledOut: [String] {
        let order = ["Service", "Configuration", "Stripe", "Database", "Render", "Sentry", "Logs", "Other"]
        let grouped = Dictionary(grouping: passed, by: { Self.area(ofKind: $0.result.kind) })
        return order.compactMap { area in
            guard let entries = grouped[area], !entries.isEmpty else { return nil }
            // A step id once per area: two runbooks' samplers of the same route read as one.
            var seen: Set<String> = []
            let items = entries.filter { seen.insert($0.result.id).inserted }
            return "\(area): " + items.map { "\($0.result.id) (\(Self.clause($0.result.summary)))" }.joined(separator: ", ")
        }
    }

    /// The log lines of patterns that signal trouble (never a success marker), each once.
    public func errorLogExcerpts(limit: Int = 8) -> [String] {
        var lines: [String] = []
        let scans = (findings.map { ($0.kind, $0.evidence) } + passed.map { ($0.result.kind, $0.result.evidence) })
            .filter { $0.0 == "log-scan" }.map(\.1)
        for evidence in scans {
            guard case let .array(examples)? = evidence["examples"],
                  case let .array(trouble)? = evidence[LogScanCheck.Scan.troubleEvidence] else { continue }
            let ids = Set(trouble.map(\.text))
            for example in examples {
                let text = example.text
                guard let close = text.firstIndex(of: "]"), text.hasPrefix("["),
                      ids.contains(String(text[text.index(after: text.startIndex)..<close])),
                      !lines.contains(text), lines.count < limit else { continue }
                lines.append(text)
            }
        }
        return lines
    }

    /// A summary's first clause, short enough for a list.
    static func clause(_ summary: String) -> String {
        let head = summary.components(separatedBy: "; ").first ?? summary
        return head.count > 48 ? String(head.prefix(47)) + "…" : head
    }

}
