import ArgumentParser
import DoctorKit
import Foundation

/// Output formats of `doctor runbooks`: a listing has no JUnit or Prometheus form.
enum RunbooksFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// `doctor runbooks`: what runbooks there are.
struct RunbooksCommand: RootOptionShadowing {
    static let configuration = CommandConfiguration(
        commandName: "runbooks",
        abstract: "List the runbooks found, with their titles and step counts.",
        discussion: "Examples: doctor runbooks --runbooks ./my-runbooks | doctor runbooks --format json")

    @Option(name: .long, help: ArgumentHelp("Folder of runbooks (default: $DOCTOR_RUNBOOKS, else those shipped with doctor).", valueName: "dir"))
    var runbooks: String?

    @Option(name: .long, help: "Output format: text or json.")
    var format: RunbooksFormat = .text

    /// Whatever follows `runbooks` that is none of its options (see `RootOptionShadowing`).
    @Argument(parsing: .captureForPassthrough, help: .private)
    var unexpected: [String] = []

    func validate() throws { try rejectUnexpected() }

    func run() throws {
        let console = Console(redactor: nil)
        guard let directory = RunbookLocator.directory(
            explicit: runbooks, environment: ProcessInfo.processInfo.environment, executable: executablePath())
        else {
            console.error("no runbooks found: pass --runbooks DIR or set DOCTOR_RUNBOOKS")
            throw ExitCode(ExitStatus.unknown.rawValue)
        }
        let (found, errors) = RunbookLoader(registry: .standard).loadDirectory(directory)
        for error in errors { console.error(error.description) }
        switch format {
        case .json:
            console.out(RunbookListing(found).json)
        case .text:
            console.out("Runbooks in \(directory):")
            let width = found.map(\.id.count).max() ?? 0
            for runbook in found {
                let steps = "\(runbook.steps.count) step\(runbook.steps.count == 1 ? "" : "s")"
                let escalation = runbook.escalation.map { ", escalates to \($0.rawValue)" } ?? ""
                console.out("  \(runbook.id.padding(toLength: width, withPad: " ", startingAt: 0))  \(runbook.title) (\(steps)\(escalation))")
            }
        }
        if !errors.isEmpty { throw ExitCode(ExitStatus.unknown.rawValue) }
    }
}
