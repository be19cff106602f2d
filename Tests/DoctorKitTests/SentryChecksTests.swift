import Foundation
import Testing
@testable import DoctorKit
@testable import DoctorSandbox

private let here = SourceLocation(file: "test.yml", line: 1, column: 1)

/// A `sentry-errors` step with the runbook defaults, run with `environment`.
private func sentryErrors(_ environment: [String: String], parameters: [(String, String)] = []) async throws -> CheckOutcome {
    let mapping = RunbookValue.mapping(parameters.map { (key: $0.0, keyLocation: here, value: .scalar($0.1, here, quoted: false)) }, here)
    let reader = try ParameterReader(parameters.isEmpty ? nil : mapping, at: here)
    let step = StepSettings(id: "t", warn: nil, fail: nil, timeout: nil, timeoutLocation: here, location: here)
    let check = try SentryErrorsCheck.make(reader, step: step)
    var configuration = Configuration()
    for (name, value) in environment { configuration.set(name, value, origin: .sandbox) }
    let http = HTTPClient()
    defer { http.close() }
    return await check.run(in: CheckContext(configuration: configuration, http: http, readOnly: true, deadline: .now + check.timeout))
}

/// Everything an outcome shows, for leak checks.
private func shown(_ outcome: CheckOutcome) throws -> String {
    let evidence = String(decoding: try JSONEncoder().encode(outcome.evidence), as: UTF8.self)
    return outcome.summary + "\n" + (outcome.hint ?? "") + "\n" + evidence
}

@Suite("Sentry checks", .serialized)
struct SentryChecksTests {
    let verdict = SentryErrorsVerdict(settings: SentryErrorsCheck.Settings())

    private func judge(recent: Int, day: Int, requests: Int?, issues: [SentryIssue] = []) -> CheckOutcome {
        var evidence = Evidence()
        let count = SentryRequestCount(count: requests, note: requests == nil ? "no request count: test" : "test requests")
        return verdict.judge(.init(recentErrors: recent, baselineErrors: day, requests: count,
                                   issues: SentryIssueList(issues: issues, pages: 1, truncated: false)), evidence: &evidence)
    }

    @Test("a rate over the request count meets the guide's bands: < 1 % passes, 1–5 % warns, > 5 % fails")
    func rateBands() {
        #expect(judge(recent: 2, day: 40, requests: 600).status == .pass)
        #expect(judge(recent: 12, day: 40, requests: 600).status == .warn)
        let failed = judge(recent: 120, day: 150, requests: 600)
        #expect(failed.status == .fail)
        #expect(failed.summary.contains("120 errors in the last 5m over 600 requests: an error rate of 20%"), "\(failed.summary)")
        #expect(failed.evidence["rate_percent"] == .double(20))
    }

    @Test("without a request count no rate is invented: the recent minutes are judged against the day's baseline")
    func spikeWithoutRate() {
        let quiet = judge(recent: 1, day: 29, requests: nil)
        #expect(quiet.status == .pass)
        #expect(quiet.evidence["rate"]?.text.hasPrefix("not judged: no request count") == true)
        #expect(quiet.evidence["rate_percent"] == nil)
        // 120 in 5 minutes against ~29 a day: hundreds of times the baseline.
        let spike = judge(recent: 120, day: 149, requests: nil)
        #expect(spike.status == .fail)
        #expect(spike.summary.contains("an error spike (no request count, so no rate)"), "\(spike.summary)")
        // Few errors are no spike, however quiet the day was.
        #expect(judge(recent: 3, day: 3, requests: nil).status == .pass)
        // A spike over a day with none at all still counts once there are enough.
        #expect(judge(recent: 15, day: 15, requests: nil).summary.contains("where the 24h before had none"))
        // Too few requests to make a rate of: the spike decides, and the evidence says why.
        let thin = judge(recent: 2, day: 30, requests: 20)
        #expect(thin.status == .pass)
        #expect(thin.evidence["rate"]?.text.contains("only 20 requests") == true)
    }

