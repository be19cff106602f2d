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
        _ = recorder
        let status = statusLine()
        let printer = StreamingTextSink(console: console, renderer: renderer, prefixed: selected.count > 1, status: status)
        if selected.count == 1 {
            console.out(renderer.runbookTitle(RunbookReport(id: selected[0].id, title: selected[0].title, status: .skip,
                                                            escalation: nil, steps: [])).trimmingCharacters(in: .newlines))
        }
        if setup.interactive { console.out(renderer.style.dim("(Ctrl-C cancels)")) }
        let diagnosis = self.diagnosis
        let (report, cancelled) = waitInterruptibly(status) {
            await diagnosis.run(selected, sinks: [printer] + (status.map { [$0] } ?? []))
        }
        status?.stop()
        lastRunbook = selected.last?.id
        events.append(.ran(runbooks: selected.map(\.id), at: report.startedAt, durationMs: report.durationMs,
                           status: report.status, cancelled: cancelled))
        console.out(renderer.conclusion(report).trimmingCharacters(in: .newlines)
            .replacingOccurrences(of: " (exit \(report.exitCode))", with: cancelled ? " (cancelled)" : ""))
    }

    /// `step <id>`: runs one step again, now, ignoring its needs and any earlier result.
    func rerun(_ argument: String) {
        guard let (runbook, step) = resolveStep(argument, command: "step") else { return }
        _ = recorder
        let status = statusLine()
        let printer = StreamingTextSink(console: console, renderer: renderer, prefixed: false, status: status)
        if setup.interactive { console.out(renderer.style.dim("running \(runbook.id)/\(step.id) (Ctrl-C cancels)")) }
        let diagnosis = self.diagnosis
        let (result, _) = waitInterruptibly(status) {
            await diagnosis.rerun(step, of: runbook, sinks: [printer] + (status.map { [$0] } ?? []))
        }
        status?.stop()
        guard let result else { return }
        lastRunbook = runbook.id
        events.append(.reran(runbook: runbook.id, step: step.id, at: result.startedAt, status: result.status))
    }

    /// The status line of one command, on a terminal (an interactive session only).
    func statusLine() -> StatusLine? {
        guard setup.interactive else { return nil }
        return StatusLine.make(disabled: !setup.progress, machineOutput: false, cancelHint: true, color: setup.color,
                               environment: setup.environment)
    }

    /// Runs `operation` on the pool while this thread waits; Ctrl-C cancels it (the runner turns
    /// cancelled steps into unknown, "cancelled") and the wait goes on until it has returned.
    func waitInterruptibly<T: Sendable>(
        _ status: StatusLine? = nil, _ operation: @escaping @Sendable () async -> T
    ) -> (T, cancelled: Bool) {
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
                    let console = self.console
                    if let status { status.withCleared { console.out(" cancelling the steps still running…") } } else {
                        console.out(" cancelling the steps still running…")
                    }
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

/// Prints a run's events as they arrive: each result once, and a revision as a line saying why
/// followed by the revised result, so the screen ends where the report, journal and note end.
final class StreamingTextSink: DiagnosisSink, @unchecked Sendable {
    private let lock = NSLock()
    private let console: Console
    private let renderer: TextRenderer
    private let prefixed: Bool
    private let status: StatusLine?
    /// The runbook each result was first shown under, so a step shared by several runbooks is
    /// printed once rather than once per runbook (the closing diagnosis names them all).
    private var shown: [String: String] = [:]

    init(console: Console, renderer: TextRenderer, prefixed: Bool, status: StatusLine? = nil) {
        self.status = status
        self.console = console
        self.renderer = renderer
        self.prefixed = prefixed
    }

    func receive(_ event: StepEvent) {
        lock.withLock {
            switch event {
            case .started, .progress: break
            case let .finished(runbook, result):
                let identity = Finding.identity(of: result)
                if let first = shown[identity], first != runbook { return }
                shown[identity] = runbook
                print(result, runbook: runbook)
            case let .revised(runbook, result, reason):
                let identity = Finding.identity(of: result)
                if let first = shown[identity], first != runbook { return }
                shown[identity] = runbook
                let note = renderer.style.dim("↻ \(runbook)/\(result.id) revised: \(reason.phrase)")
                if let status { status.withCleared { console.out(note) } } else { console.out(note) }
                print(result, runbook: runbook)
            }
        }
    }

    private func print(_ result: StepResult, runbook: String) {
        let text = renderer.step(result)
        let line = prefixed ? renderer.style.dim("\(runbook): ") + text : text
        if let status { status.withCleared { console.out(line) } } else { console.out(line) }
    }
}

/// A value handed from a task to a waiting thread.
final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T?

    func set(_ newValue: T) { lock.withLock { value = newValue } }
    func get() -> T? { lock.withLock { value } }
}
