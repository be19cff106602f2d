import Foundation

extension ReconciliationJobCheck.Probe {
    /// Judges what the scan found: when the job last completed, whether a later start is
    /// unfinished, and the last figures as the guide reads them.
    func evaluate(_ tally: LogTally, now: Int64, cutOff: Bool, filtered: Bool = false, evidence: Evidence, redactor: Redactor) -> CheckOutcome {
        var evidence = evidence
        let iso = LogScanCheck.Scan.iso
        evidence["within"] = .string(within.window)
        evidence["lookback"] = .string(lookback.window)
        evidence["lines_read"] = .int(tally.linesRead)
        // Filtered server-side (the Render logs API), no line read is no line of the job's.
        guard tally.linesRead > 0 || filtered else {
            return CheckOutcome(.unknown, "the log is empty: nothing to read the reconciliation from", evidence: evidence,
                                hint: "Export the service's logs again (Render → Logs) and point \(LogScanCheck.variable) at the file.")
        }
        let (started, completed, figures) = (tally.patterns[0], tally.patterns[1], tally.patterns[2])
        evidence["counts"] = .object([("started", .int(started.count)), ("completed", .int(completed.count)), ("figures", .int(figures.count))])
        if let time = started.lastTime { evidence["last_started"] = .string(iso(time)) }
        if let time = completed.lastTime { evidence["last_completed"] = .string(iso(time)) }
        if let line = completed.recent.last ?? started.recent.last { evidence["example"] = .string(LogScanCheck.Scan.cut(redactor.redact(line))) }
        let hintStale = "The daily reconciliation (syncs payments from Stripe → your DB, checks status mismatches) has not completed within \(within.window): check that its schedule still runs (the service's cron or scheduler, Render → Logs around its usual time for \"🔄 Starting payment reconciliation...\"), and that the service was running then. Until it runs, payments whose webhooks were missed stay missing (see the `reconciliation` step)."

        guard completed.count > 0 else {
            if cutOff {
                return CheckOutcome(
                    .unknown, "no completed reconciliation in the part of the last \(lookback.window) the Render logs API gave before its rate budget or page bound stopped the read",
                    evidence: evidence, hint: "Run the step again in a minute (the rate budget refills), or export the logs to a file and set \(LogScanCheck.variable).")
            }
            var summary = "stale: no \"\(texts[1])\" in the last \(lookback.window)"
            if started.count > 0, let time = started.lastTime { summary += " (last started \(iso(time)), never completed)" }
            return CheckOutcome(.fail, summary, evidence: evidence, hint: hintStale)
        }
        guard let completedAt = completed.lastTime else {
            evidence["note"] = .string("the completion lines carry no timestamp")
            return CheckOutcome(.unknown, "the reconciliation completed, but its lines carry no time, so when is unknown", evidence: evidence,
                                hint: "Give the log with timestamps (Render's export, or its JSON log objects).")
        }
        let age = max(0, now - completedAt)
        evidence["age"] = .string(Self.hours(age))
        if age > Int64(within.seconds) {
            if cutOff {
                return CheckOutcome(
                    .unknown, "the last completion read is \(Self.hours(age)) old, but the Render logs API gave only the first \(tally.linesRead) lines of the last \(lookback.window): a newer one may be among the rest",
                    evidence: evidence, hint: "Export the logs to a file and set \(LogScanCheck.variable), or shorten `lookback`.")
            }
            return CheckOutcome(.fail, "stale: the last reconciliation completed \(Self.hours(age)) ago (\(iso(completedAt))), over \(within.window)",
                                evidence: evidence, hint: hintStale)
        }

        var status = Status.pass
        var summary = "the daily reconciliation completed \(Self.hours(age)) ago (\(iso(completedAt)))"
        var hints: [String] = []
        if started.lastOrder > completed.lastOrder, let time = started.lastTime {
            status = .warn
            summary += "; a later run started \(iso(time)) has not completed"
            hints.append("The last reconciliation started but did not log its completion: it may have crashed or still be running; read the Render logs after \"🔄 Starting payment reconciliation...\" at \(iso(time)).")
        }
        if let line = figures.recent.last, let (synced, created, updated) = LogScanCheck.Scan.reconciliationFigures(line) {
            let total = synced + created + updated
            let share = total == 0 ? 0 : Double(created + updated) / Double(total) * 100
            var reading: [String] = []
            if created > 0 { reading.append("Created \(created): Stripe had a payment you didn't track (webhook missed it)") }
            if updated > 0 { reading.append("Updated \(updated): status changed in Stripe before webhook arrived") }
            if reading.isEmpty { reading.append("Synced \(synced): everything matched ✅") }
            evidence["figures"] = .object([
                ("synced", .int(synced)), ("created", .int(created)), ("updated", .int(updated)),
                ("discrepancy", .string(String(format: "%.1f%%", share))), ("reading", .string(reading.joined(separator: "; "))),
            ])
            summary += ": Synced \(synced), Created \(created), Updated \(updated)"
            let figureStatus: Status = share > fail ? .fail : share > warn ? .warn : .pass
            if figureStatus != .pass {
                status = Status.worst([status, figureStatus])
                hints.append(reading.joined(separator: "; ") + ". The reconciliation repaired these rows; find why the webhooks did not (Stripe deliveries, \"Database connection error\" in the logs).")
            } else {
                summary += " (everything matched)"
            }
        } else {
            evidence["figures"] = .string("no \"Synced: X, Created: Y, Updated: Z\" line after the completion")
        }
        return CheckOutcome(status, summary, evidence: evidence, hint: hints.isEmpty ? nil : hints.joined(separator: " "))
    }

    /// `5.2h` or `45m`: an age in seconds.
    static func hours(_ seconds: Int64) -> String {
        seconds < 3600 ? "\(seconds / 60)m" : String(format: "%.1fh", Double(seconds) / 3600)
    }
}
