import Foundation

/// How `sentry-errors` reads its figures: a rate against the guide's bands when there is a request
/// count to divide by, else the recent errors per minute against the baseline's; the top issues
/// with the guide's meaning of its common errors.
struct SentryErrorsVerdict: Sendable {
    let settings: SentryErrorsCheck.Settings

    /// What the APIs gave.
    struct Figures: Sendable {
        /// Events Sentry received over `recent`.
        var recentErrors: Int
        /// Events Sentry received over `baseline` (the recent ones included).
        var baselineErrors: Int
        /// The service's requests over `recent`, when they could be counted.
        var requests: SentryRequestCount?
        /// The unresolved issues with events in the period, as Sentry listed them.
        var issues: SentryIssueList
    }

    /// The guide's "Common errors to watch for", plus the log line its other sections name, with
    /// what each means (Error Tracking → Monitor Errors; Stripe Dashboard → typical failure patterns).
    static let commonErrors: [(text: String, meaning: String)] = [
        ("Missing Stripe signature", "Webhook misconfigured: requests reach /api/webhooks/stripe without a Stripe-Signature header (not from Stripe, or a proxy strips it)."),
        ("DATABASE_URL invalid", "Connection string issue: fix DATABASE_URL in Render → Environment (percent-encode special characters in the password) and redeploy."),
        ("Invalid time value", "Timestamp conversion error: a Stripe time (seconds since 1970) was turned into a Date wrongly, so the row was not written."),
        ("Rate limit exceeded", "Too many API calls: resolve by optimizing (cache with Redis, back off exponentially, paginate bulk Stripe calls)."),
        ("Database connection error", "Database connection issues, the guide's cause of random webhook failures: check DATABASE_URL and the Prisma Accelerate connection status."),
    ]

    /// The meaning of the first common error `title` contains, if any.
    static func meaning(of title: String) -> (text: String, meaning: String)? {
        commonErrors.first { title.range(of: $0.text, options: .caseInsensitive) != nil }
    }

    func judge(_ figures: Figures, evidence: inout Evidence) -> CheckOutcome {
        let recentSpan = settings.recent.window, baselineSpan = settings.baseline.window
        let recentMinutes = settings.recent.seconds / 60
        let restMinutes = (settings.baseline.seconds - settings.recent.seconds) / 60
        let perMinute = Double(figures.recentErrors) / recentMinutes
        // The baseline leaves the recent minutes out, so a spike does not raise its own yardstick.
        let basePerMinute = Double(max(0, figures.baselineErrors - figures.recentErrors)) / restMinutes
        evidence["counted"] = .string("error events Sentry received (stats, stat=received)")
        evidence["errors_\(recentSpan)"] = .int(figures.recentErrors)
        evidence["errors_\(baselineSpan)"] = .int(figures.baselineErrors)
        evidence["per_minute_\(recentSpan)"] = .double(Self.round(perMinute))
        evidence["per_minute_baseline"] = .double(Self.round(basePerMinute))
        let multiple: Double? = basePerMinute > 0 ? perMinute / basePerMinute : nil
        if let multiple { evidence["multiple_of_baseline"] = .double(Self.round(multiple)) }

        let period = settings.issuePeriod
        let listed = Array(figures.issues.issues.prefix(settings.show))
        evidence["unresolved_issues"] = .int(figures.issues.issues.count)
        if figures.issues.truncated {
            evidence["unresolved_issues_more"] = .string("more than \(figures.issues.issues.count): the doctor reads at most \(figures.issues.pages) pages")
        }
        if !listed.isEmpty {
            evidence["issue_counts"] = .string("events_\(period): the issue's stats[\"\(period)\"] series; events_all: its lifetime count")
            evidence["top_issues"] = .array(listed.map { Self.evidence($0, period: period) })
        }
        let common = listed.compactMap { issue in Self.meaning(of: issue.title).map { (issue, $0) } }

        var status = Status.pass
        var judged: String
        if let count = figures.requests?.count, count >= settings.minRequests {
            let rate = Double(figures.recentErrors) / Double(count) * 100
            evidence["requests_\(recentSpan)"] = .int(count)
            evidence["rate_percent"] = .double(Self.round(rate))
            evidence["rate_over"] = .string(figures.requests!.note)
            status = rate > settings.rateFail ? .fail : rate >= settings.rateWarn ? .warn : .pass
            judged = "\(figures.recentErrors) error\(figures.recentErrors == 1 ? "" : "s") in the last \(recentSpan) over \(count) requests: "
                + "an error rate of \(Self.percent(rate))"
                + (status == .pass ? "" : " (the guide: \(status == .fail ? "over \(Self.percent(settings.rateFail)) is critical" : "\(Self.percent(settings.rateWarn))–\(Self.percent(settings.rateFail)) is a warning"))")
        } else {
            let why = figures.requests.map { request in
                request.count.map { "only \($0) requests in the last \(recentSpan), under min_requests \(settings.minRequests)" } ?? request.note
            } ?? "no request count asked for (requests: none)"
            evidence["rate"] = .string("not judged: \(why); the recent errors are judged against the \(baselineSpan) baseline instead")
            let pace = "\(figures.recentErrors) error\(figures.recentErrors == 1 ? "" : "s") in the last \(recentSpan) (\(Self.number(perMinute))/min)"
            if figures.recentErrors >= settings.minErrors, multiple.map({ $0 >= settings.spikeWarn }) ?? true {
                let fold = multiple ?? .infinity
                status = fold >= settings.spikeFail ? .fail : .warn
                judged = pace + (multiple.map { ", \(Self.number($0))× the \(baselineSpan) baseline of \(Self.number(basePerMinute))/min" }
                    ?? " where the \(baselineSpan) before had none")
                    + ": an error spike (no request count, so no rate)"
            } else {
                judged = pace + ", \(baselineSpan) baseline \(Self.number(basePerMinute))/min: no spike"
            }
        }
        var summary = judged
        if let top = listed.first {
            summary += "; top unresolved: \(top.shortID ?? top.id) \"\(Self.clipped(top.title))\""
                + (Self.counts(top, period: period).map { ": \($0)" } ?? "")
        } else {
            summary += "; no unresolved issues with events in the last \(Self.spoken(period))"
        }
        guard status != .pass else { return CheckOutcome(.pass, summary, evidence: evidence) }
        var hint = "Open the project's issue stream in Sentry for the last \(recentSpan) and fix the top issue first (the guide's alert: error rate > 5% in 5 minutes, notify the team immediately); look for retry timing in the error patterns."
        for (issue, entry) in common {
            hint += " \(issue.shortID ?? issue.id) \"\(entry.text)\": \(entry.meaning)"
        }
        return CheckOutcome(status, summary, evidence: evidence, hint: hint)
    }

