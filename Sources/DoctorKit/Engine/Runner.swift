import Foundation

/// How a run is bounded and what it may do.
public struct RunOptions: Sendable {
    /// The deadline of the whole run (`--timeout`).
    public var timeout: Duration
    /// How many steps may run at once.
    public var concurrency: Int
    /// No step may send an event or write anything (`--read-only`).
    public var readOnly: Bool
    /// Which status makes a non-zero exit.
    public var failOn: FailOn
    /// The deadline as the user gave it (`--timeout`), when `timeout` is what is left of it after
    /// the command's own start-up: the words name the user's figure.
    public var statedTimeout: Duration?
    /// The `payment-canary` steps may create their test payment (`--canary`, or a confirmed
    /// `canary` in the interactive session); without it they say what they would do.
    public var canary = false

    /// Options with the contract's defaults: 60 s, 8 at once, exit non-zero on warnings.
    public init(timeout: Duration = .seconds(60), concurrency: Int = 8, readOnly: Bool = false, failOn: FailOn = .warn) {
        self.timeout = timeout
        self.concurrency = concurrency
        self.readOnly = readOnly
        self.failOn = failOn
    }
}

/// A step starting, finishing or having its result revised, for callers that show progress as it
/// happens.
///
/// A result is final when announced unless a later `.revised` event for the same `runbook/step`
/// replaces it: every sink applies a revision, so a screen, a journal and a report that saw the
/// first verdict all end with the same one (docs/architecture.md, "Results are final when announced").
public enum StepEvent: Sendable {
    /// A step began running (after its dependencies passed and a slot was free).
    case started(runbook: String, step: String)
    /// A step has its result.
    case finished(runbook: String, result: StepResult)
    /// A finished step's result, judged again once the whole run was known; it replaces the earlier one.
    case revised(runbook: String, result: StepResult, reason: StepRevision)
    /// How far a running step has got (`4/10`), for a status line; not a result, never journaled.
    case progress(runbook: String, step: String, detail: String)
}

/// Why the runner revised a result after the run: the passes that need every step's result.
public enum StepRevision: String, Sendable, CaseIterable {
    /// A shape warning withdrawn or confirmed by a live step that proved the value works.
    case corroboration
    /// The run's first request was slow and those after it fast: named as a cold start.
    case coldStart = "cold-start"
    /// A failure that started after the recent deploy another step found.
    case afterDeploy = "after-deploy"

    /// How a person reads the revision (`revised: …`).
    public var phrase: String {
        switch self {
        case .corroboration: "judged again with what the live steps proved"
        case .coldStart: "the run's requests show a cold start"
        case .afterDeploy: "it started after a recent deploy"
        }
    }
}

/// Runs runbooks: steps concurrently as their `needs` allow, under a bound, each within its timeout
/// and all within the run deadline.
///
/// A runner lives as long as a session: a step shared by several runbooks (same fingerprint) runs
/// once and its result is reused.
public final class Runner: Sendable {
    /// The configuration steps read.
    public let configuration: Configuration
    private let http: HTTPClient
    private let options: RunOptions
    private let cache = StepCache()
    /// Shared by every step of every run of this runner (one database session, not one per step).
    public let resources: SharedResources
    /// Variables proved to work by steps of earlier runs of the session (variable → step id): a step
    /// run again alone is judged with them, as it was in the run that proved them.
    private let knownProofs: [String: String]

    /// A runner over the given configuration and client.
    public init(
        configuration: Configuration, http: HTTPClient, options: RunOptions = RunOptions(),
        resources: SharedResources = SharedResources(), knownProofs: [String: String] = [:]
    ) {
        self.knownProofs = knownProofs
        self.configuration = configuration
        self.http = http
        self.options = options
        self.resources = resources
    }

