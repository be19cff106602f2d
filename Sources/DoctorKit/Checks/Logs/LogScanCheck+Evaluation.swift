import Foundation

extension LogScanCheck.Scan {
    /// How many example lines the evidence shows at most, over all patterns.
    static let maxExamples = 10
    /// The evidence key naming the patterns among `examples` that signal trouble (they have a threshold).
    static let troubleEvidence = "trouble_patterns"
    /// Example lines are cut to this many characters, after redaction.
    static let exampleLength = 300

    /// `24h`, `90m` or `45s`: the window as an operator writes it.
    var windowText: String {
        let seconds = Int(window.seconds)
        if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }

    /// Judges what a scan counted: per-pattern thresholds, the success ratio, the last reconciliation.
    func evaluate(_ scanned: LogScanResult, source: String, redactor: Redactor) -> CheckOutcome {
        let tally = scanned.tally
        var evidence = Evidence()
        evidence["source"] = .string(source)
        evidence["format"] = .string(tally.format.rawValue)
        evidence["window"] = .string(windowText)
        evidence["since"] = .string(Self.iso(scanned.since))
        evidence["until"] = .string(Self.iso(scanned.until))
        evidence["lines_read"] = .int(tally.linesRead)
        if let coverage = scanned.coverage { evidence["read"] = .string(coverage.description) }
        if let read = scanned.apiRead { evidence["read"] = .string(read.description) }
        // Filtered server-side, the lines read are the matching ones: none is a clean window.
        guard tally.linesRead > 0 || scanned.apiRead != nil else {
            return CheckOutcome(.unknown, "the log \(source) is empty: nothing to scan", evidence: evidence,
                                hint: "Export the service's logs again (Render → Logs) and point \(LogScanCheck.variable) at the file.")
        }
        evidence["counts"] = .object(zip(patterns, tally.patterns).map { ($0.id, .int($1.count)) })
        let lastSeen = zip(patterns, tally.patterns).compactMap { pattern, counted in
            counted.lastTime.map { (pattern.id, JSONValue.string(Self.iso($0))) }
        }
        if !lastSeen.isEmpty { evidence["last_seen"] = .object(lastSeen) }
        evidence["matching_lines_outside_window"] = .int(tally.outsideWindow)
        evidence["own_probe_lines"] = .int(tally.ownProbeLines)
        if tally.withoutTimestamp > 0 {
            evidence["matching_lines_without_timestamp"] = .int(tally.withoutTimestamp)
            evidence["note"] = .string("\(tally.withoutTimestamp) matching line\(tally.withoutTimestamp == 1 ? "" : "s") had no leading timestamp and \(tally.withoutTimestamp == 1 ? "was" : "were") counted as inside the window")
        }

        // Patterns seen, worst first, then the most frequent.
        let seen = patterns.indices.filter { tally.patterns[$0].count > 0 }.sorted { a, b in
            let (sa, sb) = (patterns[a].status(for: tally.patterns[a].count), patterns[b].status(for: tally.patterns[b].count))
            if sa.severity != sb.severity { return sa.severity > sb.severity }
            return tally.patterns[a].count > tally.patterns[b].count
        }
        var status = Status.worst(seen.map { patterns[$0].status(for: tally.patterns[$0].count) } + [.pass])
        // Counted-only patterns ("Payment record created") explain nothing that went wrong.
        var hints: [String] = seen.filter { patterns[$0].warn != nil || patterns[$0].fail != nil }.map { index in
            "\(patterns[index].label) ×\(tally.patterns[index].count): \(patterns[index].meaning)"
        }
        var summary = seen.isEmpty
            ? "none of the \(patterns.count) patterns"
            : seen.prefix(4).map { "\(tally.patterns[$0].count)× \(patterns[$0].label)" }.joined(separator: ", ")
                + (seen.count > 4 ? " and \(seen.count - 4) more" : "")
        summary += scanned.apiRead == nil ? " in \(tally.linesRead) lines (last \(windowText))" : " in the whole last \(windowText) (Render's filters: \(tally.linesRead) candidate lines)"

        if let successRate {
            let judged = judgeSuccess(successRate, tally: tally, evidence: &evidence)
            if let text = judged.summary { summary += "; \(text)" }
            status = Status.worst([status, judged.status])
            if let hint = judged.hint { hints.insert(hint, at: 0) }
        }
        if let reconciliation {
            let judged = judgeReconciliation(reconciliation, tally: tally, evidence: &evidence)
            if let text = judged.summary { summary += "; \(text)" }
            status = Status.worst([status, judged.status])
            if let hint = judged.hint { hints.append(hint) }
        }
        if tally.outsideWindow > 0 {
            summary += " (\(tally.outsideWindow) matching line\(tally.outsideWindow == 1 ? "" : "s") outside the window left out)"
        }

        if let read = scanned.apiRead, !read.complete {
            summary += " (not all read: counts of " + read.cut.map { "\"\($0)\"" }.joined(separator: ", ") + " are at least these)"
            // A clean result over part of the window proves nothing about the rest.
            if status == .pass { status = .unknown }
        }
        var examples: [JSONValue] = []
        for index in seen {
            for line in tally.patterns[index].recent.suffix(LogTally.examplesPerPattern) where examples.count < Self.maxExamples {
                examples.append(.string("[\(patterns[index].id)] " + Self.cut(redactor.redact(line))))
            }
        }
        if !examples.isEmpty {
            evidence["examples"] = .array(examples)
            // Which of them signal trouble (a pattern with a threshold), so a summary for support
            // can quote the error lines and leave out the success markers.
            let trouble = seen.filter { patterns[$0].warn != nil || patterns[$0].fail != nil }.map { JSONValue.string(patterns[$0].id) }
            if !trouble.isEmpty { evidence[Self.troubleEvidence] = .array(trouble) }
        }
        return CheckOutcome(status, summary, evidence: evidence, hint: status == .pass ? nil : hints.joined(separator: " "))
    }

