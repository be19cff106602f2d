import Foundation

/// The `reconciliation-job` check kind: the service's daily reconciliation ran, read from its log
/// lines (the guide's Reconciliation Monitoring): "🔄 Starting payment reconciliation...",
/// "✅ Payment reconciliation completed:" and "   Synced: X, Created: Y, Updated: Z".
///
/// A kind of its own rather than a `log-scan` option, because its question is about time ("when
/// did it last complete?") where `log-scan` counts lines; it reuses log-scan's sources (file,
/// standard input, the Render logs API), streaming scanner and figure reading. No completion
/// within `within` (default 26h: a day and a margin for a late run) fails; a start with no
/// completion after it warns; the last figures are read as the guide reads them, their discrepancy
/// (Created + Updated) judged against `thresholds` (default 0% / 5%, the guide's Key Metrics).
public struct ReconciliationJobCheck: CheckKind {
    public static let name = "reconciliation-job"

    static let defaultWithin = Duration.seconds(26 * 3600)
    static let defaultTimeout = Duration.seconds(30)
    /// The guide's three lines, without their emoji (a log export may mangle those).
    static let defaultTexts = (started: "Starting payment reconciliation", completed: "Payment reconciliation completed",
                               figures: "Synced: ")

    public static func make(_ parameters: ParameterReader, step: StepSettings) throws(RunbookError) -> any Check {
        let within = try parameters.duration("within") ?? defaultWithin
        if within < .seconds(3600) || within > LogScanCheck.maxWindow, let value = parameters.value("within") {
            throw RunbookError(value.location, "`within` must be from 1h to 720h, found \(within.window)")
        }
        let lookback = try parameters.duration("lookback") ?? within
        if lookback < within || lookback > LogScanCheck.maxWindow, let value = parameters.value("lookback") {
            throw RunbookError(value.location, "`lookback` must be at least `within` (\(within.window)) and at most 720h, found \(lookback.window)")
        }
        var texts: [String] = []
        for (key, text) in [("started", defaultTexts.started), ("completed", defaultTexts.completed), ("figures", defaultTexts.figures)] {
            let given = try parameters.optionalString(key) ?? text
            if given.isEmpty || given.contains(where: \.isNewline) || given.utf8.count > LogScanCheck.maxTextBytes {
                throw RunbookError(parameters.value(key)!.location, "`\(key)` must be one line of 1 to \(LogScanCheck.maxTextBytes) bytes")
            }
            texts.append(given)
        }
        try parameters.finish(kind: name)
        let warn = try step.percentThreshold(step.warn, name: "warn") ?? 0
        let fail = try step.percentThreshold(step.fail, name: "fail") ?? 5
        if warn > fail, let value = step.warn {
            throw RunbookError(value.location, "thresholds.warn (\(warn)%) is above thresholds.fail (\(fail)%): both are discrepancies above which the step warns or fails")
        }
        return Probe(within: within, lookback: lookback, texts: texts, warn: warn, fail: fail,
                     timeout: step.timeout ?? defaultTimeout)
    }

    /// A configured `reconciliation-job` step.
    struct Probe: Check, LogScanning {
        /// The last completion must lie within this.
        let within: Duration
        /// How far back the log is read.
        let lookback: Duration
        /// Started, completed, figures.
        let texts: [String]
        /// The discrepancy bands (percent).
        let warn: Double
        let fail: Double
        let timeout: Duration

        /// The three lines, over the lookback.
        var request: LogScanRequest { LogScanRequest(patterns: texts.map { [$0] }, window: lookback) }

        func run(in context: CheckContext) async -> CheckOutcome {
            let source: any LogSource
            switch LogScanCheck.source(context, window: lookback, texts: texts) {
            case let .success(found): source = found
            case let .failure(missing): return CheckOutcome(.skip, missing.reason, hint: missing.hint)
            }
            var evidence = Evidence()
            evidence["source"] = .string(source.name)
            let scanned: LogScanResult
            switch await LogScanCheck.scan(request, source: source, in: context, timeout: timeout) {
            case let .success(result): scanned = result
            case let .failure(error):
                if case .cancelled = error { return CheckOutcome(.unknown, "cancelled", evidence: evidence) }
                return CheckOutcome(.unknown, error.errorDescription ?? "cannot read the log", evidence: evidence,
                                    hint: "Set \(LogScanCheck.variable) (or --logs) to a readable exported log, or raise the step's timeout.")
            }
            scanned.coverage.map { evidence["read"] = .string($0.description) }
            scanned.apiRead.map { evidence["read"] = .string($0.description) }
            // A read of the Render logs API the budget cut short lacks part of the window, so
            // finding no recent completion in it proves nothing.
            let cutOff = scanned.apiRead.map { !$0.complete } ?? false
            return evaluate(scanned.tally, now: scanned.until, cutOff: cutOff, filtered: scanned.apiRead != nil, evidence: evidence,
                            redactor: Redactor(context.configuration))
        }
    }
}
