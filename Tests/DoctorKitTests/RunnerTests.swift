import Foundation
import Testing
@testable import DoctorKit

/// A check whose outcome, duration and run count a test controls.
struct ScriptedCheck: Check {
    var status: Status = .pass
    var delay: Duration = .zero
    var timeout: Duration = .seconds(5)
    var counter: Locked<Int>? = nil
    /// Waits without honouring cancellation, like a C call stuck on its own thread would.
    var ignoresCancellation = false
    /// What the check says it takes by design (an http-sample's pauses).
    var planned: Duration = .zero

    var plannedDuration: Duration { planned }

    func run(in context: CheckContext) async -> CheckOutcome {
        counter?.withLock { $0 += 1 }
        if ignoresCancellation {
            let nanoseconds = Int(delay.milliseconds) * 1_000_000
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { continuation.resume() }
            }
        } else if delay > .zero {
            try? await Task.sleep(for: delay)
            if Task.isCancelled { return CheckOutcome(.unknown, "cancelled") }
        }
        return CheckOutcome(status, "scripted \(status.rawValue)")
    }
}

func step(_ id: String, _ check: ScriptedCheck, needs: [String] = [], parameters: JSONValue? = nil) -> Step {
    Step(id: id, title: "Step \(id)", kind: "scripted", check: check, needs: needs, hint: "fix \(id)",
         parameters: parameters ?? .object([("id", .string(id))]),
         location: SourceLocation(file: "test.yml", line: 1, column: 1))
}

/// The fingerprint `step(id, …)` gives a step with default parameters.
func runbookStep(_ id: String) -> String { step(id, ScriptedCheck()).fingerprint }

func runbook(_ id: String, _ steps: [Step]) -> Runbook {
    Runbook(id: id, title: "Runbook \(id)", symptom: "test", steps: steps, file: "\(id).yml")
}

@Suite("Engine")
struct RunnerTests {
    let http = HTTPClient()

    func run(_ runbooks: [Runbook], timeout: Duration = .seconds(10), failOn: FailOn = .warn, concurrency: Int = 8) async -> RunReport {
        let runner = Runner(configuration: Configuration(), http: http,
                            options: RunOptions(timeout: timeout, concurrency: concurrency, failOn: failOn))
        return await runner.run(runbooks)
    }

    @Test("a step whose dependency failed is skipped with the reason; a warning does not block")
    func dependencies() async {
        let report = await run([runbook("r", [
            step("a", ScriptedCheck(status: .fail)),
            step("b", ScriptedCheck(), needs: ["a"]),
            step("c", ScriptedCheck(status: .warn)),
            step("d", ScriptedCheck(), needs: ["c"]),
        ])])
        let steps = report.runbooks[0].steps
        #expect(steps.map(\.status) == [.fail, .skip, .warn, .pass])
        #expect(steps[1].summary == "skipped: a did not pass (fail)")
        #expect(steps[0].hint == "fix a")
        #expect(steps[3].hint == nil)
        #expect(report.exitCode == 2)
    }

    @Test("independent steps run concurrently")
    func concurrency() async {
        let steps = (0..<6).map { step("s\($0)", ScriptedCheck(delay: .milliseconds(500))) }
        let clock = ContinuousClock()
        let start = clock.now
        let report = await run([runbook("r", steps)])
        // In sequence 3 s, two at a time 1.5 s: under 1.45 s proves they ran together.
        #expect(clock.now - start < .milliseconds(1450))
        #expect(report.status == .pass)
    }

    @Test("when steps queue for a slot, the one with the longest planned duration starts first")
    func longestFirst() async {
        let short = ScriptedCheck(delay: .milliseconds(200))
        let report = await run([runbook("r", [
            step("a", short), step("b", short), step("c", short),
            step("long", ScriptedCheck(delay: .milliseconds(300), planned: .milliseconds(300))),
        ])], concurrency: 1)
        let long = report.runbooks[0].steps[3]
        // In arrival order it would start after the three short steps (600 ms); first in the queue,
        // after at most the one step that took the free slot before anything queued (200 ms).
        #expect(long.startedAt.timeIntervalSince(report.startedAt) < 0.45)
        #expect(report.status == .pass)
    }

    @Test("a short step that a long planned step needs gets a slot before the run's other short steps")
    func criticalPathFirst() async {
        let short = ScriptedCheck(delay: .milliseconds(200))
        // Runbook `a` comes first: in arrival order its six steps take the two slots for three
        // rounds (600 ms) before `z`'s health step, on which the long sampler waits. The health step
        // heads the longest planned chain, so it starts in the first round, or the second if a
        // short step reached a free slot before it (the tasks start concurrently).
        let report = await run([
            runbook("a", (1...6).map { step("a\($0)", short) }),
            runbook("z", [
                step("health", ScriptedCheck(delay: .milliseconds(100))),
                step("sample", ScriptedCheck(delay: .milliseconds(300), planned: .milliseconds(300)), needs: ["health"]),
            ]),
        ], concurrency: 2)
        let health = report.runbooks[1].steps[0]
        let sample = report.runbooks[1].steps[1]
        #expect(health.startedAt.timeIntervalSince(report.startedAt) < 0.35)
        #expect(sample.startedAt.timeIntervalSince(report.startedAt) < 0.55)
        #expect(report.status == .pass)
    }

