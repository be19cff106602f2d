import DoctorKit
import Foundation

/// The issue lists: `GET /organizations/{org}/issues/` with the parameters Sentry's published
/// schema lists (and nothing else), and the deprecated `GET /projects/{org}/{project}/issues/`,
/// kept so an old client still gets Sentry's answer. Both page with `limit` (at most 100) and
/// `cursor`, named in a `Link` header in Sentry's form.
extension SandboxSentryAPI {
    /// What one issue is in the stand-in.
    struct Issue {
        let id: String, shortID: String, title: String, culprit: String
        let times: [Int]
    }

    /// The organization route's parameters (sentry-api-schema, "List an Organization's Issues").
    static let organizationParameters: Set<String> = [
        "environment", "project", "statsPeriod", "start", "end", "groupStatsPeriod", "shortIdLookup",
        "query", "viewId", "sort", "limit", "expand", "collapse", "cursor",
    ]
    /// The deprecated per-project route's parameters.
    static let projectParameters: Set<String> = ["statsPeriod", "shortIdLookup", "query", "hashes", "sort", "limit", "cursor"]
    /// The sorts, `expand` and `collapse` values Sentry's schema lists.
    static let sorts: Set<String> = ["date", "freq", "inbox", "new", "recommended", "trends", "user"]
    static let expands: Set<String> = ["inbox", "integrationIssues", "latestEventHasAttachments", "owners", "sentryAppIssues", "sessions"]
    static let collapses: Set<String> = ["base", "filtered", "lifetime", "stats", "unhandled"]

    /// The project's issues, each with its events.
    func issues(now: Int) -> [Issue] {
        let titles: [String: (String, String, String)] = [
            "4501": ("PAYMENTS-API-7", "TypeError: Cannot read properties of undefined (reading 'customer')", "handleSubscriptionUpdated(src/webhooks)"),
            "4507": ("PAYMENTS-API-9", "PrismaClientKnownRequestError: ❌ Database connection error: Can't reach database server at `db.internal`:`5432`", "POST /api/webhooks/stripe"),
            "4508": ("PAYMENTS-API-A", "PrismaClientInitializationError: DATABASE_URL invalid", "prisma.payment.create"),
        ]
        return issueEvents(now: now).compactMap { id, times in
            titles[id].map { Issue(id: id, shortID: $0.0, title: $0.1, culprit: $0.2, times: times) }
        }
    }

    /// `GET /organizations/{org}/issues/`: `project` filters by numeric id or slug (`-1`: all).
    func organizationIssues(_ request: ServerRequest) -> ServerResponse {
        if let unknown = unknownParameter(request, allowed: Self.organizationParameters) { return unknown }
        // Sentry answers a project the token cannot see with 403, an id or a slug alike.
        if request.queryItems.contains(where: { $0.0 == "project" && ![Self.projectID, Self.project, "-1"].contains($0.1) }) {
            return detail(403, "You do not have permission to perform this action.")
        }
        let query = request.query
        if let period = query["statsPeriod"], !period.isEmpty, Self.seconds(period) == nil {
            return detail(400, "Invalid statsPeriod: \(SandboxRenderAPI.clipped(period))")
        }
        if let series = query["groupStatsPeriod"], !["", "24h", "14d", "auto"].contains(series) {
            return detail(400, "Invalid groupStatsPeriod. Valid choices are '', '24h', '14d', and 'auto'")
        }
        if let lookup = query["shortIdLookup"], !["0", "1"].contains(lookup) {
            return detail(400, "Invalid shortIdLookup. Valid choices are '0' and '1'")
        }
        for (name, allowed) in [("expand", Self.expands), ("collapse", Self.collapses)] {
            if let bad = request.queryItems.first(where: { $0.0 == name && !allowed.contains($0.1) }) {
                return detail(400, "Invalid \(name): \(SandboxRenderAPI.clipped(bad.1))")
            }
        }
        let window = query["statsPeriod"].flatMap(Self.seconds)
        let series = query["groupStatsPeriod"].map { $0 == "auto" ? "24h" : $0 } ?? "24h"
        return list(request, window: window, series: series.isEmpty ? nil : series, collapse: Set(request.queryItems.filter { $0.0 == "collapse" }.map(\.1)))
    }

    /// The deprecated `GET /projects/{org}/{project}/issues/`: `statsPeriod` picks the series.
    func projectIssues(_ request: ServerRequest) -> ServerResponse {
        if let unknown = unknownParameter(request, allowed: Self.projectParameters) { return unknown }
        let period = request.query["statsPeriod"] ?? "24h"
        guard ["", "24h", "14d"].contains(period) else {
            return detail(400, "Invalid stats_period. Valid choices are '', '24h', and '14d'")
        }
        return list(request, window: nil, series: period.isEmpty ? nil : period, collapse: [])
    }

