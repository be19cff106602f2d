import DoctorKit
import Foundation

/// The interactive session (and its scripted twin): reads commands, runs runbooks and steps, keeps
/// the latest result of every step, the operator's notes, and writes it all down at the end.
///
/// Everything here runs on one thread of its own (the reader thread): libedit is not thread-safe and
/// Ctrl-C is delivered there. Runbooks run as tasks on the pool while this thread waits for them.
final class InteractiveSession {
    /// What a session starts from.
    struct Setup {
        var configuration: Configuration
        var runbooks: [Runbook]
        var runbookDirectory: String?
        var options: RunOptions
        var color: Bool
        var verbose: Bool
        /// Commands come from a terminal (prompt, editing, history) rather than a script.
        var interactive: Bool
        /// Set in practice mode: one line saying what the sandbox is.
        var practice: String?
        var environment: [String: String] = ProcessInfo.processInfo.environment
        /// What the runs may not use (practice mode without a database), passed to every Runner.
        var unavailable: [String: String] = [:]
        /// A status line while steps run, where the terminal and the environment allow one.
        var progress = true
    }

    /// One entry of what happened, in order, for `status` and the note.
    enum Event {
        case ran(runbooks: [String], at: Date, durationMs: Int, status: Status, cancelled: Bool)
        case reran(runbook: String, step: String, at: Date, status: Status)
        case note(at: Date, text: String)
        case variable(name: String, set: Bool, at: Date)
    }

    /// What the loop should do after a command.
    enum Flow { case proceed, quit }

    /// The library's session: configuration, redactor, record, runs and their latest results.
    let diagnosis: DiagnosisSession
    let runbooks: [Runbook]
    let setup: Setup
    var console: Console
    var renderer: TextRenderer
    var events: [Event] = []
    /// The runbook a bare step id refers to first: the one run last.
    var lastRunbook: String?
    /// A command was refused (unknown command, bad argument): a script with a typo must not pass.
    var rejected = false
    var reader: LineReader?
    private var previousLine: String?
    private var reportedDiagnostics = 0

    /// The session id.
    var id: String { diagnosis.id }
    /// When the session started.
    var startedAt: Date { diagnosis.startedAt }
    /// The configuration the steps read now.
    var configuration: Configuration { diagnosis.configuration }
    /// The latest result of each `runbook/step`.
    var results: [String: StepResult] { diagnosis.latest }
    /// The keys of `results` in the order they first appeared.
    var resultOrder: [String] { diagnosis.order }

    init(_ setup: Setup) {
        self.setup = setup
        runbooks = setup.runbooks
        let mode = setup.practice != nil ? "practice" : setup.interactive ? "interactive" : "scripted"
        diagnosis = DiagnosisSession(
            mode: mode, configuration: setup.configuration, runbooks: setup.runbooks, options: setup.options,
            unavailable: setup.unavailable, recording: .lazy, store: SessionStore(environment: setup.environment),
            onRecordingProblem: { [console = Console(redactor: Redactor(setup.configuration))] in console.error($0) })
        console = Console(redactor: diagnosis.redactor)
        renderer = TextRenderer(style: TextStyle(color: setup.color, verbose: setup.verbose))
    }

    /// Runs the session to its end and returns the exit code.
    func run() -> Int32 {
        defer { reader?.close() }
        if setup.interactive {
            do {
                try InterruptSignal.install()
            } catch {
                console.error(error.localizedDescription)
                return ExitStatus.unknown.rawValue
            }
            let history = HistoryFile(environment: setup.environment)
            reader = LineReader(history: history) { [unowned self] request in self.complete(request) }
        }
        greet()
        var commands = 0
        loop: while true {
            switch nextInput() {
            case .end:
                if setup.interactive { console.out("") }
                break loop
            case .interrupted:
                // Ctrl-C at the prompt drops the line being typed, as in a shell.
                console.out("")
            case let .line(line):
                if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
                commands += 1
                if let reader, HistoryFilter.allows(line, redactor: redactor, previous: previousLine) {
                    reader.remember(line)
                    previousLine = line.trimmingCharacters(in: .whitespaces)
                }
                if execute(line) == .quit { break loop }
            }
        }
        if !setup.interactive && commands == 0 {
            console.error("no commands on standard input (one per line, e.g. `run all`); `doctor --check all` runs every runbook without a session")
            return ExitStatus.usage.rawValue
        }
        finish()
        return exitCode
    }

