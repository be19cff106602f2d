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

            Examples:
              doctor --check all                      run every runbook
              doctor --check webhooks-not-arriving    run one runbook
              doctor --check all --format json        for scripts: one JSON document
              doctor demo --fault wrong-secret        watch it find a fault in the built-in sandbox
              doctor lint runbooks/                   validate runbook files

            Exit codes: 0 all passed, 1 warnings, 2 failures, 3 unknown (could not check, or invalid
            runbooks/configuration), 64 usage error.
            """,
        version: DoctorVersion.current,
        subcommands: [RunbooksCommand.self, LintCommand.self, DemoCommand.self]
    )

    @Option(name: .long, help: ArgumentHelp("Run runbooks without prompts: `all` or ids separated by commas.", valueName: "ids"))
    var check: String?

    @OptionGroup var options: RunOptionsGroup

    static func main() async {
        // A closed pipe must surface as a failed write, not end the process with 141.
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }

    func run() async throws {
        guard let check else {
            Console(redactor: nil).error("the interactive session is not available yet; run `doctor --check all`, or `doctor demo` to try the sandbox (see `doctor --help`)")
            throw ExitCode(ExitStatus.usage.rawValue)
        }
        let configuration: Configuration
        do {
            configuration = try options.configuration()
        } catch {
            Console(redactor: nil).error(error.localizedDescription)
            throw ExitCode(ExitStatus.unknown.rawValue)
        }
        let code = await CheckRun(options: options, configuration: configuration, selection: check).execute()
        throw ExitCode(code)
    }
}
