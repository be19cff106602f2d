import ArgumentParser
import DoctorKit
import Foundation

/// The on-call engineer's troubleshooting assistant for the payment API.
@main
struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Diagnose the payment API: health, configuration, Stripe webhooks, database, latency.",
        discussion: """
            Runs structured runbooks against the service named by API_URL (and the service's other
            variables, from the environment or a .env file) and reports each step.

            With no --check, `doctor` starts an interactive session on a terminal (`help` lists its
            commands); with standard input not a terminal it reads the same commands line by line
            (`doctor < commands.txt`).

            Examples:
              doctor                                  interactive session
              doctor --check all                      run every runbook
              doctor --check webhooks-not-arriving    run one runbook
              doctor --check all --format json        for scripts: one JSON document
              doctor --check webhooks-not-arriving --until-pass 10m
                                                      after a fix: re-run what failed until it passes
              doctor watch                            the same for every runbook
              doctor --check missing-db-records --canary
                                                      with a test payment followed to its rows (test mode)
              doctor replay                           the missed events a session found (a dry run)
              doctor demo --fault wrong-secret        watch it find a fault in the built-in sandbox
              doctor lint runbooks/                   validate runbook files

            Exit codes: 0 all passed, 1 warnings, 2 failures, 3 unknown (could not check, or invalid
            runbooks/configuration), 64 usage error.
            """,
        version: VersionText.text,
        subcommands: [RunbooksCommand.self, LintCommand.self, DemoCommand.self, WatchCommand.self, ReplayCommand.self, EscalateCommand.self, SessionsCommand.self, NoteCommand.self, DiffCommand.self]
    )

    @Option(name: .long, help: ArgumentHelp("Run runbooks without prompts: `all` or ids separated by commas.", valueName: "ids"))
    var check: String?

    @OptionGroup var options: RunOptionsGroup

    @OptionGroup var watching: WatchOptionsGroup

    /// Parses the arguments and runs the command, the async ones on the global executor.
    ///
    /// A synchronous entry point, not `async main`: Swift's async main hands the main thread to
    /// `dispatch_main`, which ends it with `pthread_exit`, and the forced unwind of its stack reads
    /// the binary's unwind tables, half a megabyte of pages for nothing. The main thread waits
    /// instead; nothing in the doctor runs on the main actor or the main queue.
    static func main() {
        _ = ProcessClock.start
        // A closed pipe must surface as a failed write, not end the process with 141.
        signal(SIGPIPE, SIG_IGN)
        var command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exitRedacted(error)
        }
        guard let asyncCommand = command as? AsyncParsableCommand else {
            do {
                try command.run()
            } catch {
                exitRedacted(error)
            }
            exit()
        }
        let outcome = AsyncOutcome(asyncCommand)
        Task.detached { await outcome.run() }
        outcome.wait()
        if let error = outcome.error { exitRedacted(error) }
        exit()
    }

    /// Ends the process as `exit(withError:)` would, with the message passed through the redactor:
    /// a usage error echoes the value it rejects (`--timeout sk_live_…` given by mistake).
    static func exitRedacted(_ error: Error) -> Never {
        let message = fullMessage(for: error)
        let code = exitCode(for: error)
        if !message.isEmpty {
            let console = Console(redactor: UsageRedaction.redactor())
            if code == .success { console.out(message) } else { console.raw(message + "\n") }
        }
        Foundation.exit(code.rawValue)
    }

    func run() async throws {
        let configuration = try options.configurationOrExit()
        guard let check else {
            if watching.isGiven {
                Console(redactor: UsageRedaction.redactor()).error("--until-pass, --interval and --max-interval need --check (or use `doctor watch`)")
                throw ExitCode(ExitStatus.usage.rawValue)
            }
            if configuration.value("DOCTOR_LOG_FILE") == "-" {
                Console(redactor: UsageRedaction.redactor()).error("--logs - (or DOCTOR_LOG_FILE=-) needs --check: without it standard input carries the session's commands")
                throw ExitCode(ExitStatus.usage.rawValue)
            }
            // No --check: a session, interactive on a terminal, else commands read from standard input.
            throw ExitCode(await SessionLauncher.start(options: options, configuration: configuration))
        }
        guard watching.untilPass != nil || !watching.isGiven else {
            Console(redactor: UsageRedaction.redactor()).error("--interval and --max-interval need --until-pass DURATION")
            throw ExitCode(ExitStatus.usage.rawValue)
        }
        var run = CheckRun(options: options, configuration: configuration, selection: check)
        if watching.untilPass != nil { run.watch = watching.options(defaultDeadline: WatchOptions().deadline) }
        throw ExitCode(await WatchCommand.runCancellable(run))
    }
}

/// An async command run from the synchronous `main`, and how it ended.
private final class AsyncOutcome: @unchecked Sendable {
    // Written by the task before it signals, read by `main` after `wait()` returns.
    private var command: AsyncParsableCommand
    private(set) var error: Error?
    private let done = DispatchSemaphore(value: 0)

    init(_ command: AsyncParsableCommand) { self.command = command }

    func run() async {
        do {
            try await command.run()
        } catch {
            self.error = error
        }
        done.signal()
    }

    func wait() { done.wait() }
}