    /// The next line of input: a command, or the answer to a question the session asked.
    func nextInput() -> LineInput {
        if let reader { return reader.read(prompt: setup.practice == nil ? "doctor> " : "doctor(practice)> ") }
        guard let line = readLine(strippingNewline: true) else { return .end }
        return .line(line)
    }

    /// Runs one command line.
    func execute(_ line: String) -> Flow {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("#") { return .proceed }
        let parts = trimmed.split(separator: " ", maxSplits: 1)
        let word = String(parts[0])
        let argument = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
        guard let command = SessionCommand.named(word) else {
            let names = SessionCommand.all.map(\.name) + SessionCommand.aliases.keys
            let suggestion = RunbookSelection.nearest(word, in: names).map { " (did you mean \"\($0)\"?)" } ?? ""
            return refuse("unknown command \"\(word)\"\(suggestion); `help` lists the commands")
        }
        switch command.name {
        case "runbooks": listRunbooks()
        case "run": run(argument)
        case "step": rerun(argument)
        case "watch": watch(argument)
        case "replay": replay(argument)
        case "canary": canary(argument)
        case "show": show(argument)
        case "why": why(argument)
        case "note": note(argument)
        case "env": showEnvironment()
        case "set": set(argument)
        case "unset": unset(argument)
        case "escalate": escalate(argument)
        case "status": status()
        case "save": save(argument)
        case "help": help(argument)
        case "quit": return .quit
        default: break
        }
        return .proceed
    }

    /// Reports a refused command on standard error and remembers it for the exit code.
    @discardableResult
    func refuse(_ message: String) -> Flow {
        rejected = true
        console.error(message)
        return .proceed
    }

    /// The exit code the session ends with: the worst latest result (a script's refused command
    /// makes it 64 unless a step failed; a session that ran nothing is 0).
    var exitCode: Int32 {
        let code = diagnosis.exitCode
        if rejected && !setup.interactive && code != ExitStatus.failure.rawValue { return ExitStatus.usage.rawValue }
        return code
    }

    private func greet() {
        var parts = ["doctor \(DoctorVersion.current)", "target \(configuration.value("API_URL") ?? "(API_URL not set)")"]
        if let mode = stripeMode { parts.append("Stripe \(mode) mode") }
        parts.append("session \(id)")
        console.out(renderer.style.bold(parts.joined(separator: " · ")))
        if let practice = setup.practice { console.out("practice mode: \(practice)") }
        for notice in configuration.notices { console.out(renderer.style.paint("note: \(notice)", .warn)) }
        if runbooks.isEmpty {
            console.out("no runbooks found\(setup.runbookDirectory.map { " in \($0)" } ?? ""): pass --runbooks DIR or set DOCTOR_RUNBOOKS")
        } else {
            console.out("\(runbooks.count) runbook\(runbooks.count == 1 ? "" : "s"): \(runbooks.map(\.id).joined(separator: ", "))")
        }
        if configuration.value("API_URL") == nil {
            console.out("API_URL is not set: `set API_URL=https://NAME.onrender.com`, or try `doctor demo --interactive`")
        }
        if setup.interactive {
            console.out(renderer.style.dim("`help` lists the commands; Tab completes; Ctrl-C cancels a running step; Ctrl-D or `quit` ends the session."))
        }
    }

    /// Masks every secret of the configuration, and those the session has replaced or unset.
    var redactor: Redactor { diagnosis.redactor }

    /// `live` or `test`, from the Stripe key's prefix.
    var stripeMode: String? { diagnosis.stripeMode }

    /// The session's recorder, started on first use (a session that only looked around leaves no
    /// record behind, and does not become the latest session `doctor escalate` reads).
    var recorder: SessionRecorder? {
        let recorder = diagnosis.recorder
        reportDiagnostics()
        return recorder
    }

    /// Says, once each, what went wrong while recording.
    func reportDiagnostics() {
        while reportedDiagnostics < diagnosis.diagnostics.count {
            console.error(diagnosis.diagnostics[reportedDiagnostics])
            reportedDiagnostics += 1
        }
    }

    /// Ends the record (when anything happened) and says where the note is.
    private func finish() {
        guard diagnosis.isRecording else {
            console.out("nothing ran, no session note written (exit \(exitCode))")
            return
        }
        if let path = diagnosis.finish(exitCode: exitCode) {
            console.out("session note written to \(path) (exit \(exitCode))")
        }
        reportDiagnostics()
    }
}
