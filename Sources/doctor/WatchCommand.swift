import ArgumentParser
import DoctorKit
import Foundation

/// `doctor watch`: after a fix, re-run what did not pass until it passes or the deadline.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Run runbooks, then re-run what did not pass until it passes or a deadline (default 10m).",
        discussion: """
            Each round re-runs the steps that did not pass, with the steps they need, after a pause
            that starts at --interval and doubles to --max-interval while nothing changes. The pace
            keeps the requests to the service within a fifth of its rate limit (100 per 60 s), and
            the service's Retry-After or an exhausted RateLimit-Remaining is waited out. Each change
            of status prints with its UTC time and goes into the session's journal and note.

            Ends with exit 0 when everything passes, else at the deadline with the usual exit codes.
            Ctrl-C ends it cleanly: the last state is recorded and gives the exit code.

            Examples:
              doctor watch                                  every runbook, for up to 10 minutes
              doctor watch webhooks-not-arriving --until-pass 30m
              doctor --check deploy --until-pass 5m         the same from --check
            """)

    @Argument(help: ArgumentHelp("Runbooks to watch (default: all).", valueName: "runbook"))
    var runbookIDs: [String] = []

    @OptionGroup var options: RunOptionsGroup

    @OptionGroup var watching: WatchOptionsGroup

    func run() async throws {
        let configuration = try options.configurationOrExit()
        var run = CheckRun(options: options, configuration: configuration,
                           selection: runbookIDs.isEmpty ? "all" : runbookIDs.joined(separator: ","), mode: "watch")
        run.watch = watching.options(defaultDeadline: WatchOptions().deadline)
        throw ExitCode(await Self.runCancellable(run))
    }

    /// Runs `run` with Ctrl-C, SIGTERM and SIGHUP cancelling it rather than ending the process: a
    /// watch then stops, its last state recorded, and the exit code comes from that state. A
    /// second signal ends the process at once.
    static func runCancellable(_ run: CheckRun) async -> Int32 {
        guard run.watch != nil else { return await run.execute() }
        let task = Task { await run.execute() }
        let count = SignalCounter()
        let sources = [SIGINT, SIGTERM, SIGHUP].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                if count.increment() == 1 { task.cancel() } else { Foundation.exit(ExitStatus.unknown.rawValue) }
            }
            source.resume()
            return source
        }
        let code = await task.value
        sources.forEach { $0.cancel() }
        return code
    }
}