    /// An issue's two counts in words: "12 events in the last 24 h (340 in all)". The period's
    /// figure comes from its stats series, the other from its lifetime count, so neither is
    /// passed off as the other.
    static func counts(_ issue: SentryIssue, period: String) -> String? {
        let all = issue.lifetimeCount
        guard let recent = issue.count(in: period) else {
            return all.map { "\($0) event\($0 == 1 ? "" : "s") in all" }
        }
        return "\(recent) event\(recent == 1 ? "" : "s") in the last \(spoken(period))" + (all.map { " (\($0) in all)" } ?? "")
    }

    /// `24h` as the words say it, `24 h`.
    static func spoken(_ period: String) -> String {
        guard let unit = period.last, unit.isLetter else { return period }
        return period.dropLast() + " " + String(unit)
    }

    /// One issue in the evidence: ids, title, both counts, last seen, and the guide's meaning when it has one.
    static func evidence(_ issue: SentryIssue, period: String) -> JSONValue {
        var members: [(String, JSONValue)] = [("id", .string(issue.id))]
        if let short = issue.shortID { members.append(("short_id", .string(short))) }
        members.append(("title", .string(clipped(issue.title))))
        if let recent = issue.count(in: period) { members.append(("events_\(period)", .int(recent))) }
        if let all = issue.lifetimeCount { members.append(("events_all", .int(all))) }
        if let seen = issue.lastSeen { members.append(("last_seen", .string(seen))) }
        if let level = issue.level { members.append(("level", .string(level))) }
        if let entry = meaning(of: issue.title) { members.append(("meaning", .string(entry.meaning))) }
        return .object(members)
    }

    /// An issue title on one line, cut to a readable length; titles carry error messages, which may
    /// hold a connection string, so it is redacted before it is cut (half a secret is not recognised).
    static func clipped(_ title: String) -> String {
        let flat = Redactor.redactPatternsOnly(title).split(whereSeparator: \.isNewline).joined(separator: " ")
        return flat.count > 120 ? String(flat.prefix(120)) + "…" : flat
    }

    static func round(_ value: Double) -> Double { (value * 100).rounded() / 100 }

    static func number(_ value: Double) -> String {
        value >= 100 ? String(format: "%.0f", value) : value >= 10 ? String(format: "%.1f", value) : String(format: "%.2f", value)
    }

    static func percent(_ value: Double) -> String {
        value == value.rounded() ? String(format: "%.0f%%", value) : String(format: "%.1f%%", value)
    }
}
