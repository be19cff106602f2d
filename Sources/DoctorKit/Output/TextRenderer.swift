import Foundation

/// The human report: a flutter-doctor-like line per step, details under what did not pass, a summary.
public struct TextRenderer: Sendable {
    /// Colour and verbosity.
    public var style: TextStyle

    /// A renderer with the given style.
    public init(style: TextStyle) { self.style = style }

    /// The header: version, target, Stripe mode and configuration notices.
    public func header(_ report: RunReport) -> String {
        var parts = ["doctor \(DoctorVersion.current)"]
        parts.append("target \(report.target ?? "(API_URL not set)")")
        if let mode = report.stripeMode { parts.append("Stripe \(mode) mode") }
        parts.append(Self.utc(report.startedAt))
        var lines = [style.bold(parts.joined(separator: " · "))]
        for notice in report.notices { lines.append(style.paint("note: \(notice)", .warn)) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One runbook's title line.
    public func runbookTitle(_ runbook: RunbookReport) -> String {
        "\n" + style.bold("\(runbook.title)") + style.dim(" (\(runbook.id))")
    }

    /// One step: its line and, when it did not pass (or with --verbose), evidence and hint.
    public func step(_ step: StepResult) -> String {
        let symbol = style.paint("[\(step.status.symbol)]", step.status)
        let duration = step.status == .skip ? "" : style.dim(" (\(Self.duration(step.durationMs)))")
        var lines = ["\(symbol) \(step.title): \(step.summary)\(duration)"]
        let details = style.verbose || (step.status != .pass && step.status != .skip)
        if details {
            for (key, value) in step.evidence.entries {
                lines.append(style.dim("    • \(key): \(Self.flat(value))"))
            }
        }
        if let hint = step.hint {
            lines.append("    " + style.paint("→", step.status) + " \(hint)")
        }
        return lines.joined(separator: "\n")
    }

    /// The whole report at once: the verdict, the findings (each once), what passed (one line per
    /// runbook; every step with `--verbose`), and the closing line.
    public func render(_ report: RunReport) -> String {
        let diagnosis = Diagnosis(report)
        var out = header(report)
        out += "\n" + verdict(diagnosis) + "\n"
        out += findings(diagnosis)
        out += changes(report)
        out += notRun(diagnosis)
        out += passed(report, diagnosis)
        return out + summary(report, diagnosis) + "\n"
    }

    /// What a run ended with, for a face that streamed the steps already: the verdict and the
    /// closing line.
    public func conclusion(_ report: RunReport) -> String {
        let diagnosis = Diagnosis(report)
        var out = "\n" + verdict(diagnosis) + "\n"
        if diagnosis.findings.count > 1 { out += findingIndex(diagnosis) }
        out += changes(report)
        return out + summary(report, diagnosis) + "\n"
    }

    static func flat(_ value: JSONValue) -> String {
        let text = value.text
        return text.count > 240 ? String(text.prefix(240)) + "…" : text
    }

    static func duration(_ ms: Int) -> String {
        ms < 1000 ? "\(ms)ms" : String(format: "%.1fs", Double(ms) / 1000)
    }

    /// `date` as `yyyy-MM-dd HH:mm:ss UTC`.
    public static func utc(_ date: Date) -> String { UTCTime.string(date, .readable) }
}
