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
        let strings = texts.enumerated().map { (Array($0.element.utf8), $0.offset) }
            + LogPattern.ownProbeMarkers.map { (Array($0.utf8), LogScanner.Plan.ownBit) }
        // Three short lines always fit the automaton; nil would mean a bug, reported where it is.
        guard let matcher = PatternMatcher(strings) else {
            throw RunbookError(step.location, "the reconciliation lines cannot be searched at once")
        }
        return Probe(within: within, lookback: lookback, texts: texts, matcher: matcher, warn: warn, fail: fail,
                     timeout: step.timeout ?? defaultTimeout)
    }

    /// A configured `reconciliation-job` step.
    struct Probe: Check {
        /// The last completion must lie within this.
        let within: Duration
        /// How far back the log is read.
        let lookback: Duration
        /// Started, completed, figures.
        let texts: [String]
        let matcher: PatternMatcher
        /// The discrepancy bands (percent).
        let warn: Double
        let fail: Double
        let timeout: Duration

        func run(in context: CheckContext) async -> CheckOutcome {
            let source: any LogSource
            switch LogScanCheck.source(context, window: lookback) {
            case let .success(found): source = found
            case let .failure(missing): return CheckOutcome(.skip, missing.reason, hint: missing.hint)
            }
            let now = Int64(Date().timeIntervalSince1970)
            let scanner = LogScanner(
                plan: LogScanner.Plan(matcher: matcher, patternCount: texts.count, since: now - Int64(lookback.seconds),
                                      until: now + LogScanCheck.clockSkew),
                sourceName: source.name)
            var evidence = Evidence()
            evidence["source"] = .string(source.name)
            do throws(LogScanError) {
                try await source.read(until: context.deadline) { (input) throws(LogScanError) in try scanner.consume(input) }
                try scanner.finish()
            } catch {
                if case .cancelled = error { return CheckOutcome(.unknown, "cancelled", evidence: evidence) }
                return CheckOutcome(.unknown, error.errorDescription ?? "cannot read the log", evidence: evidence,
                                    hint: "Set \(LogScanCheck.variable) (or --logs) to a readable exported log, or raise the step's timeout.")
            }
            // The Render logs API is read up to a page bound: a cut-off read lacks part of the window,
            // so finding no recent completion in it proves nothing.
            var cutOff = false
            if let render = source as? RenderLogSource, scanner.tally.linesRead >= render.maxPages * 100 { cutOff = true }
            return evaluate(scanner.tally, now: now, cutOff: cutOff, evidence: evidence, redactor: Redactor(context.configuration))
        }
    }
}
