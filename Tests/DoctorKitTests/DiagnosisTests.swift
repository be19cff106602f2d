import Foundation
import Testing
@testable import DoctorKit

/// The diagnosis a person reads: each problem once, the root cause first, nothing hidden, no
/// causation read into timing.
@Suite("Diagnosis")
struct DiagnosisTests {
    static func step(_ id: String, _ kind: String, _ status: Status, _ summary: String,
                     evidence: [(String, JSONValue)] = [], hint: String? = nil) -> StepResult {
        var facts = Evidence()
        for (key, value) in evidence { facts[key] = value }
        return StepResult(id: id, kind: kind, title: "Title of \(id)", status: status, durationMs: 5, summary: summary,
                          hint: hint ?? "fix \(id)", evidence: facts, startedAt: Date())
    }

    static func report(_ runbooks: [(String, [StepResult])]) -> RunReport {
        let reports = runbooks.map { id, steps in
            RunbookReport(id: id, title: id.capitalized, status: Status.worst(steps.map(\.status)), escalation: nil, steps: steps)
        }
        let status = Status.worst(reports.map(\.status))
        return RunReport(status: status, exitCode: ExitStatus(worst: status, failOn: .warn).rawValue, session: "s",
                         startedAt: Date(), finishedAt: Date(), durationMs: 10, target: nil, stripeMode: nil, notices: [],
                         runbooks: reports)
    }

    static let health = step("api-health", "http", .fail, "connection refused",
                             evidence: [("url", .string("https://api.example/api/health"))])
    static let deploys = step("render-deploys", "render-deploys", .fail, "latest deploy dep-1 is update_failed")

    @Test("a failed deploy explains the service being down and, through it, the symptoms: one root, every level shown")
    func rootCauseThroughLevels() {
        let secret = Self.step("webhook-secret-match", "webhook-secret", .fail, "HTTP 503")
        let latency = Self.step("latency-sample", "http-sample", .warn, "p90 3.2s")
        let diagnosis = Diagnosis(Self.report([("deploy", [Self.deploys, Self.health]), ("webhooks", [Self.health, secret, latency])]))
        #expect(diagnosis.problems.map(\.id) == ["render-deploys"])
        #expect(Set(diagnosis.symptoms.map(\.id)) == ["api-health", "webhook-secret-match", "latency-sample"])
        #expect(diagnosis.symptoms.allSatisfy { $0.explainedBy == "render-deploys" })
        #expect(diagnosis.findings.first { $0.id == "api-health" }?.runbooks == ["deploy", "webhooks"])
        let text = TextRenderer(style: TextStyle(color: false, verbose: false)).render(Self.report(
            [("deploy", [Self.deploys, Self.health]), ("webhooks", [Self.health, secret, latency])]))
        #expect(text.contains("it explains 3 other symptoms"))
        for id in ["api-health", "webhook-secret-match", "latency-sample"] { #expect(text.contains("(\(id) in "), "\(id) hidden:\n\(text)") }
        #expect(text.contains("Problems found: 1 problem, 3 symptoms explained by it"))
    }

    @Test("timing is not causation: a wrong key or a database down after a failed deploy stay problems of their own")
    func deployDoesNotHideOtherCauses() {
        let key = Self.step("stripe-api", "stripe-api", .fail, "Stripe rejected the key — started after deploy dep-1",
                            evidence: [("after_deploy", .string("dep-1"))])
        let database = Self.step("db-ping", "postgres-ping", .fail, "P1001: Can't reach database server")
        let tables = Self.step("db-tables", "postgres-schema", .unknown, "cannot read the schema")
        let diagnosis = Diagnosis(Self.report([("deploy", [Self.deploys, key, database, tables])]))
        #expect(Set(diagnosis.problems.map(\.id)) == ["render-deploys", "stripe-api", "db-ping"])
        #expect(diagnosis.findings.first { $0.id == "db-tables" }?.explainedBy == "db-ping")
    }

    @Test("a service that is down does not swallow what could not be checked for want of a variable")
    func serviceDownKeepsUnknownConfiguration() {
        let sentry = Self.step("sentry-configured", "env", .unknown, "SENTRY_AUTH_TOKEN is not set")
        let diagnosis = Diagnosis(Self.report([("r", [Self.health, sentry])]))
        #expect(diagnosis.unchecked.map(\.id) == ["sentry-configured"])
        #expect(diagnosis.problems.map(\.id) == ["api-health"])
    }

    @Test("different steps that read alike stay apart; a shared step is one finding")
    func identityKeepsStepsApart() {
        let first = Self.step("webhook-route", "http", .unknown, "cancelled")
        let second = Self.step("health-probes", "http", .unknown, "cancelled")
        let diagnosis = Diagnosis(Self.report([("a", [first, second]), ("b", [first])]))
        #expect(diagnosis.findings.map(\.id) == ["webhook-route", "health-probes"])
        #expect(diagnosis.findings[0].runbooks == ["a", "b"])
    }

    @Test("steps kept from running are named under what held them back, a failure or a step not run for want of an input")
    func keptFromRunning() {
        let stripe = Self.step("stripe-api", "stripe-api", .skip, "skipped: STRIPE_SECRET_KEY is not set")
        let endpoint = Self.step("stripe-endpoint", "stripe-endpoint", .skip, "skipped: stripe-api did not pass (skip)")
        let deliveries = Self.step("stripe-deliveries", "stripe-deliveries", .skip, "skipped: stripe-endpoint did not pass (skip)")
        let route = Self.step("webhook-route", "http", .skip, "skipped: api-health did not pass (fail)")
        let report = Self.report([("w", [Self.health, route, stripe, endpoint, deliveries])])
        let diagnosis = Diagnosis(report)
        #expect(diagnosis.blocked["api-health"]?.map(\.step) == ["webhook-route"])
        #expect(diagnosis.blocked[Diagnosis.notRunKey(diagnosis.notRun[0].steps)]?.map(\.step) == ["stripe-endpoint", "stripe-deliveries"])
        let text = TextRenderer(style: TextStyle(color: false, verbose: false)).render(report)
        #expect(text.contains("kept from running: webhook-route (w)"))
        #expect(text.contains("kept from running: stripe-endpoint (w), stripe-deliveries (w)"), "\(text)")
    }

    @Test("a run that checked nothing never opens with an all-clear")
    func nothingChecked() {
        let skipped = Self.step("stripe-api", "stripe-api", .skip, "skipped: STRIPE_SECRET_KEY is not set")
        let text = TextRenderer(style: TextStyle(color: false, verbose: false)).render(Self.report([("r", [skipped])]))
        #expect(!text.contains("No problem found"))
        #expect(text.contains("Nothing was checked: 1 step skipped"))
    }

    @Test("the note and the Render summary list each problem once; error-log excerpts hold trouble lines only")
    func noteAndEscalation() throws {
        let logs = Self.step("overnight-logs", "log-scan", .warn, "2× \"Database connection error\", 30× \"Payment record created\"",
                             evidence: [("examples", .array([.string("[payment-created] ✅ Payment record created pi_1"),
                                                             .string("[database-error] Database connection error: timeout")])),
                                        ("trouble_patterns", .array([.string("database-error")]))])
        let report = Self.report([("deploy", [Self.deploys, logs]), ("daily", [logs]), ("webhooks", [Self.deploys])])
        let excerpts = Diagnosis(report).errorLogExcerpts()
        #expect(excerpts == ["[database-error] Database connection error: timeout"])
    }
}