    /// Runs `runbooks` and reports every step; never takes much longer than the run deadline.
    ///
    /// `requestLog` receives every request the run makes to the service (a caller that paces
    /// repeated runs, such as a watch, counts them).
    public func run(
        _ runbooks: [Runbook], session: String = makeSessionID(), requestLog: TargetRequestLog = TargetRequestLog(),
        progress: @escaping @Sendable (StepEvent) -> Void = { _ in }
    ) async -> RunReport {
        let startedAt = Date()
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + options.timeout
        let semaphore = AsyncSemaphore(options.concurrency)
        let logScans = LogScanHub(requests: runbooks.flatMap(\.steps).compactMap { ($0.check as? any LogScanning)?.request },
                                  ownRequests: resources.ownRequests)
        defer { logScans.close() }

        // Every step's task, created in order of the planned chain it heads (longest first), so the
        // step that an http-sample waits on takes one of the first slots rather than one after the
        // run's short steps. A step's chain is never shorter than those of the steps that need it,
        // so each dependency's task still exists before its dependents'.
        let priorities = Self.chainPriorities(runbooks)
        let ordered = runbooks.indices.flatMap { index in Self.dependencyOrder(runbooks[index].steps).map { (index, $0) } }
        let byPriority = ordered.enumerated().sorted { lhs, rhs in
            let (left, right) = (priorities[lhs.element.1.fingerprint] ?? .zero, priorities[rhs.element.1.fingerprint] ?? .zero)
            return left != right ? left > right : lhs.offset < rhs.offset
        }
        var byID = Array(repeating: [String: Task<StepResult, Never>](), count: runbooks.count)
        for (_, (index, step)) in byPriority {
            let runbook = runbooks[index]
            let dependencies = step.needs.compactMap { id in byID[index][id].map { (id, $0) } }
            let priority = priorities[step.fingerprint] ?? .zero
            byID[index][step.id] = Task {
                await self.runStep(step, of: runbook, after: dependencies, priority: priority, deadline: deadline,
                                   semaphore: semaphore, requestLog: requestLog, logScans: logScans, progress: progress)
            }
        }
        let tasks = runbooks.indices.map { index in runbooks[index].steps.map { byID[index][$0.id]! } }
        let everyTask = tasks.flatMap { $0 }

        // The run waits for its steps or the deadline, whichever is first; steps still running then are
        // cancelled and reported unknown, so a hung C call can never hold the run past its deadline.
        let finished = await firstOf(
            { for task in everyTask { _ = await task.value }; return true },
            orAt: deadline + .milliseconds(500), timedOut: { false }, cancelled: { false })
        if !finished { everyTask.forEach { $0.cancel() } }

        var reports: [RunbookReport] = []
        for (runbook, runbookTasks) in zip(runbooks, tasks) {
            var steps: [StepResult] = []
            for (step, task) in zip(runbook.steps, runbookTasks) {
                if finished {
                    steps.append(await task.value)
                } else {
                    let reason = clock.now >= deadline ? "not finished before the run deadline (\((options.statedTimeout ?? options.timeout).short))" : "cancelled"
                    // Detached, so a cancelled run still collects the steps that had finished.
                    let waited = Task.detached {
                        await firstOf({ await task.value }, orAt: clock.now + .milliseconds(100),
                                      timedOut: { Self.result(step, .unknown, reason, startedAt: startedAt, duration: .zero) },
                                      cancelled: { Self.result(step, .unknown, reason, startedAt: startedAt, duration: .zero) })
                    }
                    steps.append(await waited.value)
                }
            }
            reports.append(RunbookReport(
                id: runbook.id, title: runbook.title, status: Status.worst(steps.map(\.status)),
                escalation: runbook.escalation, steps: steps))
        }
        reports = Self.corroborate(reports, runbooks, configuration: configuration, known: knownProofs, progress: progress)
        reports = Self.nameColdStart(reports, requestLog.entries, progress: progress)
        reports = Self.correlateDeploy(reports, progress: progress)
        let status = Status.worst(reports.map(\.status))
        return RunReport(
            status: status, exitCode: ExitStatus(worst: status, failOn: options.failOn).rawValue,
            session: session, startedAt: startedAt, finishedAt: Date(),
            durationMs: Int((clock.now - start).milliseconds), target: configuration.value("API_URL"),
            stripeMode: Self.stripeMode(configuration), notices: configuration.notices, runbooks: reports)
    }

    private func runStep(
        _ step: Step, of runbook: Runbook, after dependencies: [(String, Task<StepResult, Never>)],
        priority: Duration, deadline: ContinuousClock.Instant, semaphore: AsyncSemaphore, requestLog: TargetRequestLog,
        logScans: LogScanHub, progress: @escaping @Sendable (StepEvent) -> Void
    ) async -> StepResult {
        for (id, dependency) in dependencies {
            let result = await dependency.value
            // A warning still answered: only a dependency that failed, was skipped or is unknown blocks.
            if result.status != .pass && result.status != .warn {
                let skipped = Self.result(step, .skip, "skipped: \(id) did not pass (\(result.status.rawValue))",
                                          startedAt: Date(), duration: .zero)
                progress(.finished(runbook: runbook.id, result: skipped))
                return skipped
            }
        }
        let outcome = await cache.outcome(for: step.fingerprint) { [self] () async -> TimedOutcome in
            guard await semaphore.acquire(priority: priority) else {
                return TimedOutcome(outcome: self.interrupted(deadline), startedAt: Date(), duration: .zero)
            }
            defer { semaphore.release() }
            progress(.started(runbook: runbook.id, step: step.id))
            let detail: @Sendable (String) -> Void = { text in progress(.progress(runbook: runbook.id, step: step.id, detail: text)) }
            return await execute(step, deadline: deadline, requestLog: requestLog, logScans: logScans, detail: detail)
        }
        var result = Self.result(step, outcome.outcome.status, outcome.outcome.summary,
                                 startedAt: outcome.startedAt, duration: outcome.duration)
        result.evidence = outcome.outcome.evidence
        if !outcome.outcome.proves.isEmpty { result.proves = outcome.outcome.proves }
        // The runbook's hint is for steps that did not pass; a check's own hint (e.g. "Redis is
        // recommended") is worth showing even on a pass.
        result.hint = outcome.outcome.hint ?? (result.status == .pass || result.status == .skip ? nil : step.hint)
        progress(.finished(runbook: runbook.id, result: result))
        return result
    }

