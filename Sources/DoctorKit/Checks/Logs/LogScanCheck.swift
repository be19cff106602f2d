import Foundation

/// The `log-scan` check kind: counts the guide's log lines ("Unhandled event type", "Database
/// connection error", 429s, …) over a time window, with per-pattern thresholds, the webhook success
/// ratio and the last reconciliation's figures.
///
/// Which lines to count and what each means live in the runbook (`patterns:`), not here. The log
/// comes from `DOCTOR_LOG_FILE` (`--logs`): a path, or `-` for standard input; plain lines or
/// Render's JSON. Without one the step is skipped with what to set.
public struct LogScanCheck: CheckKind {
    public static let name = "log-scan"

    /// At most this many patterns per step (one bit each, one bit for the doctor's own lines).
    static let maxPatterns = PatternMatcher.maxBits - 1
    static let maxTextBytes = 256
    static let defaultWindow = Duration.seconds(24 * 3600)
    static let maxWindow = Duration.seconds(30 * 24 * 3600)
    static let defaultTimeout = Duration.seconds(30)
    /// Lines stamped up to this far in the future still count: the log's clock and ours may differ.
    static let clockSkew: Int64 = 300
    /// The variable naming the log.
    static let variable = "DOCTOR_LOG_FILE"

    /// The webhook success ratio: lines of `succeeded` against lines of `started` (pattern indices).
    struct SuccessRate: Sendable {
        let succeeded: Int
        let started: Int
        /// Fewer started lines than this are shown but not judged.
        let minimum: Int
    }

    /// Which patterns carry the daily reconciliation, and the discrepancy bands (percent).
    struct Reconciliation: Sendable {
        /// The pattern of the "Synced: X, Created: Y, Updated: Z" line.
        let figures: Int
        let started: Int?
        let completed: Int?
        let warn: Double
        let fail: Double
    }

    public static func make(_ parameters: ParameterReader, step: StepSettings) throws(RunbookError) -> any Check {
        let window = try parameters.duration("window") ?? defaultWindow
        if window <= .zero || window > maxWindow {
            throw RunbookError(parameters.value("window")!.location, "`window` must be more than 0 and at most 720h, found \(window.short)")
        }
        let patterns = try readPatterns(parameters)
        let successRate = try readSuccessRate(parameters, patterns: patterns)
        let reconciliation = try readReconciliation(parameters, patterns: patterns)
        try parameters.finish(kind: name)
        if successRate == nil, let value = step.warn ?? step.fail {
            throw RunbookError(value.location, "`log-scan` thresholds are the success-rate bands: set `success_rate` in `with`, or put counts on each pattern (`warn`, `fail`)")
        }
        let warn = try step.percentThreshold(step.warn, name: "warn") ?? 99
        let fail = try step.percentThreshold(step.fail, name: "fail") ?? 95
        if fail > warn, let value = step.fail {
            throw RunbookError(value.location, "thresholds.fail (\(fail)%) must not be above thresholds.warn (\(warn)%): both are success rates below which the step warns or fails")
        }
        let request = LogScanRequest(patterns: patterns.map(\.texts), window: window,
                                     trouble: patterns.map { $0.warn != nil || $0.fail != nil })
        guard LogScanPlan([request], now: 0, skew: 0) != nil else {
            throw RunbookError(parameters.value("patterns")!.location, "`patterns` hold too much text to search at once (at most \(LogScanPlan.maxTexts) distinct texts)")
        }
        return Scan(window: window, patterns: patterns, request: request, successRate: successRate,
                    reconciliation: reconciliation, warn: warn, fail: fail, timeout: step.timeout ?? defaultTimeout)
    }

    /// A configured `log-scan` step.
    struct Scan: Check, LogScanning {
        let window: Duration
        let patterns: [LogPattern]
        /// What the step asks of the run's log pass.
        let request: LogScanRequest
        let successRate: SuccessRate?
        let reconciliation: Reconciliation?
        /// The success-rate bands (percent).
        let warn: Double
        let fail: Double
        let timeout: Duration

        func run(in context: CheckContext) async -> CheckOutcome {
            let source: any LogSource
            switch LogScanCheck.source(context, window: window, texts: patterns.flatMap(\.texts)) {
            case let .success(found): source = found
            case let .failure(missing): return CheckOutcome(.skip, missing.reason, hint: missing.hint)
            }
            switch await LogScanCheck.scan(request, source: source, in: context, timeout: timeout) {
            case let .success(result):
                return evaluate(result, source: source.name, redactor: Redactor(context.configuration))
            case let .failure(error):
                return failure(error, source: source)
            }
        }

        private func failure(_ error: LogScanError, source: any LogSource) -> CheckOutcome {
            var evidence = Evidence()
            evidence["source"] = .string(source.name)
            let message = error.errorDescription ?? "cannot read the log"
            switch error {
            case .cancelled: return CheckOutcome(.unknown, "cancelled", evidence: evidence)
            case .deadline: return CheckOutcome(.unknown, message, evidence: evidence, hint: "Export the log to a file first, or raise the step's timeout.")
            case .noLinesInWindow: return CheckOutcome(.unknown, message, evidence: evidence, hint: "Export the service's logs of the window (Render → Logs) and point \(LogScanCheck.variable) at the file.")
            case .unfinished: return CheckOutcome(.unknown, message, evidence: evidence, hint: "Raise the step's `timeout` in its runbook, or give a shorter export (the window's days only).")
            case .notJSON, .notRenderLog, .documentTooLarge:
                return CheckOutcome(.unknown, message, evidence: evidence, hint: "Give plain log lines, Render's JSON log objects one per line, or a whole GET /v1/logs response.")
            default:
                return CheckOutcome(.unknown, message, evidence: evidence, hint: "Set \(LogScanCheck.variable) (or --logs) to a readable exported log, or - for standard input.")
            }
        }
    }
}
