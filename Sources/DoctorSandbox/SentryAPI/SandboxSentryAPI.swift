import DoctorKit
import Foundation

/// The sandbox's stand-in for Sentry's web API under `/sentry/api/0`, as strict as the real one
/// (api-facts sections 4 and 9): the organization's issues (`/organizations/{org}/issues/`, in
/// `SandboxSentryAPI+Issues.swift`), the deprecated per-project issue route, the project itself
/// (`/projects/{org}/{project}/`, its numeric `id`) and its event counts (`…/stats/`,
/// `[[timestamp, count], …]`); Bearer authentication with the sandbox's `SENTRY_AUTH_TOKEN`;
/// every error as Sentry's `{"detail": …}`, an unknown query parameter included.
///
/// Healthy: an error every 50 minutes, one unresolved issue. `error-spike`: 120 more in the last
/// five minutes, grouped as Prisma's connection failure (which also had a burst three days ago, so
/// its lifetime count is not its day's) and an invalid `DATABASE_URL`.
final class SandboxSentryAPI: Sendable {
    static let basePath = "/sentry/api/0"
    static let organization = "sandbox-org"
    static let project = "payments-api"
    /// The project's numeric id, as the sandbox's DSN names it.
    static let projectID = "1"
    /// How far apart the healthy project's errors are.
    static let quietInterval = 3000
    /// The spike's errors, 2.5 s apart over the last 300 s.
    static let spikeErrors = 120
    /// The spike's connection errors three days before, part of that issue's lifetime only.
    static let earlierBurst = 37
    /// Sentry's answer to a resource that is not there or not visible.
    static let notFound = "The requested resource does not exist"

    let fault: SandboxFault?
    private let token: String
    /// The sandbox's clock reading its history was made from, Unix seconds.
    let createdAt: Int

    init(fault: SandboxFault?, token: String, createdAt: Int) {
        self.fault = fault
        self.token = token
        self.createdAt = createdAt
    }

    /// Answers a request whose path starts with `/sentry/api/0`.
    func handle(_ request: ServerRequest) -> ServerResponse {
        guard authorized(request) else { return detail(401, "Invalid token") }
        guard request.method == "GET" || request.method == "HEAD" else { return detail(405, "Method \"\(SandboxRenderAPI.clipped(request.method))\" not allowed.") }
        let parts = request.path.dropFirst(Self.basePath.count).split(separator: "/").map(String.init)
        switch (parts.first, parts.count) {
        case ("organizations", 3) where parts[2] == "issues":
            guard parts[1] == Self.organization else { return detail(404, Self.notFound) }
            return organizationIssues(request)
        case ("projects", 3), ("projects", 4):
            guard parts[1] == Self.organization, [Self.project, Self.projectID].contains(parts[2]) else { return detail(404, Self.notFound) }
            switch parts.count == 3 ? "" : parts[3] {
            case "": return project(request)
            case "stats": return stats(request)
            case "issues": return projectIssues(request)
            default: return detail(404, Self.notFound)
            }
        default:
            return detail(404, Self.notFound)
        }
    }

    /// The events of each issue, Unix seconds, oldest first, up to `now`.
    func issueEvents(now: Int) -> [(id: String, times: [Int])] {
        let quiet = stride(from: createdAt - 14 * 86_400, through: now, by: Self.quietInterval)
            .filter { fault != .errorSpike || $0 <= now - 300 }
        var issues = [(id: "4501", times: Array(quiet))]
        if fault == .errorSpike {
            // The spike is "now": the last five minutes of whoever asks, so it is never stale.
            let spike = (0..<Self.spikeErrors).map { now - 300 + 1 + $0 * 300 / Self.spikeErrors }
            let earlier = (0..<Self.earlierBurst).map { createdAt - 3 * 86_400 + $0 * 60 }
            issues.append((id: "4507", times: earlier + spike.enumerated().filter { $0.offset % 10 != 0 }.map(\.element)))
            issues.append((id: "4508", times: spike.enumerated().filter { $0.offset % 10 == 0 }.map(\.element)))
        }
        return issues
    }

    /// When each error event arrived, Unix seconds, oldest first, up to `now`.
    func errorTimes(now: Int) -> [Int] {
        issueEvents(now: now).flatMap(\.times).sorted()
    }

    /// `GET /projects/{org}/{project}/`: the project, with its numeric `id`.
    private func project(_ request: ServerRequest) -> ServerResponse {
        if let unknown = unknownParameter(request, allowed: []) { return unknown }
        return ok(.object([
            ("id", .string(Self.projectID)), ("slug", .string(Self.project)), ("name", .string(Self.project)),
            ("platform", .string("node")), ("status", .string("active")),
            ("organization", .object([("id", .string("1")), ("slug", .string(Self.organization))])),
        ]))
    }

    /// `stat` (`received` and the other documented names), `since`/`until` (epoch seconds; default
    /// the last day), `resolution` (`10s`, `1h`, `1d`): one `[start, count]` per bucket.
    private func stats(_ request: ServerRequest) -> ServerResponse {
        if let unknown = unknownParameter(request, allowed: ["stat", "since", "until", "resolution"]) { return unknown }
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
        return ok(.array(Self.buckets(counted, from: since, through: until, step: step)))
    }

    /// `[[start, count], …]` of `times` in `step`-second buckets from `since` through `until`.
    static func buckets(_ times: [Int], from since: Int, through until: Int, step: Int) -> [JSONValue] {
        var buckets: [JSONValue] = []
        var start = since / step * step
        while start <= until {
            let count = times.filter { $0 >= max(start, since) && $0 < start + step && $0 <= until }.count
            buckets.append(.array([.int(start), .int(count)]))
            start += step
        }
        return buckets
    }

    /// Sentry's 400 for a query parameter the route does not take.
    func unknownParameter(_ request: ServerRequest, allowed: Set<String>) -> ServerResponse? {
        guard let name = request.queryItems.map(\.0).first(where: { !allowed.contains($0) }) else { return nil }
        return detail(400, "Unknown query parameter: \(SandboxRenderAPI.clipped(name))")
    }

    /// `Authorization: Bearer <SENTRY_AUTH_TOKEN>`, the scheme in any case.
    private func authorized(_ request: ServerRequest) -> Bool {
        guard let value = request.header("Authorization") else { return false }
        let parts = value.split(separator: " ", maxSplits: 1).map(String.init)
        return parts.count == 2 && parts[0].lowercased() == "bearer" && parts[1].trimmingCharacters(in: .whitespaces) == token
    }

    /// A 200 with `value` as JSON.
    func ok(_ value: JSONValue, headers: [(String, String)] = []) -> ServerResponse {
        .json(200, value.compactJSON, headers: headers)
    }

    /// Sentry's error object, `{"detail": …}`.
    func detail(_ status: Int, _ text: String) -> ServerResponse {
        .json(status, JSONValue.object([("detail", .string(text))]).compactJSON)
    }
}
