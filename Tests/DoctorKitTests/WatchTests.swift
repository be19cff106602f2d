import Foundation
import Testing
@testable import DoctorKit

/// A check that answers each run with the next status of its script (the last one repeats) and
/// counts its runs: a service that gets fixed between two rounds of a watch.
struct ChangingCheck: Check {
    var script: Locked<[Status]>
    var runs = Locked(0)
    var evidence = Evidence()
    var timeout: Duration { .seconds(5) }

    init(_ statuses: [Status], evidence: Evidence = Evidence()) {
        script = Locked(statuses)
        self.evidence = evidence
    }

    func run(in context: CheckContext) async -> CheckOutcome {
        runs.withLock { $0 += 1 }
        let status = script.withLock { script in script.count > 1 ? script.removeFirst() : script[0] }
        return CheckOutcome(status, status == .pass ? "the secrets match" : "scripted \(status.rawValue)", evidence: evidence)
    }
}

private func changing(_ id: String, _ check: ChangingCheck, needs: [String] = []) -> Step {
    Step(id: id, title: "Step \(id)", kind: "scripted", check: check, needs: needs, hint: "fix \(id)",
         parameters: .object([("id", .string(id))]), location: SourceLocation(file: "test.yml", line: 1, column: 1))
}

/// Collects a watch's events for a test to read.
private final class WatchLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [WatchEvent] = []
    func add(_ event: WatchEvent) { lock.withLock { events.append(event) } }
    var lines: [String] { lock.withLock { events.map(\.line) } }
    var changes: [StatusChange] { lock.withLock { events.compactMap { if case let .change(change) = $0 { change } else { nil } } } }
}

private let quick = WatchOptions(firstInterval: .milliseconds(50), maxInterval: .milliseconds(200), deadline: .seconds(10))

@Suite("Watch")
struct WatchTests {
    func session(_ runbooks: [Runbook], failOn: FailOn = .warn, store: SessionStore = temporaryStore()) -> DiagnosisSession {
        DiagnosisSession(mode: "check", configuration: Configuration(), runbooks: runbooks,
                         options: RunOptions(timeout: .seconds(10), failOn: failOn), store: store)
    }

    @Test("re-runs what did not pass until it passes, says each change with its UTC time, journals it and exits 0")
    func untilFixed() async throws {
        let secret = ChangingCheck([.fail, .fail, .pass])
        let healthy = ChangingCheck([.pass])
        let book = runbook("webhooks", [changing("api-health", healthy), changing("webhook-secret-match", secret, needs: ["api-health"])])
        let store = temporaryStore()
        let diagnosis = session([book], store: store)
        let first = await diagnosis.run([book])
        #expect(first.exitCode == 2)
        let log = WatchLog()
        let outcome = await diagnosis.watch([book], options: quick) { log.add($0) }
        #expect(outcome.reason == .passed)
        #expect(outcome.exitCode == 0)
        #expect(outcome.rounds == 2)
        #expect(diagnosis.exitCode == 0)
        // What it needs ran again with it, every round.
        #expect(healthy.runs.withLock { $0 } == 3)
        #expect(secret.runs.withLock { $0 } == 3)
        let change = try #require(log.changes.first)
        #expect(log.changes.count == 1)
        #expect(change.line.range(of: #"^\d\d:\d\d:\d\d webhook-secret-match ✗→✓ the secrets match$"#, options: .regularExpression) != nil)
        #expect(log.lines.first?.hasPrefix("watching 2 steps every") == true)
        #expect(log.lines.first?.contains("% of its rate limit") == true)
        #expect(log.lines.last?.hasPrefix("all passing after 2 rounds") == true)

        let path = try #require(diagnosis.finish())
        let record = try store.load(diagnosis.id)
        #expect(record.changes.map(\.step) == ["webhook-secret-match"])
        #expect(record.allSteps.first { $0.step.id == "webhook-secret-match" }?.step.status == .pass)
        let note = try String(contentsOfFile: path, encoding: .utf8)
        #expect(note.contains("## Watched"))
        #expect(note.contains("webhooks/webhook-secret-match fail → pass: the secrets match"))
    }

    @Test("the deadline ends it with the last state and its usual exit code")
    func deadline() async {
        let broken = ChangingCheck([.fail])
        let book = runbook("r", [changing("a", broken), changing("b", ChangingCheck([.pass]))])
        let diagnosis = session([book])
        let clock = ContinuousClock()
        let start = clock.now
        let outcome = await diagnosis.watch([book], options: WatchOptions(firstInterval: .milliseconds(100), maxInterval: .milliseconds(400),
                                                                          deadline: .seconds(1)))
        #expect(outcome.reason == .deadline)
        #expect(outcome.exitCode == 2)
        #expect(outcome.failing == ["r/a"])
        #expect(outcome.rounds >= 2)
        #expect(clock.now - start < .milliseconds(2500))
        // Only what did not pass is re-run: `b` ran once, in the first run of the runbook.
        #expect(broken.runs.withLock { $0 } == outcome.rounds + 1)
    }

