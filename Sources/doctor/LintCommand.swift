import ArgumentParser
import DoctorKit
import Foundation

/// `doctor lint`: validate runbook files without running them.
struct LintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Validate runbook files; errors name file:line:column.",
        discussion: """
            Examples:
              doctor lint                         the runbooks doctor would use
              doctor lint runbooks/ extra.yml     folders and files
            Exit 0 when every file is valid, 3 otherwise.
            """)

    @Argument(help: ArgumentHelp("Runbook files or folders (default: the runbooks doctor would use).", valueName: "path"))
    var paths: [String] = []

    func run() throws {
        let console = Console(redactor: UsageRedaction.redactor())
        let loader = RunbookLoader(registry: .standard)
        var targets = paths
        if targets.isEmpty {
            guard let directory = RunbookLocator.directory(
                explicit: nil, environment: ProcessInfo.processInfo.environment, executable: executablePath())
            else {
                console.error("no runbooks found: name files or folders to lint")
                throw ExitCode(ExitStatus.unknown.rawValue)
            }
            targets = [directory]
        }
        var valid = 0
        var errors: [RunbookError] = []
        for path in targets {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                let result = loader.loadDirectory(path)
                valid += result.runbooks.count
                errors += result.errors
            } else {
                do {
                    _ = try loader.load(file: path)
                    valid += 1
                } catch {
                    errors.append(error)
                }
            }
        }
        for error in errors { console.out(error.description) }
        console.out("\(valid) valid, \(errors.count) invalid")
        if !errors.isEmpty || valid == 0 { throw ExitCode(ExitStatus.unknown.rawValue) }
    }
}
