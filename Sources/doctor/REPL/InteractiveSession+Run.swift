import DoctorKit
import Foundation

extension InteractiveSession {
    /// `run <runbook>|all`: runs and streams each result as it finishes.
    func run(_ argument: String) {
        guard !argument.isEmpty else {
            refuse("run needs a runbook: \(runbooks.map(\.id).joined(separator: ", ")), or all")
            return
        }
        let selected: [Runbook]
        switch RunbookSelection.select(argument, from: runbooks) {
        case let .success(list): selected = list
        case let .failure(failure):
            refuse("\(failure); `runbooks` lists them")
            return
        }
        guard !selected.isEmpty else {
            refuse("no runbooks to run")
            return
        }
        if configuration.value("API_URL") == nil {
            console.error("API_URL is not set: steps that need it will be unknown (`set API_URL=…`)")
        }
        let recorder = self.recorder
        recorder?.runbooksStarting(selected)
        let printer = StreamPrinter(console: console, renderer: renderer, redactor: redactor,
                                    recorder: recorder, prefixed: selected.count > 1, failOn: setup.options.failOn)
        if selected.count == 1 {
            console.out(renderer.runbookTitle(RunbookReport(id: selected[0].id, title: selected[0].title, status: .skip,
                                                            escalation: nil, steps: [])).trimmingCharacters(in: .newlines))
        }
        if setup.interactive { console.out(renderer.style.dim("(Ctrl-C cancels)")) }
        // A runner per command: shared steps run once within it, and nothing stale is reused later.
        let runner = Runner(configuration: configuration, http: http, options: setup.options,
                            resources: SharedResources(unavailable: setup.unavailable))
        let session = id
        let (raw, cancelled) = waitInterruptibly {
            await runner.run(selected, session: session, progress: { printer.handle($0) })
        }
        let report = printer.finish(raw)
        for runbook in report.runbooks {
            for step in runbook.steps { record(step, runbook: runbook.id) }
        }
        lastRunbook = selected.last?.id
        events.append(.ran(runbooks: selected.map(\.id), at: report.startedAt, durationMs: report.durationMs,
                           status: report.status, cancelled: cancelled))
        console.out(renderer.summary(report).trimmingCharacters(in: .newlines)
            .replacingOccurrences(of: " (exit \(report.exitCode))", with: cancelled ? " (cancelled)" : ""))
    }

    /// `step <id>`: runs one step again, now, ignoring its needs and any earlier result.
    func rerun(_ argument: String) {
        guard let (runbook, step) = resolveStep(argument, command: "step") else { return }
        var single = step
        single.needs = []
        let alone = Runbook(id: runbook.id, title: runbook.title, symptom: runbook.symptom,
                            escalation: runbook.escalation, guide: runbook.guide, steps: [single], file: runbook.file)
        let recorder = self.recorder
        let printer = StreamPrinter(console: console, renderer: renderer, redactor: redactor,
                                    recorder: recorder, prefixed: false, failOn: setup.options.failOn)
        if setup.interactive { console.out(renderer.style.dim("running \(runbook.id)/\(step.id) (Ctrl-C cancels)")) }
        // A fresh runner: its cache is empty, so the step really runs again.
        let runner = Runner(configuration: configuration, http: http, options: setup.options,
                            resources: SharedResources(unavailable: setup.unavailable))
        let session = id
        let (raw, _) = waitInterruptibly {
            await runner.run([alone], session: session, progress: { printer.handle($0) })
        }
        let report = printer.finish(raw)
        guard let result = report.runbooks.first?.steps.first else { return }
        // The same diagnostic in other runbooks (same fingerprint) has the new result too.
        for other in runbooks {
            for same in other.steps where same.fingerprint == step.fingerprint {
                let key = "\(other.id)/\(same.id)"
                if other.id == runbook.id && same.id == step.id || results[key] != nil {
                    var copy = result
                    copy.id = same.id
                    copy.title = same.title
                    record(copy, runbook: other.id)
                    if other.id != runbook.id { recorder?.record(.finished(runbook: other.id, result: redactor.redact(copy))) }
                }
            }
        }
        lastRunbook = runbook.id
        events.append(.reran(runbook: runbook.id, step: step.id, at: result.startedAt, status: result.status))
    }

    /// Keeps `result` as the latest of its step (redacted now, with the secrets known now).
    func record(_ result: StepResult, runbook: String) {
        let key = "\(runbook)/\(result.id)"
        if results[key] == nil { resultOrder.append(key) }
        results[key] = redactor.redact(result)
    }

    /// Runs `operation` on the pool while this thread waits; Ctrl-C cancels it (the runner turns
    /// cancelled steps into unknown, "cancelled") and the wait goes on until it has returned.
    func waitInterruptibly<T: Sendable>(_ operation: @escaping @Sendable () async -> T) -> (T, cancelled: Bool) {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        let task = Task {
            box.set(await operation())
            done.signal()
        }
        var seen = InterruptSignal.count
        var cancelled = false
        while done.wait(timeout: .now()) == .timedOut {
            if InterruptSignal.wait(since: seen, timeout: .milliseconds(50)) {
                seen = InterruptSignal.count
                InterruptSignal.drain()
                if !cancelled {
                    cancelled = true
                    console.out(" cancelling the steps still running…")
                    task.cancel()
                }
            }
        }
        return (box.get()!, cancelled)
    }

