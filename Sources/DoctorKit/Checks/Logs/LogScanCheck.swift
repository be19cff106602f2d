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
        var strings: [(bytes: [UInt8], bit: Int)] = []
        for (index, pattern) in patterns.enumerated() {
            strings += pattern.texts.map { (Array($0.utf8), index) }
        }
        strings += LogPattern.ownProbeMarkers.map { (Array($0.utf8), LogScanner.Plan.ownBit) }
        guard let matcher = PatternMatcher(strings) else {
            throw RunbookError(parameters.value("patterns")!.location, "`patterns` hold too much text to search at once")
        }
        return Scan(window: window, patterns: patterns, matcher: matcher, successRate: successRate,
                    reconciliation: reconciliation, warn: warn, fail: fail, timeout: step.timeout ?? defaultTimeout)
    }

    /// The log source the configuration names: `DOCTOR_LOG_FILE`, or why there is none.
    ///
    /// The Render logs API (`GET /v1/logs`, with `RENDER_API_KEY` and `RENDER_SERVICE_ID`) plugs in
    /// here as another `LogSource` once its client exists.
    static func source(_ context: CheckContext, window: Duration) -> Result<any LogSource, SourceMissing> {
        let configuration = context.configuration
        if let path = configuration.value(variable) { return .success(FileLogSource(path: path)) }
        if configuration.value("RENDER_API_KEY") != nil, let service = configuration.value("RENDER_SERVICE_ID"),
           let client = try? RenderClient(configuration: configuration, http: context.http) {
            let now = Date()
            return .success(RenderLogSource(client: client, service: service.trimmingCharacters(in: .whitespaces),
                                            start: now.addingTimeInterval(-window.seconds), end: now))
        }
        return .failure(SourceMissing(
            reason: "no log to scan: \(variable) is not set",
            hint: "Set \(variable) to an exported log (a path, or - for standard input; also --logs PATH|-), or set RENDER_API_KEY and RENDER_SERVICE_ID for the Render logs API."))
    }

    /// Why a step has no log to read, and what to set.
    struct SourceMissing: Error {
        let reason: String
        let hint: String
    }

    /// A configured `log-scan` step.
    struct Scan: Check {
        let window: Duration
        let patterns: [LogPattern]
        let matcher: PatternMatcher
        let successRate: SuccessRate?
        let reconciliation: Reconciliation?
        /// The success-rate bands (percent).
        let warn: Double
        let fail: Double
        let timeout: Duration

        func run(in context: CheckContext) async -> CheckOutcome {
            let source: any LogSource
            switch LogScanCheck.source(context, window: window) {
            case let .success(found): source = found
            case let .failure(missing): return CheckOutcome(.skip, missing.reason, hint: missing.hint)
            }
            let now = Int64(Date().timeIntervalSince1970)
            let since = now - Int64(window.seconds)
            let scanner = LogScanner(
                plan: LogScanner.Plan(matcher: matcher, patternCount: patterns.count, since: since, until: now + LogScanCheck.clockSkew),
                sourceName: source.name)
            do throws(LogScanError) {
                try await source.read(until: context.deadline) { (input) throws(LogScanError) in try scanner.consume(input) }
                try scanner.finish()
            } catch {
                return failure(error, source: source)
            }
            return evaluate(scanner.tally, source: source.name, since: since, until: now,
                            redactor: Redactor(context.configuration))
        }

        private func failure(_ error: LogScanError, source: any LogSource) -> CheckOutcome {
            var evidence = Evidence()
            evidence["source"] = .string(source.name)
            let message = error.errorDescription ?? "cannot read the log"
            switch error {
            case .cancelled: return CheckOutcome(.unknown, "cancelled", evidence: evidence)
            case .deadline: return CheckOutcome(.unknown, message, evidence: evidence, hint: "Export the log to a file first, or raise the step's timeout.")
            case .notJSON, .notRenderLog, .documentTooLarge:
                return CheckOutcome(.unknown, message, evidence: evidence, hint: "Give plain log lines, Render's JSON log objects one per line, or a whole GET /v1/logs response.")
            default:
                return CheckOutcome(.unknown, message, evidence: evidence, hint: "Set \(LogScanCheck.variable) (or --logs) to a readable exported log, or - for standard input.")
            }
        }
    }
}
