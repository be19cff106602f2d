@testable import DoctorKit
import DoctorSandbox
import Foundation
import Testing

/// What a terminal that applies every event would show at the end: the latest line of each step.
final class ScreenModel: DiagnosisSink, @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String: StepResult] = [:]
    private var revisions: [StepRevision] = []
    private var finished: RunReport?

    func receive(_ event: StepEvent) {
        lock.withLock {
            switch event {
            case .started, .progress: break
            case let .finished(runbook, result): lines["\(runbook)/\(result.id)"] = result
            case let .revised(runbook, result, reason):
                lines["\(runbook)/\(result.id)"] = result
                revisions.append(reason)
            }
        }
    }

    func runFinished(_ report: RunReport) { lock.withLock { finished = report } }

    var shown: [String: StepResult] { lock.withLock { lines } }
    var seenRevisions: [StepRevision] { lock.withLock { revisions } }
    var announcedReport: RunReport? { lock.withLock { finished } }
}

/// The faces of one session agree: what `--check` prints (the returned report), what a streaming
/// terminal ends with, the journal and note, the REPL's `status`/`show` (the session's latest
/// results) and the exit code, for each kind of revision the runner makes after a run.
@Suite("Every face of a session shows the same results")
struct SessionFacesTests {
    /// A temporary session store.
    static func store() -> SessionStore {
        SessionStore(root: NSTemporaryDirectory() + "doctor-faces-\(UUID().uuidString)")
    }

