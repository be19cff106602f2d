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

    /// Loads, runs and prints; returns the process exit code.
    func execute() async -> Int32 {
        let console = Console(redactor: Redactor(configuration))
        guard let directory = options.runbookDirectory else {
            console.error("no runbooks found: pass --runbooks DIR or set DOCTOR_RUNBOOKS")
            return ExitStatus.unknown.rawValue
        }
        let loader = RunbookLoader(registry: .standard)
        let (runbooks, errors) = loader.loadDirectory(directory)
        if !errors.isEmpty {
            for error in errors { console.error(error.description) }
            console.error("\(errors.count) invalid runbook file\(errors.count == 1 ? "" : "s") in \(directory): fix them or run `doctor lint \(directory)`")
            return ExitStatus.unknown.rawValue
        }
        let selected: [Runbook]
        switch RunbookSelection.select(selection, from: runbooks) {
        case let .success(list): selected = list
        case let .failure(failure):
            console.error("\(failure); known: \(runbooks.map(\.id).joined(separator: ", "))")
            return ExitStatus.usage.rawValue
        }
        guard !selected.isEmpty else {
            console.error("no runbooks in \(directory)")
            return ExitStatus.unknown.rawValue
        }
        if configuration.value("API_URL") == nil {
            console.error("API_URL is not set: set it to the API's base URL (e.g. https://NAME.onrender.com) in the environment or .env; `doctor demo` tries the built-in sandbox")
        }

        let http = HTTPClient()
        defer { http.close() }
        let runner = Runner(configuration: configuration, http: http, options: options.runOptions)
        let report = await runner.run(selected)
        let safe = console.redactor!.redact(report)
        switch options.format {
        case .json:
            console.out(JSONRenderer.render(safe))
        case .text:
            let renderer = TextRenderer(style: TextStyle(color: wantsColor(noColor: options.noColor), verbose: options.verbose))
            for line in preamble { console.out(line) }
            console.out(renderer.render(safe), terminator: "")
        }
        return report.exitCode
    }
}