    /// Finds the step an argument names: `step`, or `runbook/step`.
    func resolveStep(_ argument: String, command: String) -> (Runbook, Step)? {
        guard !argument.isEmpty else {
            refuse("\(command) needs a step id (Tab completes them), e.g. `\(command) api-health`")
            return nil
        }
        if let slash = argument.firstIndex(of: "/") {
            let runbookID = String(argument[..<slash]), stepID = String(argument[argument.index(after: slash)...])
            guard let runbook = runbooks.first(where: { $0.id == runbookID }) else {
                let suggestion = RunbookSelection.nearest(runbookID, in: runbooks.map(\.id)).map { " (did you mean \"\($0)\"?)" } ?? ""
                refuse("no runbook named \"\(runbookID)\"\(suggestion)")
                return nil
            }
            guard let step = runbook.step(stepID) else {
                let suggestion = RunbookSelection.nearest(stepID, in: runbook.steps.map(\.id)).map { " (did you mean \"\($0)\"?)" } ?? ""
                refuse("\(runbookID) has no step \"\(stepID)\"\(suggestion)")
                return nil
            }
            return (runbook, step)
        }
        let preferred = runbooks.first { $0.id == lastRunbook && $0.step(argument) != nil }
        if let runbook = preferred ?? runbooks.first(where: { $0.step(argument) != nil }) {
            return (runbook, runbook.step(argument)!)
        }
        let suggestion = RunbookSelection.nearest(argument, in: allStepIDs).map { " (did you mean \"\($0)\"?)" } ?? ""
        refuse("no step \"\(argument)\" in any runbook\(suggestion)")
        return nil
    }

    /// Every step id of the loaded runbooks, once each.
    var allStepIDs: [String] {
        var seen: Set<String> = []
        return runbooks.flatMap(\.steps).map(\.id).filter { seen.insert($0).inserted }
    }
}

/// Prints step results as they arrive from the runner's threads, each once, and journals them.
final class StreamPrinter: @unchecked Sendable {
    private let lock = NSLock()
    private var printed: [String: StepResult] = [:]
    private var finished = false
    private let console: Console
    private let renderer: TextRenderer
    private let redactor: Redactor
    private let recorder: SessionRecorder?
    private let prefixed: Bool
    private let failOn: FailOn

    init(console: Console, renderer: TextRenderer, redactor: Redactor, recorder: SessionRecorder?, prefixed: Bool,
         failOn: FailOn) {
        self.failOn = failOn
        self.console = console
        self.renderer = renderer
        self.redactor = redactor
        self.recorder = recorder
        self.prefixed = prefixed
    }

    /// Journals a step event and prints a finished step (a start is not shown: results matter).
    func handle(_ event: StepEvent) {
        switch event {
        case .started:
            lock.withLock { if !finished { recorder?.record(event) } }
        case let .finished(runbook, result):
            lock.withLock {
                guard !finished, printed["\(runbook)/\(result.id)"] == nil else { return }
                printed["\(runbook)/\(result.id)"] = result
                print(result, runbook: runbook)
            }
        }
    }

    /// Stops printing and returns the report as the operator saw it.
    ///
    /// A step whose result was shown keeps that result: when the run is cancelled, the runner
    /// reports every step it was still collecting as cancelled, including some that had finished.
    /// Steps never shown (cut off by the cancellation) are printed now.
    func finish(_ report: RunReport) -> RunReport {
        lock.withLock {
            finished = true
            var merged = report
            for (index, runbook) in report.runbooks.enumerated() {
                merged.runbooks[index].steps = runbook.steps.map { step in
                    if let shown = printed["\(runbook.id)/\(step.id)"] { return shown }
                    print(step, runbook: runbook.id)
                    return step
                }
                merged.runbooks[index].status = Status.worst(merged.runbooks[index].steps.map(\.status))
            }
            merged.status = Status.worst(merged.runbooks.map(\.status))
            merged.exitCode = ExitStatus(worst: merged.status, failOn: failOn).rawValue
            return merged
        }
    }

    private func print(_ result: StepResult, runbook: String) {
        let safe = redactor.redact(result)
        recorder?.record(.finished(runbook: runbook, result: safe))
        // On disk before it is on screen: a killed session still has what the operator saw.
        recorder?.sync()
        let text = renderer.step(safe)
        console.out(prefixed ? renderer.style.dim("\(runbook): ") + text : text)
    }
}

/// A value handed from a task to a waiting thread.
final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T?

    func set(_ newValue: T) { lock.withLock { value = newValue } }
    func get() -> T? { lock.withLock { value } }
}