    /// Runs `runbooks` in a session with a screen model; checks every face against the report.
    func runAndCompare(_ configuration: Configuration, _ runbooks: [Runbook]) async throws -> (RunReport, ScreenModel, DiagnosisSession) {
        let store = Self.store()
        defer { try? FileManager.default.removeItem(atPath: store.root) }
        let session = DiagnosisSession(mode: "check", configuration: configuration, runbooks: runbooks,
                                       recording: .eager, store: store)
        let screen = ScreenModel()
        session.addSink(screen)
        let report = await session.run(runbooks)
        let notePath = try #require(session.finish(exitCode: report.exitCode))
        let record = try store.load(session.id)
        let note = try String(contentsOfFile: notePath, encoding: .utf8)

        let journaled = Dictionary(uniqueKeysWithValues: record.allSteps.map { ("\($0.runbook)/\($0.step.id)", $0.step) })
        for (runbook, step) in report.allSteps {
            let key = "\(runbook)/\(step.id)"
            #expect(screen.shown[key] == step, "screen differs from the report at \(key)")
            #expect(session.latest[key] == step, "status/show differ from the report at \(key)")
            #expect(journaled[key]?.status == step.status && journaled[key]?.summary == step.summary,
                    "journal differs from the report at \(key)")
            #expect(note.contains(step.summary.prefix(60)), "the note lacks \(key)'s final summary")
        }
        #expect(screen.announcedReport?.allSteps.map(\.step) == report.allSteps.map(\.step))
        #expect(session.exitCode == report.exitCode)
        #expect(record.exitCode == report.exitCode)
        #expect(record.report().exitCode == report.exitCode)
        return (report, screen, session)
    }

    /// A variables step whose shape warning a live proof of STRIPE_WEBHOOK_SECRET withdraws.
    static let envStep = Step(
        id: "env", title: "Variables", kind: "env",
        check: EnvVariablesCheck(variables: [("STRIPE_WEBHOOK_SECRET", .required)], timeout: .seconds(1)),
        needs: [], hint: "fix the variables", parameters: .object([("names", .string("x"))]),
        location: SourceLocation(file: "t.yml", line: 1, column: 1))

    static func step(_ id: String, _ check: any Check, needs: [String] = [], kind: String = "probe") -> Step {
        Step(id: id, title: "Step \(id)", kind: kind, check: check, needs: needs, hint: "fix \(id)",
             parameters: .object([("id", .string(id))]), location: SourceLocation(file: "t.yml", line: 1, column: 1))
    }

    @Test("a shape warning withdrawn by a live proof: screen, journal, note, status and exit code all end with the pass")
    func corroboration() async throws {
        var configuration = Configuration()
        configuration.set("STRIPE_WEBHOOK_SECRET", "whsec_test_secret", origin: .process)
        let env = Self.envStep
        let runbook = Runbook(id: "r", title: "R", symptom: "s", steps: [
            env, Self.step("probe", ProvingCheck(variable: "STRIPE_WEBHOOK_SECRET"), needs: ["env"]),
        ], file: "r.yml")
        let (report, screen, _) = try await runAndCompare(configuration, [runbook])
        #expect(report.runbooks[0].steps[0].status == .pass)
        #expect(report.exitCode == 0)
        #expect(screen.seenRevisions == [.corroboration])
    }

    @Test("a step run again alone keeps the verdict its run gave it: the live proof still counts, and it reaches every runbook holding it")
    func rerunKeepsProofs() async throws {
        var configuration = Configuration()
        configuration.set("STRIPE_WEBHOOK_SECRET", "whsec_test_secret", origin: .process)
        let env = Self.envStep
        let first = Runbook(id: "r", title: "R", symptom: "s", steps: [
            env, Self.step("probe", ProvingCheck(variable: "STRIPE_WEBHOOK_SECRET"), needs: ["env"]),
        ], file: "r.yml")
        let second = Runbook(id: "q", title: "Q", symptom: "s", steps: [env], file: "q.yml")
        let store = Self.store()
        defer { try? FileManager.default.removeItem(atPath: store.root) }
        let session = DiagnosisSession(mode: "scripted", configuration: configuration, runbooks: [first, second],
                                       recording: .lazy, store: store)
        let screen = ScreenModel()
        session.addSink(screen)
        _ = await session.run([first, second])
        #expect(session.exitCode == 0)
        let again = try #require(await session.rerun(env, of: first))
        #expect(again.status == .pass, "\(again.summary)")
        #expect(session.latest["q/env"]?.status == .pass)
        #expect(screen.shown["q/env"] == session.latest["q/env"])
        #expect(session.exitCode == 0)
        let record = try #require(session.record())
        #expect(record.runbooks.first { $0.id == "r" }?.steps.map(\.id) == ["env", "probe"])
    }

    @Test("a failure after a recent deploy: every face says so, and the diagnosis ties it to the deploy step's runbook")
    func afterDeploy() async throws {
        var evidence = Evidence()
        evidence[Runner.recentDeployEvidence] = .string("dep-1 at 03:10 UTC")
        let deploy = FixedCheck(CheckOutcome(.pass, "latest deploy dep-1 is live", evidence: evidence))
        let broken = FixedCheck(CheckOutcome(.fail, "HTTP 500"))
        let first = Runbook(id: "a", title: "A", symptom: "s", steps: [
            Self.step("deploys", deploy, kind: "deploy-history"), Self.step("route", broken, kind: "http"),
        ], file: "a.yml")
        let second = Runbook(id: "b", title: "B", symptom: "s", steps: [Self.step("route", broken, kind: "http")], file: "b.yml")
        let (report, screen, _) = try await runAndCompare(Configuration(), [first, second])
        let routes = report.allSteps.filter { $0.step.id == "route" }
        #expect(routes.count == 2 && routes.allSatisfy { $0.step.summary.hasSuffix("started after deploy dep-1 at 03:10 UTC") })
        #expect(screen.seenRevisions == [.afterDeploy, .afterDeploy])
        #expect(report.exitCode == 2)
        // One problem, shared by both runbooks.
        let diagnosis = Diagnosis(report)
        #expect(diagnosis.findings.count == 1)
        #expect(diagnosis.findings.first?.runbooks == ["a", "b"])
    }

    @Test("a cold start named after the run: the REPL's screen and status show it as --check does", .timeLimit(.minutes(1)))
    func coldStart() async throws {
        let sandbox = Sandbox(fault: SandboxFault(name: "cold-start"))
        try sandbox.start()
        defer { sandbox.stop() }
        var configuration = Configuration()
        configuration.set("API_URL", sandbox.apiURL, origin: .process)
        let yaml = """
            version: 1
            id: latency
            title: Latency
            symptom: slow
            steps:
              - id: api-health
                title: The API answers its health check
                check: http
                with: { url: "${API_URL}/api/health", expect_status: [200] }
                thresholds: { warn: 1s, fail: 5s }
                timeout: 10s
                hint: The API is down or redeploying.
              - id: latency-sample
                title: Latency stays under 1 s
                check: http-sample
                needs: [api-health]
                with: { url: "${API_URL}/api/health", samples: 3, interval: 100ms }
                thresholds: { warn: 1s, fail: 5s }
                hint: Read the median breakdown.
            """
        let runbook = try RunbookLoader(registry: .standard).load(yaml: yaml, file: "latency.yml")
        let (report, screen, session) = try await runAndCompare(configuration, [runbook])
        let health = try #require(report.runbooks[0].steps.first)
        #expect(health.summary.contains("a cold start"), "\(health.summary)")
        #expect(session.latest["latency/api-health"]?.summary.contains("a cold start") == true)
        #expect(screen.seenRevisions == [.coldStart])
        #expect(report.exitCode == 1)
    }

    @Test("a step shared by four runbooks is one finding naming them all; it explains the symptoms that follow")
    func oneFindingPerProblem() async throws {
        let deploys = FixedCheck(CheckOutcome(.fail, "2 deploys failed in the last 24h (dep-2 update_failed, dep-1 build_failed)"),
                                 hint: "Read the failed deploys' logs in Render.")
        let latency = FixedCheck(CheckOutcome(.warn, "p90 3.2s"))
        let runbooks = ["deploy", "intermittent", "records", "webhooks"].map { id in
            Runbook(id: id, title: id, symptom: "s", steps: [Self.step("render-deploys", deploys, kind: "render-deploys")], file: "\(id).yml")
        } + [Runbook(id: "latency", title: "latency", symptom: "s",
                     steps: [Self.step("latency-sample", latency, kind: "http-sample")], file: "latency.yml")]
        let (report, _, _) = try await runAndCompare(Configuration(), runbooks)
        let diagnosis = Diagnosis(report)
        #expect(diagnosis.problems.map(\.id) == ["render-deploys"])
        #expect(diagnosis.findings.first?.runbooks == ["deploy", "intermittent", "records", "webhooks"])
        #expect(diagnosis.symptoms.map(\.id) == ["latency-sample"])
        #expect(diagnosis.symptoms.first?.explainedBy == "render-deploys")
        let text = TextRenderer(style: TextStyle(color: false, verbose: false)).render(report)
        #expect(text.contains("1 problem: 2 deploys failed in the last 24h"))
        #expect(text.contains("it explains 1 other symptom"))
        #expect(text.components(separatedBy: "2 deploys failed").count == 3, "the verdict and the finding only:\n\(text)")
        #expect(text.contains("Problems found: 1 problem, 1 symptom explained by it"))
        let json = try #require(JSONSerialization.jsonObject(with: Data(JSONRenderer.render(report).utf8)) as? [String: Any])
        let findings = try #require(json["findings"] as? [[String: Any]])
        #expect(findings.count == 2)
        #expect(Set(findings[0].keys).isSuperset(of: ["id", "status", "title", "summary", "steps", "explained_by", "hint"]))
        #expect((findings[0]["steps"] as? [[String: String]])?.count == 4)
        #expect(findings[1]["explained_by"] as? String == "render-deploys")
    }
}

/// A check that always answers the same outcome.
struct FixedCheck: Check {
    var outcome: CheckOutcome
    var timeout: Duration { .seconds(5) }

    init(_ outcome: CheckOutcome, hint: String? = nil) {
        self.outcome = outcome
        if let hint { self.outcome.hint = hint }
    }

    func run(in context: CheckContext) async -> CheckOutcome { outcome }
}
