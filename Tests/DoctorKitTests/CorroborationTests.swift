import Foundation
import Testing
@testable import DoctorKit
@testable import DoctorSandbox

/// A check that reports a live proof of one variable, as the webhook probe or the Stripe API step does.
struct ProvingCheck: Check {
    var variable: String
    var status: Status = .pass
    var proves = true
    var timeout: Duration { .seconds(5) }

    func run(in context: CheckContext) async -> CheckOutcome {
        let outcome = CheckOutcome(status, "live step \(status.rawValue)")
        return proves ? outcome.proving(variable) : outcome
    }
}

@Suite("One run never contradicts itself")
struct CorroborationTests {
    let http = HTTPClient()

    func envStep(_ names: [String]) -> Step {
        Step(id: "env", title: "Variables", kind: "env",
             check: EnvVariablesCheck(variables: names.map { ($0, .required) }, timeout: .seconds(1)),
             needs: [], hint: "fix the variables", parameters: .object([("names", .string(names.joined()))]),
             location: SourceLocation(file: "test.yml", line: 1, column: 1))
    }

    func proving(_ id: String, _ check: ProvingCheck, needs: [String] = []) -> Step {
        Step(id: id, title: "Live \(id)", kind: "probe", check: check, needs: needs, hint: "fix \(id)",
             parameters: .object([("id", .string(id))]), location: SourceLocation(file: "test.yml", line: 2, column: 1))
    }

    func run(_ configuration: Configuration, _ steps: [Step]) async -> (RunReport, [StepResult]) {
        let runner = Runner(configuration: configuration, http: http)
        let events = Locked<[StepResult]>([])
        let report = await runner.run([Runbook(id: "r", title: "R", symptom: "s", steps: steps, file: "r.yml")]) { event in
            switch event {
            case let .finished(_, result), let .revised(_, result, _): events.withLock { $0.append(result) }
            case .started, .progress: break
            }
        }
        return (report, events.withLock { $0 })
    }

    @Test("an unusual-shape warning is dropped when a live step of the same run proves the value works, and announced again")
    func proofOutranksShape() async throws {
        var configuration = Configuration()
        configuration.set("STRIPE_WEBHOOK_SECRET", "whsec_test_secret", origin: .process)
        let (report, events) = await run(configuration, [
            envStep(["STRIPE_WEBHOOK_SECRET"]),
            proving("probe", ProvingCheck(variable: "STRIPE_WEBHOOK_SECRET"), needs: ["env"]),
        ])
        let env = report.runbooks[0].steps[0]
        #expect(env.status == .pass, "\(env.summary)")
        #expect(env.summary.contains("probe showed it works"))
        #expect(report.exitCode == 0)
        // The journal and the terminal saw the first verdict; the revision reaches them too, last.
        let envEvents = events.filter { $0.id == "env" }
        #expect(envEvents.map(\.status) == [.warn, .pass])
        if case let .object(entry)? = env.evidence["STRIPE_WEBHOOK_SECRET"] {
            #expect(entry.contains { $0.0 == "proven_by" && $0.1 == .string("probe") })
        } else {
            Issue.record("no evidence for the secret")
        }
    }

    @Test("without a proof, or with a failed live step, the shape finding stands")
    func noProofNoChange() async {
        var configuration = Configuration()
        configuration.set("STRIPE_WEBHOOK_SECRET", "whsec_test_secret", origin: .process)
        let (alone, _) = await run(configuration, [envStep(["STRIPE_WEBHOOK_SECRET"])])
        #expect(alone.runbooks[0].steps[0].status == .warn)
        let (failed, _) = await run(configuration, [
            envStep(["STRIPE_WEBHOOK_SECRET"]),
            proving("probe", ProvingCheck(variable: "STRIPE_WEBHOOK_SECRET", status: .fail, proves: false)),
        ])
        #expect(failed.runbooks[0].steps[0].status == .warn)
        #expect(failed.exitCode == 2)
    }

    @Test("a definite error on a value a live step proved is demoted to a warning, never silently dropped")
    func definiteErrorDemoted() async {
        var configuration = Configuration()
        configuration.set("STRIPE_SECRET_KEY", "sk_test_abcdefghijklmnop\"", origin: .process)
        configuration.set("STRIPE_WEBHOOK_SECRET", "whsec_abcdefghijklmnopqrstuvwxyz012345", origin: .process)
        let (report, _) = await run(configuration, [
            envStep(["STRIPE_SECRET_KEY"]),
            proving("stripe-api", ProvingCheck(variable: "STRIPE_SECRET_KEY")),
        ])
        let env = report.runbooks[0].steps[0]
        #expect(env.status == .warn)
        #expect(env.summary.contains("stripe-api showed it works"))
    }
}
