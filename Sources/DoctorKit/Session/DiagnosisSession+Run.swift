import Foundation

extension DiagnosisSession {
    /// Loads every runbook of `directory`; the errors carry `file:line:column`.
    public static func loadRunbooks(from directory: String) -> (runbooks: [Runbook], errors: [RunbookError]) {
        RunbookLoader(registry: .standard).loadDirectory(directory)
    }

    /// The runbooks `argument` names (`all`, or ids separated by commas), or why it names none.
    public func select(_ argument: String) -> Result<[Runbook], RunbookSelection.Failure> {
        RunbookSelection.select(argument, from: runbooks)
    }

    /// Runs `selected`, publishing each step's start, result and revision to the sinks as it
    /// happens, and returns the report: redacted, every step's final result, equal step for step to
    /// what the sinks were told.
    ///
    /// `sinks` receive this run's events only (besides the session's own sinks). Cancelling the
    /// calling task cancels the steps still running; they end `unknown`.
    public func run(_ selected: [Runbook], sinks: [any DiagnosisSink] = []) async -> RunReport {
        await run(selected, sinks: sinks, runner: makeRunner())
    }

    /// Runs `selected` with `runner`; `requestLog` collects the run's requests to the service.
    func run(_ selected: [Runbook], sinks: [any DiagnosisSink], runner: Runner,
             requestLog: TargetRequestLog = TargetRequestLog()) async -> RunReport {
        runSinks = sinks
        defer { runSinks = [] }
        recorder?.runbooksStarting(selected)
        announceStart(selected)
        let gate = PublishGate(self)
        let raw = await runner.run(selected, session: id, requestLog: requestLog) { event in gate.publish(event) }
        let counts = Dictionary(requestLog.entries.map { ($0.step, 1) }, uniquingKeysWith: +)
        // A shared step ran once, under one of its ids.
        var byFingerprint: [String: Int] = [:]
        for step in selected.flatMap(\.steps) { byFingerprint[step.fingerprint] = max(byFingerprint[step.fingerprint] ?? 0, counts[step.id] ?? 0) }
        targetRequests.merge(byFingerprint) { $1 }
        return gate.close(raw, failOn: options.failOn)
    }

    /// Runs one step again, now, ignoring its needs and any earlier result; the same diagnostic in
    /// other places that already have a result (same fingerprint) takes the new one too.
    ///
    /// The step is judged with what earlier runs of the session proved (a variable a live step
    /// showed to work), as it was in the run that proved it. A re-run cancelled before it answered
    /// changes only its own result. `canary` lets a `payment-canary` step make its payment (the
    /// user confirmed it); without it the step is a dry run, as in any run without `--canary`.
    public func rerun(_ step: Step, of runbook: Runbook, sinks: [any DiagnosisSink] = [], canary: Bool = false) async -> StepResult? {
        var single = step
        single.needs = []
        let alone = Runbook(id: runbook.id, title: runbook.title, symptom: runbook.symptom,
                            escalation: runbook.escalation, guide: runbook.guide, steps: [single], file: runbook.file)
        // The whole runbook first: the record keeps a runbook's step order from its first start.
        recorder?.runbooksStarting([runbook])
        var options = self.options
        options.canary = canary
        let report = await run([alone], sinks: sinks, runner: makeRunner(knownProofs: provenVariables(), options: options))
        guard let result = report.runbooks.first?.steps.first else { return nil }
        if result.status == .unknown && result.summary == "cancelled" { return result }
        for other in runbooks {
            for same in other.steps where same.fingerprint == step.fingerprint && !(other.id == runbook.id && same.id == step.id)
                && latest["\(other.id)/\(same.id)"] != nil {
                var copy = result
                copy.id = same.id
                copy.title = same.title
                publish(.finished(runbook: other.id, result: copy))
            }
        }
        return result
    }

    /// Records what the run saw of the systems and, when it had problems, puts in `report` what
    /// changed since the last good run (the session's earlier runs' look at each area included).
    func recordState(_ report: inout RunReport) {
        guard let recorder else { return }
        let state = StateSnapshot(report)
        recorder.snapshot(state)
        let merged = (try? recorder.current())?.snapshot ?? state
        report.changes = SessionDiff.sinceLastGood(report, snapshot: merged, mode: mode, in: recorder.store)
    }

    /// `report` brought up to date: each step's latest result in the session (a watch re-ran it),
    /// the statuses and the exit code recomputed, the end time now.
    public func refreshed(_ report: RunReport) -> RunReport {
        var report = report
        for index in report.runbooks.indices {
            let runbook = report.runbooks[index].id
            report.runbooks[index].steps = report.runbooks[index].steps.map { latest["\(runbook)/\($0.id)"] ?? $0 }
            report.runbooks[index].status = Status.worst(report.runbooks[index].steps.map(\.status))
        }
        report.status = Status.worst(report.runbooks.map(\.status))
        report.exitCode = ExitStatus(worst: report.status, failOn: options.failOn).rawValue
        report.finishedAt = Date()
        report.durationMs = Int((report.finishedAt.timeIntervalSince(report.startedAt) * 1000).rounded())
        return report
    }

    /// The variables the session's latest results proved to work, with the step that proved each.
    func provenVariables() -> [String: String] {
        var proofs: [String: String] = [:]
        for (_, result) in results {
            for variable in result.proves ?? [] where proofs[variable] == nil { proofs[variable] = result.id }
        }
        return proofs
    }
}

/// Serialises the runner's concurrent events into the session, and remembers what each step was
/// last announced as, so the report a run returns is what was announced.
final class PublishGate: @unchecked Sendable {
    private let lock = NSLock()
    private let session: DiagnosisSession
    private var announced: [String: StepResult] = [:]
    private var closed = false

    init(_ session: DiagnosisSession) { self.session = session }

    func publish(_ event: StepEvent) {
        lock.withLock {
            guard !closed else { return }
            switch event {
            case .started, .progress: break
            case let .finished(runbook, result), let .revised(runbook, result, _):
                announced["\(runbook)/\(result.id)"] = result
            }
            session.publish(event)
        }
    }

    /// Ends publishing and returns the run's report as announced.
    ///
    /// A cancelled run's report marks every step it was still collecting as cancelled, some of
    /// which had finished and been announced: those keep their announced result. A step that was
    /// never announced (cut off) is announced now, so no sink misses it.
    func close(_ raw: RunReport, failOn: FailOn) -> RunReport {
        lock.withLock {
            var report = session.redactor.redact(raw)
            for index in report.runbooks.indices {
                let runbook = report.runbooks[index].id
                report.runbooks[index].steps = report.runbooks[index].steps.map { step in
                    if let shown = announced["\(runbook)/\(step.id)"] { return session.redactor.redact(shown) }
                    session.publish(.finished(runbook: runbook, result: step))
                    return step
                }
                report.runbooks[index].status = Status.worst(report.runbooks[index].steps.map(\.status))
            }
            closed = true
            // A record that lost events says so in the report too, not only on standard error.
            session.recorder?.sync()
            if let failure = session.recorder?.writeFailure, !report.notices.contains(failure) { report.notices.append(failure) }
            report.status = Status.worst(report.runbooks.map(\.status))
            report.exitCode = ExitStatus(worst: report.status, failOn: failOn).rawValue
            session.recordState(&report)
            session.announce(report)
            return report
        }
    }
}
