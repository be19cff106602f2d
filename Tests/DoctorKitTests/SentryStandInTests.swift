import Foundation
import Testing
@testable import DoctorKit
@testable import DoctorSandbox

/// Issue 19, item 5: each route of the Sentry stand-in walked against api-facts section 9 and
/// Sentry's published schema: the fields the doctor relies on are there, the parameters Sentry
/// takes are taken, anything else is refused as `{"detail": …}`.
@Suite("Sentry stand-in", .serialized)
struct SentryStandInTests {
    static let organizationPath = "/organizations/\(SandboxSentryAPI.organization)/issues/"
    static let projectPath = "/projects/\(SandboxSentryAPI.organization)/\(SandboxSentryAPI.project)/"
    /// The issue fields the doctor and a person read, which Sentry's schema marks required.
    static let required = ["id", "shortId", "title", "culprit", "count", "userCount", "firstSeen", "lastSeen",
                           "level", "status", "stats", "lifetime", "project", "permalink"]

    /// Runs `body` with a client on a started sandbox.
    private func withStandIn(_ fault: SandboxFault? = nil, _ body: (SentryClient) async throws -> Void) async throws {
        let sandbox = Sandbox(fault: fault)
        try sandbox.start()
        defer { sandbox.stop() }
        let http = HTTPClient()
        defer { http.close() }
        try await body(try SentryClient(token: sandbox.environment["SENTRY_AUTH_TOKEN"]!, base: sandbox.sentryAPIBase, http: http))
    }

    /// The `{"detail"}` error `path` with `query` is answered with, or nil when it succeeded.
    private func refusal(_ sentry: SentryClient, _ path: String, _ query: [(String, String)]) async -> (Int, String?)? {
        do {
            _ = try await sentry.get(path, query: query, deadline: .now + .seconds(10))
            return nil
        } catch {
            guard case let .api(status, detail, _) = error else { return (-1, error.localizedDescription) }
            return (status, detail)
        }
    }