    @Test("a watch with nothing failing ends at once")
    func nothingToWatch() async {
        let book = runbook("r", [changing("a", ChangingCheck([.pass]))])
        let diagnosis = session([book])
        let outcome = await diagnosis.watch([book], options: quick)
        #expect(outcome.reason == .passed)
        #expect(outcome.rounds == 0)
        #expect(outcome.exitCode == 0)
    }

    @Test("a warning is watched unless only failures make a non-zero exit")
    func warnings() async {
        let book = runbook("r", [changing("a", ChangingCheck([.warn]))])
        let lenient = session([book], failOn: .fail)
        #expect(await lenient.watch([book], options: quick).rounds == 0)
        let strict = session([book])
        let outcome = await strict.watch([book], options: WatchOptions(firstInterval: .milliseconds(50), deadline: .milliseconds(300)))
        #expect(outcome.reason == .deadline)
        #expect(outcome.exitCode == 1)
    }

    @Test("cancelling ends it cleanly: the cut-off round leaves the last real result, recorded")
    func cancelled() async throws {
        let slow = SlowAfterFirst()
        let book = runbook("r", [Step(id: "a", title: "a", kind: "scripted", check: slow, location: SourceLocation(file: "t", line: 1, column: 1))])
        let diagnosis = session([book])
        let task = Task { await diagnosis.watch([book], options: quick) }
        try await Task.sleep(for: .milliseconds(400))
        task.cancel()
        let outcome = await task.value
        #expect(outcome.reason == .cancelled)
        #expect(outcome.exitCode == 2)
        #expect(diagnosis.latest["r/a"]?.status == .fail)
        let record = try #require(diagnosis.record())
        #expect(record.allSteps.first?.step.summary == "scripted fail")
    }

    @Test("the pace keeps the service's share small and honours Retry-After and an exhausted RateLimit-Remaining")
    func pacing() {
        #expect(WatchOptions.pacedInterval(requestsPerRound: 0) == .zero)
        #expect(WatchOptions.pacedInterval(requestsPerRound: 3) == .seconds(9))
        let pace = WatchPace(steps: 3, shortest: .seconds(9), longest: .seconds(60), requestsPerRound: 3, until: Date())
        #expect(pace.requestsPerMinute == 20)
        #expect(pace.share == 20)
        #expect(pace.line.contains("every 9–60 s"))
        #expect(pace.line.contains("at most 20 requests a minute to the service, 20 % of its rate limit"))

        var limited = Evidence()
        limited["retry-after"] = .string("30")
        #expect(RateLimitHint.wait(in: [result("a", .fail, evidence: limited)], requestsPerRound: 1) == .seconds(30))
        var exhausted = Evidence()
        exhausted["ratelimit-remaining"] = .string("0")
        exhausted["ratelimit-reset"] = .string("42")
        #expect(RateLimitHint.wait(in: [result("a", .fail, evidence: exhausted)], requestsPerRound: 1) == .seconds(42))
        var plenty = Evidence()
        plenty["ratelimit-remaining"] = .string("90")
        #expect(RateLimitHint.wait(in: [result("a", .fail, evidence: plenty)], requestsPerRound: 1) == nil)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let later = UTCTime.string(now.addingTimeInterval(20), .http)
        #expect(RateLimitHint.retryAfter(later, now: now) == .seconds(20))
    }

    @Test("bad intervals and deadlines are refused in one line")
    func validation() {
        #expect(WatchOptions().problem == nil)
        #expect(WatchOptions(firstInterval: .milliseconds(10)).problem != nil)
        #expect(WatchOptions(firstInterval: .seconds(90), maxInterval: .seconds(60)).problem != nil)
        #expect(WatchOptions(deadline: .seconds(90_000)).problem != nil)
    }
}

/// Fails at once the first time, then hangs until cancelled: a round cut off by Ctrl-C.
private struct SlowAfterFirst: Check {
    let runs = Locked(0)
    var timeout: Duration { .seconds(5) }
    func run(in context: CheckContext) async -> CheckOutcome {
        let run = runs.withLock { $0 += 1; return $0 }
        if run > 1 {
            try? await Task.sleep(for: .seconds(5))
            if Task.isCancelled { return CheckOutcome(.unknown, "cancelled") }
        }
        return CheckOutcome(.fail, "scripted fail")
    }
}
