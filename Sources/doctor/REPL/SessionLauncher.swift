import DoctorKit
import Foundation

/// Starts an interactive (or scripted) session from the command line: `doctor` with no `--check`,
/// and `doctor demo --interactive`.
enum SessionLauncher {
    /// Loads the runbooks, runs the session on a thread of its own and returns its exit code.
    static func start(options: RunOptionsGroup, configuration: Configuration, practice: String? = nil,
                      unavailable: [String: String] = [:]) async -> Int32 {
        let console = Console(redactor: Redactor(configuration))
        let directory = options.runbookDirectory
        var runbooks: [Runbook] = []
        if let directory {
            let (found, errors) = RunbookLoader(registry: .standard).loadDirectory(directory)
            for error in errors { console.error(error.description) }
            if !errors.isEmpty {
                console.error("\(errors.count) invalid runbook file\(errors.count == 1 ? "" : "s") skipped: `doctor lint \(directory)` shows them all")
            }
            runbooks = found
        }
        let setup = InteractiveSession.Setup(
            configuration: configuration, runbooks: runbooks, runbookDirectory: directory,
            options: options.runOptions, color: wantsColor(noColor: options.noColor), verbose: options.verbose,
            interactive: Console.stdinIsTerminal, practice: practice, unavailable: unavailable,
            progress: !options.noProgress)
        return await withCheckedContinuation { continuation in
            // libedit blocks in read() and is not thread-safe: the whole session lives on this thread,
            // off the cooperative pool, and Ctrl-C is delivered to it.
            let thread = Thread {
                let code = InteractiveSession(setup).run()
                continuation.resume(returning: code)
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
}