    @Test("the organization route: required fields, count a string and the lifetime, stats[\"24h\"] hourly, the Link header")
    func organizationIssues() async throws {
        try await withStandIn(.errorSpike) { sentry in
            let answer = try await sentry.get(Self.organizationPath, query: [
                ("project", SandboxSentryAPI.projectID), ("query", "is:unresolved"), ("sort", "freq"),
                ("statsPeriod", "24h"), ("groupStatsPeriod", "24h"), ("limit", "2"),
            ], deadline: .now + .seconds(10))
            guard case let .array(items) = answer.json else { Issue.record("not a list: \(answer.json)"); return }
            #expect(items.count == 2)
            for item in items {
                for field in Self.required { #expect(item[field] != nil, "\(field) missing") }
                guard case .string(let count)? = item["count"], let total = Int(count) else { Issue.record("count is not a string"); continue }
                #expect(item["lifetime"]?["count"] == .string(count))
                guard case let .array(series)? = item["stats"]?["24h"] else { Issue.record("no stats[\"24h\"]"); continue }
                #expect(series.count == 24 || series.count == 25)
                #expect(SentryStats(.array(series))!.total <= total)
            }
            #expect(answer.link.next == "0:2:0" && answer.link.previous == nil)
            let last = try await sentry.get(Self.organizationPath, query: [("project", "1"), ("limit", "2"), ("cursor", "0:2:0")],
                                            deadline: .now + .seconds(10))
            #expect(last.link.next == nil && last.link.previous == "0:0:1")
            // Every parameter Sentry's schema lists is taken, repeated ones included.
            let everything = try await sentry.get(Self.organizationPath, query: [
                ("project", "1"), ("project", SandboxSentryAPI.project), ("environment", "production"), ("statsPeriod", "14d"),
                ("groupStatsPeriod", "auto"), ("shortIdLookup", "0"), ("query", ""), ("viewId", "7"), ("sort", "new"),
                ("limit", "100"), ("expand", "owners"), ("collapse", "filtered"), ("cursor", "0:0:0"),
            ], deadline: .now + .seconds(10))
            #expect(everything.status == 200)
        }
    }

    @Test("the organization route refuses what Sentry refuses, in Sentry's {\"detail\"} shape", arguments: [
        ([("per_page", "5")], 400, "Unknown query parameter: per_page"),
        ([("limit", "101")], 400, "Invalid limit: the maximum is 100"),
        ([("limit", "0")], 400, "Invalid limit: must be a positive integer"),
        ([("sort", "loudest")], 400, "Invalid sort: loudest"),
        ([("groupStatsPeriod", "7d")], 400, "Invalid groupStatsPeriod. Valid choices are '', '24h', '14d', and 'auto'"),
        ([("statsPeriod", "soon")], 400, "Invalid statsPeriod: soon"),
        ([("cursor", "next")], 400, "Invalid cursor parameter."),
        ([("project", "999")], 403, "You do not have permission to perform this action."),
    ] as [([(String, String)], Int, String)])
    func organizationRefusals(_ query: [(String, String)], _ status: Int, _ detail: String) async throws {
        try await withStandIn { sentry in
            let refused = await refusal(sentry, Self.organizationPath, [("project", "1")] + query)
            #expect(refused?.0 == status && refused?.1 == detail, "\(String(describing: refused))")
        }
    }

    @Test("the project, its stats and the deprecated issue route: their own parameters only")
    func projectRoutes() async throws {
        try await withStandIn { sentry in
            let project = try await sentry.get(Self.projectPath, deadline: .now + .seconds(10))
            #expect(project.json.string("id") == SandboxSentryAPI.projectID && project.json.string("slug") == SandboxSentryAPI.project)
            let stats = try await sentry.get(Self.projectPath + "stats/", query: [("stat", "received"), ("resolution", "1h")],
                                             deadline: .now + .seconds(10))
            #expect(SentryStats(stats.json) != nil)
            let old = try await sentry.get(Self.projectPath + "issues/", query: [("statsPeriod", "14d"), ("query", "is:unresolved")],
                                           deadline: .now + .seconds(10))
            #expect(SentryIssue.list(old.json)?.first?.count(in: "14d") != nil)
            for (path, query, detail) in [
                (Self.projectPath, [("expand", "x")], "Unknown query parameter: expand"),
                (Self.projectPath + "stats/", [("interval", "1h")], "Unknown query parameter: interval"),
                (Self.projectPath + "stats/", [("resolution", "5m")], "Invalid resolution"),
                (Self.projectPath + "issues/", [("project", "1")], "Unknown query parameter: project"),
                (Self.projectPath + "issues/", [("statsPeriod", "7d")], "Invalid stats_period. Valid choices are '', '24h', and '14d'"),
                (Self.projectPath + "issues/", [("limit", "500")], "Invalid limit: the maximum is 100"),
            ] as [(String, [(String, String)], String)] {
                let refused = await refusal(sentry, path, query)
                #expect(refused?.0 == 400 && refused?.1 == detail, "\(path) \(query): \(String(describing: refused))")
            }
            let missing = await refusal(sentry, "/organizations/other/issues/", [])
            #expect(missing?.0 == 404 && missing?.1 == SandboxSentryAPI.notFound)
        }
    }

    @Test("a wrong token is Sentry's 401 with its detail")
    func wrongToken() async throws {
        let sandbox = Sandbox()
        try sandbox.start()
        defer { sandbox.stop() }
        let http = HTTPClient()
        defer { http.close() }
        let sentry = try SentryClient(token: "sntrys_wrong", base: sandbox.sentryAPIBase, http: http)
        let refused = await refusal(sentry, Self.organizationPath, [])
        #expect(refused?.0 == 401 && refused?.1 == "Invalid token")
    }
}
