import Foundation

extension DiagnosisSession {
    /// Re-runs what did not pass in `selected` until it all passes, the deadline comes or the
    /// calling task is cancelled, and tells `onEvent` the pace, each change of status as it
    /// happens, and the end.
    ///
    /// Each round re-runs the steps that did not pass, the steps they need and those skipped
    /// because of them, through the session's normal run path: every sink, the journal and the
    /// note see the new results, and each change is journaled too. Runbooks of `selected` that
    /// have not run in the session run whole first. The pause starts at `firstInterval`, doubles
    /// while nothing changes up to `maxInterval`, is never shorter than keeps the requests to the
    /// service within `WatchOptions.budgetPerMinute`, and waits as long as a `Retry-After` or an
    /// exhausted `RateLimit-Remaining` asks. A round cut off by cancellation leaves every step
    /// its last real result, so the record ends on the last state seen.
    public func watch(
        _ selected: [Runbook], options watch: WatchOptions = WatchOptions(), sinks: [any DiagnosisSink] = [],
        onEvent: @escaping @Sendable (WatchEvent) -> Void = { _ in }
    ) async -> WatchOutcome {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + watch.deadline
        let until = Date().addingTimeInterval(Double(watch.deadline.milliseconds) / 1000)
        var rounds = 0
        var changes: [StatusChange] = []
        func end(_ reason: WatchOutcome.Reason, _ plan: WatchPlan) -> WatchOutcome {
            let outcome = WatchOutcome(reason: reason, rounds: rounds, changes: changes, failing: plan.failing,
                                       exitCode: exitCode, elapsed: clock.now - start)
            onEvent(.ended(outcome))
            return outcome
        }

        let unrun = selected.filter { runbook in runbook.steps.contains { latest["\(runbook.id)/\($0.id)"] == nil } }
        if !unrun.isEmpty {
            _ = await run(unrun, sinks: sinks, runner: makeRunner(options: roundOptions(until: deadline)))
        }
        var plan = WatchPlan(selected, latest: latest, failOn: options.failOn)
        if Task.isCancelled { return end(.cancelled, plan) }
        if plan.isSettled { return end(.passed, plan) }

        var pace = watchPace(for: plan, options: watch, until: until)
        onEvent(.pace(pace))
        let now = Date()
        for key in plan.failing { if let result = latest[key] { onEvent(.failing(runbook: runbookOf[key] ?? "", result: result, time: now)) } }
        var pause = pace.shortest
        // The service may already have asked to be left alone in the run the watch starts from.
        var hint = RateLimitHint.wait(in: plan.failing.compactMap { latest[$0] }, requestsPerRound: pace.requestsPerRound)

        while true {
            let wait = max(pause, hint ?? .zero)
            guard clock.now + wait < deadline else {
                // Nothing more can be learned before the deadline: stop at it, not before.
                if (try? await Task.sleep(until: deadline, clock: clock)) == nil { return end(.cancelled, plan) }
                return end(.deadline, plan)
            }
            if (try? await Task.sleep(for: wait)) == nil { return end(.cancelled, plan) }

            let before = latest
            let requestLog = TargetRequestLog()
            let report = await run(plan.runbooks, sinks: sinks, runner: makeRunner(knownProofs: provenVariables(), options: roundOptions(until: deadline)),
                                   requestLog: requestLog)
            rounds += 1
            if Task.isCancelled {
                restore(report, from: before)
                return end(.cancelled, WatchPlan(selected, latest: latest, failOn: options.failOn))
            }
            let seen = record(changesFrom: before, in: report)
            changes += seen
            seen.forEach { onEvent(.change($0)) }

            plan = WatchPlan(selected, latest: latest, failOn: options.failOn)
            if plan.isSettled { return end(.passed, plan) }
            let measured = requestLog.entries.count
            hint = RateLimitHint.wait(in: report.runbooks.flatMap(\.steps), requestsPerRound: measured)
            let paced = watchPace(for: plan, options: watch, until: until)
            if paced.shortest > pace.shortest || paced.steps != pace.steps {
                // A round that made more requests than the first, or fewer steps left: say the new pace.
                pace = paced
                onEvent(.pace(pace))
            }
            pause = seen.isEmpty ? min(pause * 2, pace.longest) : pace.shortest
            pause = max(pause, pace.shortest)
        }
    }

    /// The pace of `plan`: the options' intervals, slowed to keep its requests within the budget.
    private func watchPace(for plan: WatchPlan, options watch: WatchOptions, until: Date) -> WatchPace {
        // A request that never reached the service (refused, unresolved) is not counted: it costs
        // the service's limiter nothing.
        let requests = plan.runbooks.flatMap(\.steps).reduce(into: [String: Int]()) { counts, step in
            counts[step.fingerprint] = targetRequests[step.fingerprint] ?? 0
        }.values.reduce(0, +)
        let shortest = max(watch.firstInterval, WatchOptions.pacedInterval(requestsPerRound: requests))
        return WatchPace(steps: plan.stepCount, shortest: shortest, longest: max(watch.maxInterval, shortest),
                         requestsPerRound: requests, until: until)
    }

    /// A round's run options: the session's, its deadline no later than the watch's.
    private func roundOptions(until deadline: ContinuousClock.Instant) -> RunOptions {
        var round = options
        let stated = options.statedTimeout ?? options.timeout
        round.timeout = max(.milliseconds(100), min(stated, deadline - ContinuousClock.now))
        round.statedTimeout = nil
        return round
    }

    /// The changes of status between `before` and the session's latest results for the steps of
    /// `report`, each journaled once (a step shared by several runbooks changes once).
    private func record(changesFrom before: [String: StepResult], in report: RunReport) -> [StatusChange] {
        var changes: [StatusChange] = []
        var seen = Set<String>()
        let now = Date()
        for runbook in report.runbooks {
            for step in runbook.steps {
                let key = "\(runbook.id)/\(step.id)"
                guard let old = before[key], let new = latest[key], old.status != new.status else { continue }
                guard seen.insert("\(step.id) \(old.status) \(new.status) \(new.summary)").inserted else { continue }
                let change = StatusChange(runbook: runbook.id, step: step.id, from: old.status, to: new.status,
                                          summary: new.summary, time: now)
                recorder?.statusChange(change)
                changes.append(change)
            }
        }
        return changes
    }

    /// Puts back the last real result of every step a cancelled round cut off: Ctrl-C ends the
    /// watch, it does not make the service unknown.
    private func restore(_ report: RunReport, from before: [String: StepResult]) {
        for runbook in report.runbooks {
            for step in runbook.steps where step.status == .unknown && step.summary == "cancelled" {
                guard let old = before["\(runbook.id)/\(step.id)"] else { continue }
                publish(.finished(runbook: runbook.id, result: old))
            }
        }
        recorder?.sync()
    }
}
