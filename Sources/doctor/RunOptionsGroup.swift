import ArgumentParser
import DoctorKit
import Foundation

/// Output formats of a run.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, junit, prometheus
}

/// Options shared by every command that runs runbooks.
struct RunOptionsGroup: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Folder of runbooks (default: $DOCTOR_RUNBOOKS, else those shipped with doctor).", valueName: "dir"))
    var runbooks: String?

    @Option(name: .customLong("env-file"), help: ArgumentHelp("Read variables from this file (default: ./.env when present); the environment wins.", valueName: "path"))
    var envFile: String?

    @Option(name: .long, help: "Output format: text, json, junit (one test case per step) or prometheus (a node_exporter textfile).")
    var format: OutputFormat = .text

    @Option(name: .long, help: ArgumentHelp("Write the report to this file (atomically) instead of standard output.", valueName: "file"))
    var output: String?

    @Option(name: .long, help: ArgumentHelp("Also write the incident note (Markdown) here; it is always written in the session folder.", valueName: "path"))
    var note: String?

    @Option(name: .long, help: ArgumentHelp("Deadline for the whole run, e.g. 30s or 2m.", valueName: "duration"))
    var timeout: String = "60s"

    @Option(name: .customLong("fail-on"), help: "Which status makes a non-zero exit: fail or warn.")
    var failOn: String = "warn"

    @Flag(name: .customLong("read-only"), help: "Run no step that sends an event or writes anything.")
    var readOnly = false

    @Flag(name: .long, help: "Let the payment-canary steps make their test-mode payment (an action; refused for a live key).")
    var canary = false

    @Flag(name: .shortAndLong, help: "Show the evidence of every step, not only of those that did not pass.")
    var verbose = false

    @Flag(name: .customLong("no-color"), help: "No colour (also NO_COLOR).")
    var noColor = false

    @Flag(name: .customLong("no-progress"), help: "No status line on a terminal while steps run (also NO_PROGRESS).")
    var noProgress = false

    @Option(name: .customLong("stripe-api-base"), help: ArgumentHelp("Send Stripe API calls here instead of https://api.stripe.com (tests, sandbox).", valueName: "url"))
    var stripeAPIBase: String?

    @Option(name: .customLong("render-api-base"), help: ArgumentHelp("Send Render API calls here instead of https://api.render.com/v1.", valueName: "url"))
    var renderAPIBase: String?

    @Option(name: .customLong("sentry-api-base"), help: ArgumentHelp("Send Sentry API calls here instead of https://sentry.io/api/0.", valueName: "url"))
    var sentryAPIBase: String?

    @Option(name: .long, help: ArgumentHelp("The log the log-scan steps read: an exported file (plain lines or Render's JSON), or - for standard input (also DOCTOR_LOG_FILE).", valueName: "path|-"))
    var logs: String?

    @Option(name: .long, help: ArgumentHelp("How many steps may run at once.", valueName: "n"))
    var concurrency: Int = 8

    func validate() throws {
        guard Duration(parsing: timeout).map({ $0 > .zero }) == true else {
            throw ValidationError("--timeout must be a duration such as 30s or 2m, found \"\(timeout)\"")
        }
        guard FailOn(rawValue: failOn) != nil else {
            throw ValidationError("--fail-on must be fail or warn, found \"\(failOn)\"")
        }
        if logs?.isEmpty == true {
            throw ValidationError("--logs needs a path, or - for standard input")
        }
        guard (1...64).contains(concurrency) else {
            throw ValidationError("--concurrency must be from 1 to 64")
        }
        if canary && readOnly {
            throw ValidationError(ActionRefusal.readOnly(.canary).message + " (--canary)")
        }
    }

    /// The engine options these flags ask for.
    var runOptions: RunOptions {
        var options = RunOptions(timeout: Duration(parsing: timeout)!, concurrency: concurrency, readOnly: readOnly,
                                 failOn: FailOn(rawValue: failOn)!)
        options.canary = canary
        return options
    }

    /// The run's options with the deadline shortened by what the command has spent already (loading
    /// runbooks, reading the environment): `--timeout` bounds the whole command, not the run alone.
    /// The time kept back is what writing the record and the report needs afterwards.
    var commandRunOptions: RunOptions {
        var options = runOptions
        options.statedTimeout = options.timeout
        let spent = ContinuousClock.now - ProcessClock.start
        let reserve = min(.milliseconds(500), options.timeout / 10)
        options.timeout = max(.milliseconds(100), options.timeout - spent - reserve)
        return options
    }

    /// The configuration: process environment, env file, flags (docs/architecture.md, "Configuration").
    func configuration() throws(ConfigurationError) -> Configuration {
        let process = ProcessInfo.processInfo.environment
        var file: (path: String, variables: [(String, String)])?
        if let envFile {
            file = (envFile, try DotEnv.load(path: envFile))
        } else if FileManager.default.fileExists(atPath: ".env") {
            file = (".env", try DotEnv.load(path: ".env"))
        }
        var flags: [String: String] = [:]
        if let stripeAPIBase { flags["STRIPE_API_BASE"] = stripeAPIBase }
        if let renderAPIBase { flags["RENDER_API_BASE"] = renderAPIBase }
        if let sentryAPIBase { flags["SENTRY_API_BASE"] = sentryAPIBase }
        if let logs { flags["DOCTOR_LOG_FILE"] = logs }
        return Configuration(process: process, file: file, flags: flags)
    }

    /// `configuration()`, or its one-line error on standard error and exit 3 (the configuration
    /// cannot be read, so nothing can be checked): how every command that runs opens it.
    func configurationOrExit() throws -> Configuration {
        do {
            return try configuration()
        } catch {
            Console(redactor: UsageRedaction.redactor()).error(error.localizedDescription)
            throw ExitCode(ExitStatus.unknown.rawValue)
        }
    }

    /// The runbook folder to use.
    var runbookDirectory: String? {
        RunbookLocator.directory(explicit: runbooks, environment: ProcessInfo.processInfo.environment,
                                 executable: CommandLine.arguments[0].contains("/") ? CommandLine.arguments[0] : executablePath())
    }
}

/// The running binary's path, for finding the runbooks shipped beside it.
func executablePath() -> String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
}

/// When the process started, as near as the program can tell: the first thing `main` does reads it.
enum ProcessClock {
    /// The instant `main` began.
    static let start = ContinuousClock.now
}
