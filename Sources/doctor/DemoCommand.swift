import ArgumentParser
import DoctorKit
import DoctorSandbox
import Foundation

/// `doctor demo`: start the built-in sandbox and diagnose it.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start the built-in sandbox (a local payment API) and run every runbook against it.",
        discussion: """
            Nothing to set up: the sandbox listens on a free loopback port and the run uses its
            variables, not yours. Inject a fault to watch the runbooks find it.

            Examples:
              doctor demo                          a healthy service: exit 0
              doctor demo --fault wrong-secret     the deployed webhook secret differs
              doctor demo webhooks-not-arriving    one runbook
              doctor demo --list-faults            what can be injected
              doctor demo --interactive --fault hang   practise the interactive session on the sandbox
              doctor demo --serve --fault missing-payment   keep the sandbox up; export its variables elsewhere
              doctor demo --lift-fault             lift the fault of the sandbox served at $API_URL
              doctor demo --set-fault db-down      switch that sandbox to another fault
            """)

    @Option(name: .long, help: ArgumentHelp("Inject a fault (see --list-faults).", valueName: "name"))
    var fault: String?

    @Flag(name: .customLong("list-faults"), help: "List the faults the sandbox can inject and the runbook that finds each.")
    var listFaults = false

    @Flag(name: .long, help: "Practice mode: an interactive session against the sandbox instead of a report.")
    var interactive = false

    @Flag(name: .long, help: "Keep the sandbox up until Ctrl-C and print the variables that point every command at it.")
    var serve = false

    @Flag(name: .customLong("lift-fault"), help: "Lift the fault of the sandbox served at $API_URL (`doctor demo --serve` in another terminal); starts no sandbox.")
    var liftFault = false

    @Option(name: .customLong("set-fault"), help: ArgumentHelp("Switch the sandbox served at $API_URL to this fault; starts no sandbox.", valueName: "name"))
    var setFault: String?

    @Option(name: .customLong("sandbox"), help: ArgumentHelp("With --lift-fault or --set-fault: the served sandbox's URL instead of $API_URL.", valueName: "url"))
    var sandboxURL: String?

    // Positional rather than `--check`: a subcommand option may not share a name with the root's.
    @Argument(help: ArgumentHelp("Runbooks to run: `all` or ids separated by commas.", valueName: "ids"))
    var runbookIDs: String = "all"

    @OptionGroup var options: RunOptionsGroup

    func run() async throws {
        let console = Console(redactor: UsageRedaction.redactor())
        if listFaults {
            // Which runbook finds each fault, so a learner knows which to run (`doctor demo ID --fault NAME`).
            let width = SandboxFault.all.map(\.name.count).max() ?? 0
            let runbookWidth = SandboxFault.all.map(\.runbook.count).max() ?? 0
            for fault in SandboxFault.all {
                let name = fault.name.padding(toLength: width, withPad: " ", startingAt: 0)
                let runbook = fault.runbook.padding(toLength: runbookWidth, withPad: " ", startingAt: 0)
                console.out("\(name)  \(runbook)  \(fault.summary)")
            }
            return
        }
        if liftFault || setFault != nil || sandboxURL != nil {
            throw ExitCode(try await controlServedSandbox(console: console))
        }
        let selectedFault = try fault.map { try Self.known($0, console: console) }
        let sandbox = Sandbox(fault: selectedFault)
        do {
            try sandbox.start()
        } catch {
            console.error("cannot start the sandbox: \(error.localizedDescription)")
            throw ExitCode(ExitStatus.unknown.rawValue)
        }
        defer { sandbox.stop() }
        // A real throwaway PostgreSQL when this machine has the server binaries; otherwise the
        // database steps are skipped with the reason (never failed for want of a database).
        let databaseMissing = sandbox.startDatabase()
        let unavailable = databaseMissing.map { ["postgres": "the demo has no database: \($0)"] } ?? [:]

        // The sandbox's own variables, not the user's: `doctor demo` must never touch a real service.
        var configuration = Configuration()
        for (name, value) in sandbox.environment.sorted(by: { $0.key < $1.key }) {
            configuration.set(name, value, origin: .sandbox)
        }
        // The only variable of the user's the demo takes: the log to scan, which the sandbox has none of.
        if let logs = options.logs {
            if logs == "-" && interactive {
                console.error("--logs - needs a report run: in practice mode standard input carries the session's commands")
                throw ExitCode(ExitStatus.usage.rawValue)
            }
            configuration.set("DOCTOR_LOG_FILE", logs, origin: .flag)
        }
        // Overrides are announced on every run (docs/architecture.md, "Configuration"), the sandbox's own included.
        configuration.addNotice("STRIPE_API_BASE set to the sandbox's Stripe API stand-in at \(sandbox.apiURL)")
        configuration.addNotice("RENDER_API_BASE set to the sandbox's Render API stand-in at \(sandbox.renderAPIBase)")
        configuration.addNotice("SENTRY_API_BASE set to the sandbox's Sentry API stand-in at \(sandbox.sentryAPIBase)")
        if serve {
            if interactive {
                console.error("--serve and --interactive do not go together: serve in one terminal, run `doctor` in another")
                throw ExitCode(ExitStatus.usage.rawValue)
            }
            throw ExitCode(await SandboxServer.serve(sandbox, fault: selectedFault, databaseMissing: databaseMissing, console: console))
        }
        if interactive {
            let practice = "the built-in sandbox at \(sandbox.apiURL)" + (selectedFault.map { " with fault \($0.name): \($0.summary)" } ?? " (healthy)")
            throw ExitCode(await SessionLauncher.start(options: options, configuration: configuration, practice: practice,
                                                       unavailable: unavailable))
        }
        var preamble = ["sandbox: payment API at \(sandbox.apiURL)" + (selectedFault.map { " with fault \($0.name): \($0.summary)" } ?? " (healthy)")]
        if let address = sandbox.databaseAddress {
            preamble.append("sandbox: PostgreSQL at \(address) (a throwaway cluster, removed on exit)")
        } else if let databaseMissing {
            preamble.append("sandbox: no database (\(databaseMissing)): the database steps are skipped")
        }
        let run = CheckRun(options: options, configuration: configuration, selection: runbookIDs,
                           preamble: options.format == .text ? preamble : [], mode: "demo", countsStartup: false,
                           unavailable: unavailable)
        let task = Task { await run.execute() }
        let signals = Self.cancelOnSignals(task, sandbox: sandbox, console: console)
        let code = await task.value
        signals.forEach { $0.cancel() }
        throw ExitCode(code)
    }

    /// The fault named `name`, or a one-line error with a did-you-mean and exit 64.
    static func known(_ name: String, console: Console) throws -> SandboxFault {
        guard let known = SandboxFault(name: name) else {
            let suggestion = RunbookSelection.nearest(name, in: SandboxFault.all.map(\.name))
            console.error("no fault named \"\(name)\"\(suggestion.map { " (did you mean \"\($0)\"?)" } ?? ""); see `doctor demo --list-faults`")
            throw ExitCode(ExitStatus.usage.rawValue)
        }
        return known
    }

    /// `--lift-fault` / `--set-fault`: talk to a sandbox served elsewhere; nothing is started here.
    private func controlServedSandbox(console: Console) async throws -> Int32 {
        let flag = liftFault ? "--lift-fault" : "--set-fault"
        let conflicting = [(fault != nil, "--fault"), (serve, "--serve"), (interactive, "--interactive"), (runbookIDs != "all", "runbook ids")]
            .filter(\.0).map(\.1)
        let problem: String? = if liftFault && setFault != nil {
            "--lift-fault and --set-fault do not go together"
        } else if !liftFault && setFault == nil {
            "--sandbox goes with --lift-fault or --set-fault"
        } else if !conflicting.isEmpty {
            "\(flag) talks to a sandbox served elsewhere and starts none: drop " + conflicting.joined(separator: ", ")
        } else {
            nil
        }
        if let problem {
            console.error(problem)
            return ExitStatus.usage.rawValue
        }
        let target = try setFault.map { try Self.known($0, console: console) }
        let base = try sandboxURL ?? options.configurationOrExit().value("API_URL")
        return await SandboxControl.run(fault: target, base: base, console: console)
    }

    /// Ctrl-C or a termination signal cancels the run (its steps end `unknown`, "cancelled") and the
    /// usual clean-up stops the sandbox and its throwaway PostgreSQL; a second signal stops them at
    /// once. Nothing is left running either way.
    static func cancelOnSignals(_ task: Task<Int32, Never>, sandbox: Sandbox, console: Console) -> [any DispatchSourceSignal] {
        let count = SignalCounter()
        return [SIGINT, SIGTERM, SIGHUP].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                if count.increment() == 1 {
                    console.error("interrupted: cancelling the run")
                    task.cancel()
                } else {
                    sandbox.stop()
                    Foundation.exit(ExitStatus.unknown.rawValue)
                }
            }
            source.resume()
            return source
        }
    }
}

/// A counter shared with signal handlers.
final class SignalCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    /// Adds one and returns the new count.
    func increment() -> Int { lock.withLock { value += 1; return value } }
}
