import Foundation
import Testing
@testable import DoctorKit
@testable import DoctorSandbox

/// Issue 19, item 1: issues from the organization route with bounded cursor paging, the API host
/// of the organization's region, and an issue's day told apart from its lifetime.
@Suite("Sentry organization issues", .serialized)
struct SentryOrganizationIssuesTests {
    /// A client on the sandbox's stand-in.
    private func client(_ sandbox: Sandbox, http: HTTPClient) throws -> SentryClient {
        try SentryClient(token: sandbox.environment["SENTRY_AUTH_TOKEN"]!, base: sandbox.sentryAPIBase, http: http)
    }

    @Test("pages follow Link cursors while Sentry says results=\"true\", and stop at the bound")
    func paging() async throws {
        let sandbox = Sandbox(fault: .errorSpike)
        try sandbox.start()
        defer { sandbox.stop() }
        let http = HTTPClient()
        defer { http.close() }
        let sentry = try client(sandbox, http: http)
        var query = SentryIssueList.Query(organization: SandboxSentryAPI.organization, projectID: SandboxSentryAPI.projectID)
        query.limit = 1
        let all = try await sentry.issues(query, deadline: .now + .seconds(10))
        #expect(all.pages == 3 && !all.truncated)
        #expect(all.issues.map(\.shortID) == ["PAYMENTS-API-9", "PAYMENTS-API-7", "PAYMENTS-API-A"], "sorted by events in the day (108, about 29, 12)")
        query.maxPages = 2
        let bounded = try await sentry.issues(query, deadline: .now + .seconds(10))
        #expect(bounded.pages == 2 && bounded.truncated && bounded.issues.count == 2)
        query.limit = 100
        let one = try await sentry.issues(query, deadline: .now + .seconds(10))
        #expect(one.pages == 1 && !one.truncated && one.issues.count == 3)
    }

    @Test("Sentry's Link header: a cursor counts only with results=\"true\"; a comma inside a URL is not a separator")
    func linkHeader() {
        let header = #"<https://sentry.io/api/0/organizations/o/issues/?a=1,2&cursor=0:0:1>; rel="previous"; results="false"; cursor="0:0:1", "#
            + #"<https://sentry.io/api/0/organizations/o/issues/?a=1,2&cursor=0:100:0>; rel="next"; results="true"; cursor="0:100:0""#
        let link = SentryLinkHeader(header)
        #expect(link.next == "0:100:0" && link.previous == nil)
        let last = header.replacingOccurrences(of: #"results="true""#, with: #"results="false""#)
        #expect(SentryLinkHeader(last).next == nil)
        #expect(SentryLinkHeader(nil).next == nil && SentryLinkHeader("garbage").next == nil)
    }

    @Test("the API host follows the organization's region; an explicit SENTRY_API_BASE always wins", arguments: [
        ("https://k@o12.ingest.us.sentry.io/34", nil, "https://us.sentry.io/api/0", "SENTRY_DSN's region (us)"),
        ("https://k@o12.ingest.de.sentry.io/34", nil, "https://de.sentry.io/api/0", "SENTRY_DSN's region (de)"),
        ("https://k@o12.ingest.de.sentry.io/34", "https://sentry.example.com/api/0", "https://sentry.example.com/api/0", "SENTRY_API_BASE"),
        ("https://k@o12.ingest.sentry.io/34", nil, "https://sentry.io/api/0", "default"),
        ("https://k@sentry.example.com/34", nil, "https://sentry.io/api/0", "default"),
        ("https://k@o12.ingest.de.sentry.io.evil.example/34", nil, "https://sentry.io/api/0", "default"),
    ] as [(String, String?, String, String)])
    func region(_ dsn: String, _ explicit: String?, _ base: String, _ source: String) throws {
        var configuration = Configuration()
        configuration.set("SENTRY_DSN", dsn, origin: .sandbox)
        if let explicit { configuration.set("SENTRY_API_BASE", explicit, origin: .sandbox) }
        #expect(SentryRegion.of(configuration) == SentryRegion(base: base, source: source))
        configuration.set("SENTRY_AUTH_TOKEN", "sntryu_" + String(repeating: "ab", count: 32), origin: .sandbox)
        let http = HTTPClient()
        defer { http.close() }
        let client = try SentryClient(configuration: configuration, http: http)
        #expect(client.base == base && client.baseSource == source)
    }

    @Test("an issue's day comes from stats[\"24h\"], its lifetime from lifetime.count, and the words say which")
    func lifetimeAndDay() throws {
        let issue = try #require(SentryIssue(.object([
            ("id", .string("9")), ("shortId", .string("API-9")), ("title", .string("Error: DATABASE_URL invalid")),
            ("count", .string("12")),  // what a windowed answer may put here
            ("lifetime", .object([("count", .string("3400"))])),
            ("stats", .object([("24h", .array([.array([.int(3600), .int(5)]), .array([.int(7200), .int(7)])]))])),
        ])))
        #expect(issue.lifetimeCount == 3400 && issue.count(in: "24h") == 12)
        #expect(SentryErrorsVerdict.counts(issue, period: "24h") == "12 events in the last 24 h (3400 in all)")
        let bare = try #require(SentryIssue(.object([("id", .string("1")), ("title", .string("x")), ("count", .string("1"))])))
        #expect(SentryErrorsVerdict.counts(bare, period: "24h") == "1 event in all")

        var evidence = Evidence()
        let verdict = SentryErrorsVerdict(settings: SentryErrorsCheck.Settings())
        let list = SentryIssueList(issues: [issue], pages: 3, truncated: true)
        let outcome = verdict.judge(.init(recentErrors: 120, baselineErrors: 150, requests: nil, issues: list), evidence: &evidence)
        #expect(outcome.summary.contains("top unresolved: API-9 \"Error: DATABASE_URL invalid\": 12 events in the last 24 h (3400 in all)"), "\(outcome.summary)")
        let top = try #require(outcome.evidence["top_issues"])
        #expect(top.text.contains("events_24h=12") && top.text.contains("events_all=3400"), "\(top.text)")
        #expect(outcome.evidence["unresolved_issues_more"]?.text.contains("at most 3 pages") == true)
    }

    @Test("a project slug is turned into the numeric id the route filters by; an id is used as it is")
    func projectID() async throws {
        let sandbox = Sandbox()
        try sandbox.start()
        defer { sandbox.stop() }
        let http = HTTPClient()
        defer { http.close() }
        let sentry = try client(sandbox, http: http)
        let deadline = ContinuousClock.now + .seconds(10)
        #expect(try await sentry.projectID(organization: SandboxSentryAPI.organization, project: SandboxSentryAPI.project, deadline: deadline) == "1")
        #expect(try await sentry.projectID(organization: "x", project: "42", deadline: deadline) == "42")
        await #expect(throws: SentryAPIError.api(status: 404, detail: "The requested resource does not exist", retryAfter: nil)) {
            _ = try await sentry.projectID(organization: SandboxSentryAPI.organization, project: "other", deadline: deadline)
        }
    }
}
