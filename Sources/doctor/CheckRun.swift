import ArgumentParser
import DoctorKit
import Foundation

/// Runs runbooks non-interactively and prints the report: the body of `--check` and `demo`.
struct CheckRun {
    var options: RunOptionsGroup
    var configuration: Configuration
    var selection: String
    /// Printed before the report (e.g. where the sandbox listens).
    var preamble: [String] = []
    /// How the session is recorded: `check` or `demo`.
    var mode = "check"
    /// Print the report (false when another command only needs the session recorded).
    var printReport = true
    /// Which runbooks to run when `selection` is empty: those feeding this escalation.
    var feeding: Escalation?
    /// Whether `--timeout` counts the command's start-up; the demo's sandbox and throwaway database
    /// take seconds to start, and that is not the diagnosis's time.
    var countsStartup = true
    /// What the steps may not use: the demo marks the database absent here when it has none.
    var unavailable: [String: String] = [:]
    /// After the run, re-run what did not pass until it passes or this watch's deadline
    /// (`--until-pass`, `doctor watch`).
    var watch: WatchOptions?

    /// How many sessions to keep (`DOCTOR_KEEP_SESSIONS`).
    var keepSessions: Int {
        ProcessInfo.processInfo.environment["DOCTOR_KEEP_SESSIONS"].flatMap(Int.init) ?? SessionRecorder.defaultKeep
    }

    /// Loads, runs and prints; returns the process exit code.
    func execute() async -> Int32 { await run().exitCode }

    /// Loads, runs and prints; returns the process exit code and the recorded session, if any.
    func run() async -> (exitCode: Int32, session: String?) {
        let console = Console(redactor: Redactor(configuration))
        guard let directory = options.runbookDirectory else {
            console.error("no runbooks found: pass --runbooks DIR or set DOCTOR_RUNBOOKS")
            return (ExitStatus.unknown.rawValue, nil)
        }
        let (runbooks, errors) = DiagnosisSession.loadRunbooks(from: directory)
        if !errors.isEmpty {
            for error in errors { console.error(error.description) }
            console.error("\(errors.count) invalid runbook file\(errors.count == 1 ? "" : "s") in \(directory): fix them or run `doctor lint \(directory)`")
            return (ExitStatus.unknown.rawValue, nil)
        }
        // What the run is doing, on a terminal, while it runs; cleared before the report is printed
        // and before any message, so no message is glued to it.
        let status = StatusLine.make(disabled: options.noProgress || !printReport,
                                     machineOutput: options.format != .text && options.output == nil, cancelHint: false,
                                     color: !options.noColor)
        let session = DiagnosisSession(mode: mode, configuration: configuration, runbooks: runbooks,
                                       options: countsStartup ? options.commandRunOptions : options.runOptions,
                                       unavailable: unavailable, recording: .eager, keep: keepSessions,
                                       onRecordingProblem: { message in
                                           if let status { status.withCleared { console.error(message) } } else { console.error(message) }
                                       })
        let chosen = feeding.map { team in runbooks.filter { $0.escalation == team }.map(\.id).joined(separator: ",") } ?? selection
        let selected: [Runbook]
        switch session.select(chosen) {
        case let .success(list): selected = list
        case let .failure(failure):
            console.error("\(failure); known: \(runbooks.map(\.id).joined(separator: ", "))")
            return (ExitStatus.usage.rawValue, nil)
        }
        guard !selected.isEmpty else {
            console.error("no runbooks in \(directory)")
            return (ExitStatus.unknown.rawValue, nil)
        }
        if configuration.value("API_URL") == nil {
            console.error("API_URL is not set: set it to the API's base URL (e.g. https://NAME.onrender.com) in the environment or .env; `doctor demo` tries the built-in sandbox")
        }
        // A session that cannot be recorded (read-only home, full disk) must not stop the diagnosis.
        session.diagnostics.forEach { console.error($0) }
        var report = await session.run(selected, sinks: status.map { [$0] } ?? [])
        status?.stop()
        if let watch {
            // Changes as they happen: on standard output beside a text report, else on standard
            // error, so a JSON document or a textfile stays whole.
            let toStandardOutput = printReport && options.format == .text && options.output == nil
            let screen = Console(redactor: session.redactor)
            _ = await session.watch(selected, options: watch) { event in
                if toStandardOutput { screen.out(event.line) } else { screen.raw(event.line + "\n") }
            }
            report = session.refreshed(report)
        }
        let recordedBefore = session.diagnostics.count
        report.notePath = session.finish(exitCode: report.exitCode)
        if let path = report.notePath, let copy = options.note {
            do {
                try SessionStore.writeFile(String(contentsOfFile: path, encoding: .utf8), to: copy)
            } catch {
                console.error("incident note not copied to \(copy): \(error.localizedDescription)")
            }
        }
        session.diagnostics.dropFirst(recordedBefore).forEach { console.error($0) }
        let recorded = session.isRecording ? session.id : nil
        guard printReport else { return (report.exitCode, recorded) }
        let rendered: String
        switch options.format {
        case .json: rendered = JSONRenderer.render(report) + "\n"
        case .junit: rendered = JUnitRenderer.render(report)
        case .prometheus: rendered = PrometheusRenderer.render(report)
        case .text:
            let renderer = TextRenderer(style: TextStyle(color: options.output == nil && wantsColor(noColor: options.noColor), verbose: options.verbose))
            rendered = preamble.map { $0 + "\n" }.joined() + renderer.render(report)
                + (report.notePath.map { "Incident note: \($0)\n" } ?? "")
        }
        if let output = options.output {
            do {
                try SessionStore.writeFile(session.redactor.redact(rendered), to: output, mode: 0o644)
            } catch {
                console.error("cannot write the report: \(error.localizedDescription)")
                return (ExitStatus.unknown.rawValue, nil)
            }
        } else {
            console.out(rendered, terminator: "")
        }
        return (report.exitCode, recorded)
    }
}
