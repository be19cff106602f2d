import Foundation

/// JUnit XML for CI dashboards: one test suite per runbook, one test case per step.
///
/// `fail` is a `<failure>`, `unknown` an `<error>` (the doctor could not evaluate it), `skip` a
/// `<skipped>`; a warning passes with its summary in `<system-out>`, as dashboards have no
/// warning state.
public enum JUnitRenderer {
    /// The report as a JUnit XML document.
    public static func render(_ report: RunReport) -> String {
        let steps = report.allSteps.map(\.step)
        var xml = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        xml += "<testsuites name=\"doctor\" tests=\"\(steps.count)\" failures=\"\(count(steps, .fail))\" errors=\"\(count(steps, .unknown))\" skipped=\"\(count(steps, .skip))\" time=\"\(seconds(report.durationMs))\" timestamp=\"\(timestamp(report.startedAt))\">\n"
        for runbook in report.runbooks {
            let total = runbook.steps.reduce(0) { $0 + $1.durationMs }
            xml += "  <testsuite name=\"\(escape(runbook.id))\" tests=\"\(runbook.steps.count)\" failures=\"\(count(runbook.steps, .fail))\" errors=\"\(count(runbook.steps, .unknown))\" skipped=\"\(count(runbook.steps, .skip))\" time=\"\(seconds(total))\" timestamp=\"\(timestamp(report.startedAt))\">\n"
            for step in runbook.steps {
                xml += "    <testcase classname=\"doctor.\(escape(runbook.id))\" name=\"\(escape(step.id)): \(escape(step.title))\" time=\"\(seconds(step.durationMs))\""
                let detail = details(step)
                switch step.status {
                case .pass:
                    xml += "/>\n"
                case .warn:
                    xml += ">\n      <system-out>\(escape("warning: " + step.summary + "\n" + detail))</system-out>\n    </testcase>\n"
                case .fail:
                    xml += ">\n      <failure message=\"\(escape(step.summary))\" type=\"fail\">\(escape(detail))</failure>\n    </testcase>\n"
                case .unknown:
                    xml += ">\n      <error message=\"\(escape(step.summary))\" type=\"unknown\">\(escape(detail))</error>\n    </testcase>\n"
                case .skip:
                    xml += ">\n      <skipped message=\"\(escape(step.summary))\"/>\n    </testcase>\n"
                }
            }
            xml += "  </testsuite>\n"
        }
        return xml + "</testsuites>\n"
    }

    static func details(_ step: StepResult) -> String {
        var lines = step.evidence.entries.map { "\($0.key): \($0.value.text)" }
        if let hint = step.hint { lines.append("hint: \(hint)") }
        return lines.joined(separator: "\n")
    }

    static func count(_ steps: [StepResult], _ status: Status) -> Int { steps.filter { $0.status == status }.count }

    static func seconds(_ ms: Int) -> String { String(format: "%.3f", Double(ms) / 1000) }

    static func timestamp(_ date: Date) -> String {
        String(UTCTime.string(date, .iso8601).dropLast())  // JUnit's schema wants no zone designator
    }

    /// XML-escapes text, dropping characters XML 1.0 forbids.
    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value >= 0x20 && !(0xFFFE...0xFFFF).contains(scalar.value) { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }
}