    @Test("the guide's common errors among the top issues carry its meaning, in the evidence and the hint")
    func commonErrors() throws {
        let issue = try #require(SentryIssue(.object([
            ("id", .string("9")), ("shortId", .string("API-9")), ("title", .string("Error: DATABASE_URL invalid")),
            ("count", .string("42")), ("lastSeen", .string("2026-11-29T03:10:00Z")),
        ])))
        #expect(issue.lifetimeCount == 42 && issue.count(in: "24h") == nil)
        let outcome = judge(recent: 120, day: 150, requests: 600, issues: [issue])
        #expect(outcome.hint?.contains("API-9 \"DATABASE_URL invalid\": Connection string issue") == true, "\(outcome.hint ?? "")")
        let listed = try #require(outcome.evidence["top_issues"])
        #expect(listed.text.contains("meaning=Connection string issue"))
    }

    @Test("the stats shape is read as [[timestamp, count], …], and anything else refused")
    func statsShape() throws {
        let stats = try #require(SentryStats(.array([.array([.int(20), .int(3)]), .array([.int(10), .double(2)])])))
        #expect(stats.buckets.map(\.start) == [10, 20] && stats.total == 5 && stats.total(since: 15) == 3)
        #expect(SentryStats(.object([("detail", .string("x"))])) == nil)
        #expect(SentryStats(.array([.array([.int(1)])])) == nil)
    }

    @Test("without SENTRY_AUTH_TOKEN the step is skipped, says what SENTRY_DSN looks like and what to set")
    func skipWithoutToken() async throws {
        let outcome = try await sentryErrors(["SENTRY_DSN": "https://0123456789abcdef0123456789abcdef@o42.ingest.sentry.io/7"])
        #expect(outcome.status == .skip)
        #expect(outcome.summary.contains("SENTRY_AUTH_TOKEN is not set"))
        #expect(outcome.summary.contains("SENTRY_DSN is well formed (Sentry DSN for project 7 (org 42)"), "\(outcome.summary)")
        #expect(outcome.hint?.contains("SENTRY_ORG and SENTRY_PROJECT") == true)
        #expect(!(try shown(outcome)).contains("0123456789abcdef"))
        let none = try await sentryErrors([:])
        #expect(none.status == .skip && none.summary.contains("SENTRY_DSN is not set either"))
    }

    @Test("a token without a project to read skips, unless the DSN names its ids")
    func projectFromDSN() async throws {
        let missing = try await sentryErrors(["SENTRY_AUTH_TOKEN": "sntryu_" + String(repeating: "ab", count: 32)])
        #expect(missing.status == .skip && missing.summary.contains("SENTRY_ORG and SENTRY_PROJECT are not set"))
        let ids = SentryCheckSupport.dsnIDs("https://0123456789abcdef0123456789abcdef@o1234.ingest.sentry.io/5678")
        #expect(ids.organization == "1234" && ids.project == "5678")
    }

    @Test("the sandbox's project: healthy passes with a rate over Render's requests; error-spike fails naming the issues")
    func sandbox() async throws {
        let healthy = Sandbox()
        try healthy.start()
        defer { healthy.stop() }
        let pass = try await sentryErrors(healthy.environment)
        #expect(pass.status == .pass, "\(pass.summary)")
        #expect(pass.evidence["requests_5m"] != nil && pass.evidence["rate_over"]?.text.contains("/metrics/http-requests") == true)

        let spiking = Sandbox(fault: .errorSpike)
        try spiking.start()
        defer { spiking.stop() }
        let fail = try await sentryErrors(spiking.environment)
        #expect(fail.status == .fail, "\(fail.summary)")
        #expect(fail.summary.contains("PAYMENTS-API-9"))
        #expect(fail.hint?.contains("\"DATABASE_URL invalid\": Connection string issue") == true)
        // Without Render's figures the same spike is judged against the baseline.
        var environment = spiking.environment
        environment["RENDER_API_KEY"] = nil
        let spike = try await sentryErrors(environment)
        #expect(spike.status == .fail && spike.summary.contains("an error spike"), "\(spike.summary)")
        #expect(spike.evidence["rate"]?.text.contains("RENDER_API_KEY and RENDER_SERVICE_ID are not set") == true)
    }

    @Test("Sentry API failures are unknown, in plain words, and never show the token", arguments: [
        ("token", "Sentry rejected SENTRY_AUTH_TOKEN (HTTP 401: Invalid token)"),
        ("project", "Sentry has no such organization or project visible to this token (HTTP 404"),
        ("down", "the Sentry API did not answer"),
        ("base", "SENTRY_API_BASE \"ftp:nowhere\" is not an absolute http(s) URL"),
    ])
    func apiErrors(_ what: String, _ words: String) async throws {
        let sandbox = Sandbox()
        try sandbox.start()
        defer { sandbox.stop() }
        var environment = sandbox.environment
        let token = environment["SENTRY_AUTH_TOKEN"]!
        switch what {
        case "token": environment["SENTRY_AUTH_TOKEN"] = "sntrys_" + String(repeating: "Zq9", count: 20)
        case "project": environment["SENTRY_PROJECT"] = "other"
        case "down": environment["SENTRY_API_BASE"] = "http://127.0.0.1:\(SandboxSecrets.closedPort())/api/0"
        default: environment["SENTRY_API_BASE"] = "ftp:nowhere"
        }
        let outcome = try await sentryErrors(environment)
        #expect(outcome.status == .unknown, "\(outcome.summary)")
        #expect(outcome.summary.contains(words), "\(outcome.summary)")
        #expect(outcome.hint?.isEmpty == false)
        let text = try shown(outcome)
        for secret in [token, environment["SENTRY_AUTH_TOKEN"]!] {
            for form in SecretLeakTests.forms(secret) { #expect(!text.contains(form)) }
        }
    }

    @Test("Sentry's token formats are secrets every sink masks, and SENTRY_AUTH_TOKEN is a secret variable")
    func tokenKinds() {
        #expect(Configuration.isSecret("SENTRY_AUTH_TOKEN"))
        #expect(Configuration.baseOverrideNames.contains("SENTRY_API_BASE"))
        for token in ["sntrys_eyJpYXQiOjE3MDAwMDAwMDB9_Zk9xQ2hT3mP0a+Lw/8=", "sntryu_" + String(repeating: "0a1b", count: 16)] {
            let masked = SecretKind.masking(in: "Authorization failed for \(token) (HTTP 401)")
            #expect(!masked.contains(String(token.dropFirst(7).prefix(8))), "\(masked)")
            #expect(masked.contains(String(token.prefix(7)) + "…"))
            #expect(SecretMask.apiKey(token) == String(token.prefix(7)) + "…")
        }
    }
}