    private struct Judgement {
        var status = Status.pass
        var summary: String?
        var hint: String?
    }

    /// The guide's webhook success rate: "Payment record created" per "Processing successful payment".
    private func judgeSuccess(_ rate: LogScanCheck.SuccessRate, tally: LogTally, evidence: inout Evidence) -> Judgement {
        let succeeded = tally.patterns[rate.succeeded].count
        let started = tally.patterns[rate.started].count
        guard started > 0 else { return Judgement() }
        let percent = min(100, Double(succeeded) / Double(started) * 100)
        let figure = String(format: "%.1f%%", percent)
        let counts = "\(succeeded) \(patterns[rate.succeeded].id) of \(started) \(patterns[rate.started].id)"
        guard started >= rate.minimum else {
            evidence["success_rate"] = .string("\(figure) (\(counts)): not judged, fewer than \(rate.minimum) started")
            return Judgement()
        }
        evidence["success_rate"] = .string("\(figure) (\(counts))")
        var judgement = Judgement(summary: "webhook success \(figure) (\(succeeded)/\(started))")
        if percent < fail {
            judgement.status = .fail
        } else if percent <= warn {
            judgement.status = .warn
        } else {
            return judgement
        }
        judgement.hint = "Only \(figure) of the payments started (\"\(patterns[rate.started].texts[0])\") reached \"\(patterns[rate.succeeded].texts[0])\": the guide's webhook success rate is healthy above \(Self.number(warn))%, critical below \(Self.number(fail))%."
        return judgement
    }

    /// The last "Synced: X, Created: Y, Updated: Z" line, read as the guide reads it.
    private func judgeReconciliation(_ plan: LogScanCheck.Reconciliation, tally: LogTally, evidence: inout Evidence) -> Judgement {
        var judgement = Judgement()
        var details: [(String, JSONValue)] = []
        if let started = plan.started {
            let start = tally.patterns[started]
            let done = plan.completed.map { tally.patterns[$0] }
            if let time = start.lastTime { details.append(("last_started", .string(Self.iso(time)))) }
            if let done, let time = done.lastTime { details.append(("last_completed", .string(Self.iso(time)))) }
            if let done, start.count > 0, done.lastOrder < start.lastOrder {
                details.append(("unfinished", .string("the last \"\(patterns[started].texts[0])\" has no \"\(patterns[plan.completed!].texts[0])\" after it")))
                judgement.status = .warn
                judgement.summary = "the last reconciliation did not complete"
                judgement.hint = "The last reconciliation started but did not log its completion: it may have crashed or still be running; read the Render logs after \"\(patterns[started].texts[0])\"."
            }
        }
        let figures = tally.patterns[plan.figures]
        if let line = figures.recent.last {
            if let (synced, created, updated) = Self.reconciliationFigures(line) {
                let total = synced + created + updated
                let share = total == 0 ? 0 : Double(created + updated) / Double(total) * 100
                details += [("synced", .int(synced)), ("created", .int(created)), ("updated", .int(updated)),
                            ("discrepancy", .string(String(format: "%.1f%%", share)))]
                if let time = figures.lastTime { details.append(("at", .string(Self.iso(time)))) }
                var reading: [String] = []
                if created > 0 { reading.append("Created \(created): Stripe had a payment you didn't track (webhook missed it)") }
                if updated > 0 { reading.append("Updated \(updated): status changed in Stripe before webhook arrived") }
                if reading.isEmpty { reading.append("Synced \(synced): everything matched") }
                details.append(("reading", .string(reading.joined(separator: "; "))))
                let text = "last reconciliation Synced \(synced), Created \(created), Updated \(updated)"
                judgement.summary = judgement.summary.map { "\($0); \(text)" } ?? text
                let figureStatus: Status = share > plan.fail ? .fail : share > plan.warn ? .warn : .pass
                if figureStatus != .pass {
                    judgement.status = Status.worst([judgement.status, figureStatus])
                    let hint = reading.joined(separator: "; ") + ". The reconciliation repaired these rows; find why the webhooks did not (Stripe deliveries, \"Database connection error\" in the logs)."
                    judgement.hint = judgement.hint.map { "\($0) \(hint)" } ?? hint
                }
            } else {
                details.append(("figures", .string("the last matching line holds no \"Synced: X, Created: Y, Updated: Z\"")))
            }
        }
        if !details.isEmpty { evidence["reconciliation"] = .object(details) }
        return judgement
    }

    /// Synced, Created and Updated from a line such as `   Synced: 120, Created: 2, Updated: 0`.
    static func reconciliationFigures(_ line: String) -> (Int, Int, Int)? {
        guard let match = line.firstMatch(of: /Synced:\s*(\d+)\D+?Created:\s*(\d+)\D+?Updated:\s*(\d+)/),
              let synced = Int(match.1), let created = Int(match.2), let updated = Int(match.3)
        else { return nil }
        return (synced, created, updated)
    }

    static func iso(_ seconds: Int64) -> String {
        UTCTime.string(Date(timeIntervalSince1970: TimeInterval(seconds)), .iso8601)
    }

    static func cut(_ line: String) -> String {
        line.count > exampleLength ? String(line.prefix(exampleLength)) + "…" : line
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
