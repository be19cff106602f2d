import Foundation

/// A node_exporter textfile: step status and duration gauges labelled by runbook and step, and the
/// time of the last run, so a schedule that stopped running is itself alertable.
public enum PrometheusRenderer {
    /// The report in the Prometheus text exposition format.
    public static func render(_ report: RunReport) -> String {
        var out = ""
        out += "# HELP doctor_step_status Status of a doctor step: 1 for the status it ended with, 0 for the others.\n"
        out += "# TYPE doctor_step_status gauge\n"
        for (runbook, step) in report.allSteps {
            for status in Status.allCases {
                out += "doctor_step_status{runbook=\"\(label(runbook))\",step=\"\(label(step.id))\",status=\"\(status.rawValue)\"} \(step.status == status ? 1 : 0)\n"
            }
        }
        out += "# HELP doctor_step_duration_seconds How long a doctor step took.\n"
        out += "# TYPE doctor_step_duration_seconds gauge\n"
        for (runbook, step) in report.allSteps {
            out += "doctor_step_duration_seconds{runbook=\"\(label(runbook))\",step=\"\(label(step.id))\"} \(number(Double(step.durationMs) / 1000))\n"
        }
        out += "# HELP doctor_runbook_status Worst status of a runbook: 0 pass, 1 warn, 2 fail, 3 unknown, 4 skipped.\n"
        out += "# TYPE doctor_runbook_status gauge\n"
        for runbook in report.runbooks {
            out += "doctor_runbook_status{runbook=\"\(label(runbook.id))\"} \(code(runbook.status))\n"
        }
        out += "# HELP doctor_exit_code Exit code of the last doctor run (0 ok, 1 warning, 2 failure, 3 unknown).\n"
        out += "# TYPE doctor_exit_code gauge\n"
        out += "doctor_exit_code \(report.exitCode)\n"
        out += "# HELP doctor_run_duration_seconds Wall-clock time of the last doctor run.\n"
        out += "# TYPE doctor_run_duration_seconds gauge\n"
        out += "doctor_run_duration_seconds \(number(Double(report.durationMs) / 1000))\n"
        out += "# HELP doctor_last_run_timestamp_seconds When the last doctor run finished, in Unix seconds.\n"
        out += "# TYPE doctor_last_run_timestamp_seconds gauge\n"
        out += "doctor_last_run_timestamp_seconds \(number(report.finishedAt.timeIntervalSince1970))\n"
        return out
    }

    static func code(_ status: Status) -> Int {
        switch status {
        case .pass: 0
        case .warn: 1
        case .fail: 2
        case .unknown: 3
        case .skip: 4
        }
    }

    static func number(_ value: Double) -> String { String(format: "%.3f", value) }

    /// Escapes a label value as the exposition format requires.
    static func label(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