    private func execute(
        _ step: Step, deadline runDeadline: ContinuousClock.Instant, requestLog: TargetRequestLog,
        logScans: LogScanHub, detail: @escaping @Sendable (String) -> Void
    ) async -> TimedOutcome {
        let clock = ContinuousClock()
        let start = clock.now
        let startedAt = Date()
        let ownDeadline = start + step.timeout
        let stepDeadline = min(ownDeadline, runDeadline)
        let context = {
            var context = CheckContext(
                configuration: configuration, http: http, readOnly: options.readOnly, deadline: stepDeadline,
                resources: resources, stepID: step.id, requestLog: requestLog, progress: detail)
            context.logScans = logScans
            context.canary = options.canary
            return context
        }()
        let timeout = step.timeout
        var outcome = await firstOf(
            { await step.check.run(in: context) },
            orAt: stepDeadline + .milliseconds(250),
            timedOut: { CheckOutcome(.fail, "no answer within \(timeout.short)") },
            cancelled: { CheckOutcome(.unknown, "cancelled") })
        let end = clock.now
        // Cut off by the run deadline rather than by its own timeout: the doctor could not finish
        // evaluating, which is unknown, not a failure of the service.
        if runDeadline < ownDeadline, end >= runDeadline - .milliseconds(50), outcome.status == .fail || Task.isCancelled {
            outcome = interrupted(runDeadline, evidence: outcome.evidence)
        }
        return TimedOutcome(outcome: outcome, startedAt: startedAt, duration: end - start)
    }

    private func interrupted(_ deadline: ContinuousClock.Instant, evidence: Evidence = Evidence()) -> CheckOutcome {
        let reason = ContinuousClock.now >= deadline - .milliseconds(50)
            ? "not finished before the run deadline (\((options.statedTimeout ?? options.timeout).short))" : "cancelled"
        return CheckOutcome(.unknown, reason, evidence: evidence,
                            hint: reason == "cancelled" ? nil : "Raise --timeout or run fewer runbooks at once.")
    }

    static func result(_ step: Step, _ status: Status, _ summary: String, startedAt: Date, duration: Duration) -> StepResult {
        StepResult(id: step.id, kind: step.kind, title: step.title, status: status,
                   durationMs: Int(duration.milliseconds), summary: summary, hint: nil, evidence: Evidence(),
                   startedAt: startedAt)
    }

    /// For each step (by fingerprint), the planned duration of the longest chain it heads: its own
    /// `plannedDuration` and that of the longest line of steps waiting on it, the most over every
    /// runbook that holds it (a shared step runs once, for all of them).
    static func chainPriorities(_ runbooks: [Runbook]) -> [String: Duration] {
        var priorities: [String: Duration] = [:]
        for runbook in runbooks {
            // Who waits on each step, once: linear in the runbook, not a search per step.
            var waiting: [String: [String]] = [:]
            for step in runbook.steps { for need in step.needs { waiting[need, default: []].append(step.id) } }
            var chain: [String: Duration] = [:]
            // Reversed, every step comes after the steps that need it.
            for step in dependencyOrder(runbook.steps).reversed() {
                let longest = (waiting[step.id] ?? []).compactMap { chain[$0] }.max() ?? .zero
                let own = step.check.plannedDuration + longest
                chain[step.id] = own
                priorities[step.fingerprint] = max(priorities[step.fingerprint] ?? .zero, own)
            }
        }
        return priorities
    }

    /// Steps ordered so that each comes after the steps it needs (the loader has rejected cycles).
    static func dependencyOrder(_ steps: [Step]) -> [Step] {
        var ordered: [Step] = []
        var placed: Set<String> = []
        var visiting: Set<String> = []
        let byID = Dictionary(steps.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        func place(_ step: Step) {
            guard !placed.contains(step.id), visiting.insert(step.id).inserted else { return }
            for id in step.needs { if let dependency = byID[id] { place(dependency) } }
            visiting.remove(step.id)
            placed.insert(step.id)
            ordered.append(step)
        }
        steps.forEach { place($0) }
        return ordered
    }

    /// `live` or `test` from the Stripe key's prefix.
    public static func stripeMode(_ configuration: Configuration) -> String? {
        configuration.value("STRIPE_SECRET_KEY").flatMap { SecretMask.stripeMode(ofKey: $0) }
    }
}

/// A check's outcome with when it started and how long it took.
struct TimedOutcome: Sendable {
    var outcome: CheckOutcome
    var startedAt: Date
    var duration: Duration
}

/// Remembers each step fingerprint's run, so a step shared by several runbooks runs once per session.
final class StepCache: @unchecked Sendable {
    private let lock = NSLock()
    private var tasks: [String: Task<TimedOutcome, Never>] = [:]

    func outcome(for fingerprint: String, _ operation: @escaping @Sendable () async -> TimedOutcome) async -> TimedOutcome {
        let task = lock.withLock {
            if let existing = tasks[fingerprint] { return existing }
            let task = Task { await operation() }
            tasks[fingerprint] = task
            return task
        }
        return await withTaskCancellationHandler { await task.value } onCancel: { task.cancel() }
    }
}