    @Test("a step's chain priority is its planned duration and that of the longest line of steps waiting on it")
    func chainPriorities() {
        let planned = { (ms: Int) in ScriptedCheck(planned: .milliseconds(ms)) }
        let priorities = Runner.chainPriorities([runbook("r", [
            step("root", planned(0)), step("mid", planned(100), needs: ["root"]),
            step("leaf", planned(400), needs: ["mid"]), step("side", planned(50), needs: ["root"]),
        ])])
        let byID = { (id: String) in priorities[runbookStep(id)] }
        #expect(byID("root") == .milliseconds(500))
        #expect(byID("mid") == .milliseconds(500))
        #expect(byID("leaf") == .milliseconds(400))
        #expect(byID("side") == .milliseconds(50))
    }

    @Test("a step shared by two runbooks runs once per run")
    func sharedSteps() async {
        let counter = Locked(0)
        let shared = ScriptedCheck(counter: counter)
        let params: JSONValue = .object([("url", .string("${API_URL}/api/health"))])
        let report = await run([
            runbook("one", [step("health", shared, parameters: params)]),
            runbook("two", [step("api-health", shared, parameters: params)]),
        ])
        #expect(counter.withLock { $0 } == 1)
        #expect(report.runbooks.map(\.status) == [.pass, .pass])
    }

    @Test("a step that outlives the run deadline is unknown and the run ends on time, even if the check ignores cancellation")
    func runDeadline() async {
        let clock = ContinuousClock()
        let start = clock.now
        let report = await run([runbook("r", [
            step("stuck", ScriptedCheck(delay: .seconds(3), timeout: .seconds(10), ignoresCancellation: true)),
            step("quick", ScriptedCheck()),
        ])], timeout: .seconds(1))
        // The run ends at about 1.25 s (deadline plus grace), well before the 3 s stuck check.
        #expect(clock.now - start < .milliseconds(2500))
        let steps = report.runbooks[0].steps
        #expect(steps[0].status == .unknown)
        #expect(steps[0].summary.contains("run deadline"))
        #expect(steps[1].status == .pass)
        #expect(report.exitCode == 3)
    }

    @Test("a step that outlives its own timeout fails: the target did not answer")
    func stepTimeout() async {
        let report = await run([runbook("r", [
            step("slow", ScriptedCheck(delay: .seconds(3), timeout: .milliseconds(300), ignoresCancellation: true)),
        ])], timeout: .seconds(10))
        #expect(report.runbooks[0].steps[0].status == .fail)
        #expect(report.runbooks[0].steps[0].summary.contains("no answer within 300ms"))
    }

    @Test("exit codes follow DESIGN section 2, with --fail-on")
    func exitCodes() async {
        #expect(await run([runbook("r", [step("a", ScriptedCheck())])]).exitCode == 0)
        #expect(await run([runbook("r", [step("a", ScriptedCheck(status: .warn))])]).exitCode == 1)
        #expect(await run([runbook("r", [step("a", ScriptedCheck(status: .warn))])], failOn: .fail).exitCode == 0)
        #expect(await run([runbook("r", [step("a", ScriptedCheck(status: .unknown)), step("b", ScriptedCheck(status: .warn))])]).exitCode == 3)
        #expect(await run([runbook("r", [step("a", ScriptedCheck(status: .unknown)), step("b", ScriptedCheck(status: .fail))])]).exitCode == 2)
        // Nothing checked is never all clear.
        #expect(await run([runbook("r", [step("a", ScriptedCheck(status: .skip))])]).exitCode == 3)
    }

    @Test("cancelling the run ends it promptly with the running steps unknown (cancelled)")
    func cancellation() async {
        let runner = Runner(configuration: Configuration(), http: http, options: RunOptions(timeout: .seconds(30)))
        let slowStarted = Locked(0), quickStarted = Locked(0)
        let task = Task {
            await runner.run([runbook("r", [step("slow", ScriptedCheck(delay: .seconds(10), timeout: .seconds(20), counter: slowStarted)),
                                            step("quick", ScriptedCheck(counter: quickStarted))])])
        }
        // Cancel only once the slow step runs and the quick one has begun (it returns at once).
        let ready = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < ready, slowStarted.withLock({ $0 }) == 0 || quickStarted.withLock({ $0 }) == 0 {
            try? await Task.sleep(for: .milliseconds(10))
        }
        try? await Task.sleep(for: .milliseconds(50))
        let clock = ContinuousClock()
        let start = clock.now
        task.cancel()
        let report = await task.value
        #expect(clock.now - start < .seconds(1))
        #expect(report.runbooks[0].steps[0].status == .unknown)
        #expect(report.runbooks[0].steps[0].summary == "cancelled")
        // What had finished before the cancellation keeps its result.
        #expect(report.runbooks[0].steps[1].status == .pass)
    }
}
