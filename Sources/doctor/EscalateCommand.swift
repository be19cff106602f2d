import ArgumentParser
import DoctorKit
import Foundation

/// `doctor escalate stripe|render`: a summary ready to paste into a support ticket.
struct EscalateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "escalate",
        abstract: "Print the Stripe or Render support summary of a session, with the guide's escalation criteria.",
        discussion: """
            The session is the one named by --session, else the latest interactive one, else the latest that \
            ran the runbooks feeding the summary; with none, those runbooks are run first. \
            Examples: doctor escalate stripe | doctor escalate render --session 20261129T031240Z-3fa1 --format json
            """)

    @Argument(help: "stripe or render.")
    var team: Escalation

    @Option(name: .long, help: ArgumentHelp("Session id (see `doctor sessions`).", valueName: "id"))
    var session: String?

    @OptionGroup var options: RunOptionsGroup

    func validate() throws {
        guard options.format == .text || options.format == .json else {
            throw ValidationError("escalate prints text or json, not \(options.format.rawValue)")
        }
    }

    func run() async throws {
        let store = SessionStore()
        var console = Console(redactor: UsageRedaction.redactor())
        var chosen = session ?? Self.defaultSession(for: team, in: store)
        if chosen == nil {
            let configuration = try options.configurationOrExit()
            console.error("no session has run the \(team.rawValue) runbooks yet: running them first")
            var run = CheckRun(options: options, configuration: configuration, selection: "all")
            run.printReport = false
            run.feeding = team
            chosen = await run.run().session
        }
        guard let id = chosen else {
            console.error("no session to summarise")
            throw ExitCode(ExitStatus.unknown.rawValue)
        }
        let record: SessionRecord
        do { record = try store.load(id) } catch {
            console.error(error.localizedDescription)
            throw ExitCode(ExitStatus.unknown.rawValue)
        }
        let summary = team == .stripe ? EscalationSummary.stripe(record) : EscalationSummary.render(record)
        store.appendEvent(.escalation(team: team, time: Date()), to: id)
        console = Console(redactor: Redactor(Configuration(process: ProcessInfo.processInfo.environment)))
        switch options.format {
        case .json: console.out(JSONRenderer.render(encodable: summary))
        default: console.out(summary.text, terminator: "")
        }
    }

    /// The latest interactive session, else the latest that ran a runbook feeding `team`.
    static func defaultSession(for team: Escalation, in store: SessionStore) -> String? {
        let sessions = store.list()
        if let interactive = sessions.first(where: { $0.info.mode == "interactive" }) { return interactive.info.id }
        return sessions.first { $0.runbooks.contains { $0.escalation == team } }?.info.id
    }
}

extension Escalation: ExpressibleByArgument {}