    /// One page of the unresolved issues with events in `window`, sorted, with `series` stats.
    private func list(_ request: ServerRequest, window: Int?, series: String?, collapse: Set<String>) -> ServerResponse {
        let now = Int(Date().timeIntervalSince1970)
        if let sort = request.query["sort"], !Self.sorts.contains(sort) {
            return detail(400, "Invalid sort: \(SandboxRenderAPI.clipped(sort))")
        }
        var limit = 100
        if let text = request.query["limit"] {
            guard let value = Int(text), value >= 1 else { return detail(400, "Invalid limit: must be a positive integer") }
            guard value <= 100 else { return detail(400, "Invalid limit: the maximum is 100") }
            limit = value
        }
        var offset = 0
        if let cursor = request.query["cursor"] {
            // Sentry's cursors are `value:offset:is_prev`.
            let parts = cursor.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 3, let value = Int(parts[1]), value >= 0, ["0", "1"].contains(parts[2]) else {
                return detail(400, "Invalid cursor parameter.")
            }
            offset = value
        }
        let search = request.query["query"] ?? "is:unresolved"
        let since = window.map { now - $0 } ?? 0
        var found = search.contains("is:resolved") || search.contains("is:ignored")
            ? [] : issues(now: now).filter { ($0.times.last ?? 0) >= since }
        let inWindow: (Issue) -> Int = { $0.times.filter { $0 >= since }.count }
        switch request.query["sort"] ?? "date" {
        case "new": found.sort { ($0.times.first ?? 0, $0.id) > ($1.times.first ?? 0, $1.id) }
        case "freq", "user", "trends", "recommended": found.sort { (inWindow($0), $0.id) > (inWindow($1), $1.id) }
        default: found.sort { ($0.times.last ?? 0, $0.id) > ($1.times.last ?? 0, $1.id) }
        }
        let page = Array(found.dropFirst(offset).prefix(limit))
        let more = offset + page.count < found.count
        return ok(.array(page.map { render($0, series: series, now: now, collapse: collapse) }),
                  headers: [("Link", link(request, offset: offset, limit: limit, more: more))])
    }

    /// One issue with the fields Sentry's schema marks required that the doctor or a person reads.
    private func render(_ issue: Issue, series: String?, now: Int, collapse: Set<String>) -> JSONValue {
        let first = StandInTime.format(milliseconds: (issue.times.first ?? now) * 1000)
        let last = StandInTime.format(milliseconds: (issue.times.last ?? now) * 1000)
        let count = JSONValue.string(String(issue.times.count))
        var stats: [(String, JSONValue)] = []
        if let series {
            let (span, step) = series == "14d" ? (14 * 86_400, 86_400) : (86_400, 3600)
            let end = now / step * step
            stats.append((series, .array(Self.buckets(issue.times, from: end - span + step, through: end + step - 1, step: step))))
        }
        var members: [(String, JSONValue)] = [
            ("id", .string(issue.id)), ("shortId", .string(issue.shortID)), ("title", .string(issue.title)),
            ("culprit", .string(issue.culprit)), ("level", .string("error")), ("status", .string("unresolved")),
            ("substatus", .string("ongoing")), ("statusDetails", .object([])), ("logger", .null), ("type", .string("error")),
            ("platform", .string("node")), ("metadata", .object([("title", .string(issue.title))])),
            ("count", count), ("userCount", .int(0)), ("firstSeen", .string(first)), ("lastSeen", .string(last)),
            ("permalink", .string("https://sentry.io/organizations/\(Self.organization)/issues/\(issue.id)/")),
            ("project", .object([("id", .string(Self.projectID)), ("name", .string(Self.project)),
                                 ("slug", .string(Self.project)), ("platform", .string("node"))])),
            ("isUnhandled", .bool(true)), ("numComments", .int(0)), ("filtered", .null),
        ]
        if !collapse.contains("stats") { members.append(("stats", .object(stats))) }
        if !collapse.contains("lifetime") {
            members.append(("lifetime", .object([("count", count), ("userCount", .int(0)),
                                                 ("firstSeen", .string(first)), ("lastSeen", .string(last))])))
        }
        return .object(members)
    }

    /// Sentry's `Link` header: a previous and a next link, each saying whether it has results.
    private func link(_ request: ServerRequest, offset: Int, limit: Int, more: Bool) -> String {
        let host = request.header("Host") ?? "127.0.0.1"
        let kept = request.queryItems.filter { $0.0 != "cursor" }
        func url(_ cursor: String) -> String {
            let query = (kept + [("cursor", cursor)]).map { name, value in
                name + "=" + (value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value)
            }.joined(separator: "&")
            return "<http://\(host)\(request.path)?\(query)>"
        }
        let previous = "0:\(max(0, offset - limit)):1", next = "0:\(offset + limit):0"
        return "\(url(previous)); rel=\"previous\"; results=\"\(offset > 0)\"; cursor=\"\(previous)\", "
            + "\(url(next)); rel=\"next\"; results=\"\(more)\"; cursor=\"\(next)\""
    }

    /// Seconds of a Sentry period such as `24h`, `14d`, `30m`, `2w`; nil when it is not one.
    static func seconds(_ period: String) -> Int? {
        let units = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]
        guard let unit = period.last.flatMap({ units[String($0)] }), let amount = Int(period.dropLast()), amount > 0 else { return nil }
        return amount * unit
    }
}
