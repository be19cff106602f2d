import DoctorKit
import Foundation

/// The sandbox's stand-in for Sentry's web API under `/sentry/api/0`: the payment API project's
/// event counts (`/projects/{org}/{project}/stats/`, `[[timestamp, count], …]`) and its unresolved
/// issues (`/projects/{org}/{project}/issues/`), in the shapes of api-facts §4 and Sentry's issue
/// list; Bearer authentication with the sandbox's `SENTRY_AUTH_TOKEN`; errors as `{"detail": …}`.
///
/// Healthy: an error every 50 minutes, one unresolved issue. `error-spike`: 120 more in the last
/// five minutes, grouped as Prisma's connection failure and an invalid `DATABASE_URL`.
final class SandboxSentryAPI: Sendable {
    static let basePath = "/sentry/api/0"
    static let organization = "sandbox-org"
    static let project = "payments-api"
    /// How far apart the healthy project's errors are.
    static let quietInterval = 3000
    /// The spike's errors, 2.5 s apart over the last 300 s.
    static let spikeErrors = 120

    let fault: SandboxFault?
    private let token: String
    /// The sandbox's clock reading its history was made from, Unix seconds.
    private let createdAt: Int

    init(fault: SandboxFault?, token: String, createdAt: Int) {
        self.fault = fault
        self.token = token
        self.createdAt = createdAt
    }

    /// Answers a request whose path starts with `/sentry/api/0`.
    func handle(_ request: ServerRequest) -> ServerResponse {
        guard authorized(request) else { return detail(401, "Invalid token") }
        guard request.method == "GET" || request.method == "HEAD" else { return detail(405, "Method not allowed") }
        let parts = request.path.dropFirst(Self.basePath.count).split(separator: "/").map(String.init)
        guard parts.count == 4, parts[0] == "projects" else { return detail(404, "The requested resource does not exist") }
        guard parts[1] == Self.organization, parts[2] == Self.project else { return detail(404, "The requested resource does not exist") }
        switch parts[3] {
        case "stats": return stats(request)
        case "issues": return issues(request)
        default: return detail(404, "The requested resource does not exist")
        }
    }

    /// When each error event arrived, Unix seconds, oldest first, up to `now`.
    func errorTimes(now: Int) -> [Int] {
        var times = stride(from: createdAt - 14 * 86_400, through: now, by: Self.quietInterval).map { $0 }
        if fault == .errorSpike {
            // The spike is "now": the last five minutes of whoever asks, so it is never stale.
            times += (0..<Self.spikeErrors).map { now - 300 + 1 + $0 * 300 / Self.spikeErrors }
        }
        return times.sorted()
    }

    /// `stat` (`received` and the other documented names), `since`/`until` (epoch seconds; default
    /// the last day), `resolution` (`10s`, `1h`, `1d`): one `[start, count]` per bucket.
    private func stats(_ request: ServerRequest) -> ServerResponse {
        let now = Int(Date().timeIntervalSince1970)
        if let stat = request.query["stat"], !["received", "rejected", "blacklisted", "generated"].contains(stat) {
            return detail(400, "Invalid stat: \(SandboxRenderAPI.clipped(stat))")
        }
        let resolutions = ["10s": 10, "1h": 3600, "1d": 86_400]
        guard let step = resolutions[request.query["resolution"] ?? "1h"] else {
            return detail(400, "Invalid resolution")
        }
        guard let until = request.query["until"].map({ Int(Double($0) ?? -1) }) ?? Optional(now), until >= 0,
              let since = request.query["since"].map({ Int(Double($0) ?? -1) }) ?? Optional(until - 86_400), since >= 0, since <= until
        else { return detail(400, "since and until must be epoch seconds, since before until") }
        // Only received events exist here: the stand-in's project drops nothing.
        let counted = request.query["stat"] ?? "received" == "received" ? errorTimes(now: now) : []
        var buckets: [JSONValue] = []
        var start = since / step * step
        while start <= until {
            let count = counted.filter { $0 >= max(start, since) && $0 < start + step && $0 <= until }.count
            buckets.append(.array([.int(start), .int(count)]))
            start += step
        }
        return ok(.array(buckets))
    }

    /// The unresolved issues, most recently seen first, with Sentry's fields (`count` as a string).
    private func issues(_ request: ServerRequest) -> ServerResponse {
        let now = Int(Date().timeIntervalSince1970)
        if let period = request.query["statsPeriod"], !["", "24h", "14d"].contains(period) {
            return detail(400, "Invalid stats_period. Valid choices are '', '24h', and '14d'")
        }
        var list: [(id: String, short: String, title: String, culprit: String, count: Int, lastSeen: Int)] = []
        if fault == .errorSpike {
            list.append(("4507", "PAYMENTS-API-9", "PrismaClientKnownRequestError: ❌ Database connection error: Can't reach database server at `db.internal`:`5432`",
                         "POST /api/webhooks/stripe", Self.spikeErrors - 12, now - 2))
            list.append(("4508", "PAYMENTS-API-A", "PrismaClientInitializationError: DATABASE_URL invalid", "prisma.payment.create", 12, now - 20))
        }
        let quiet = errorTimes(now: now).filter { $0 > now - 86_400 && $0 <= now - (fault == .errorSpike ? 300 : 0) }
        list.append(("4501", "PAYMENTS-API-7", "TypeError: Cannot read properties of undefined (reading 'customer')",
                     "handleSubscriptionUpdated(src/webhooks)", max(1, quiet.count), quiet.last ?? now - 3600))
        return ok(.array(list.map { issue in
            .object([
                ("id", .string(issue.id)), ("shortId", .string(issue.short)), ("title", .string(issue.title)),
                ("culprit", .string(issue.culprit)), ("level", .string("error")), ("status", .string("unresolved")),
                ("count", .string(String(issue.count))), ("userCount", .int(0)),
                ("firstSeen", .string(StandInTime.format(milliseconds: (createdAt - 7 * 86_400) * 1000))),
                ("lastSeen", .string(StandInTime.format(milliseconds: issue.lastSeen * 1000))),
                ("permalink", .string("https://sentry.io/organizations/\(Self.organization)/issues/\(issue.id)/")),
                ("project", .object([("id", .string("1")), ("slug", .string(Self.project))])),
            ])
        }))
    }

    /// `Authorization: Bearer <SENTRY_AUTH_TOKEN>`, the scheme in any case.
    private func authorized(_ request: ServerRequest) -> Bool {
        guard let value = request.header("Authorization") else { return false }
        let parts = value.split(separator: " ", maxSplits: 1).map(String.init)
        return parts.count == 2 && parts[0].lowercased() == "bearer" && parts[1].trimmingCharacters(in: .whitespaces) == token
    }

    private func ok(_ value: JSONValue) -> ServerResponse { .json(200, value.compactJSON) }

    /// Sentry's error object, `{"detail": …}`.
    private func detail(_ status: Int, _ text: String) -> ServerResponse {
        .json(status, JSONValue.object([("detail", .string(text))]).compactJSON)
    }
}
