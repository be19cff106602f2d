import ArgumentParser

/// A subcommand with an option named as one of the root command's (`--format`, `--runbooks`).
///
/// ArgumentParser lets a parent take its options from anywhere on the line, the subcommand's part
/// included: `doctor sessions --format json` set the root's format and left the subcommand's at
/// text. A subcommand that captures its leftovers for passthrough (`unexpected`) makes the parent
/// stop reading at the subcommand's name; `rejectUnexpected()` then treats what is left over as
/// ArgumentParser would have.
protocol RootOptionShadowing: ParsableCommand {
    /// Whatever follows the subcommand that is none of its options.
    var unexpected: [String] { get }
}

extension RootOptionShadowing {
    /// Help and version as usual; anything else left over is a usage error (exit 64).
    func rejectUnexpected() throws {
        let flags = unexpected.prefix { $0 != "--" }
        if flags.contains(where: { ["-h", "--help", "-help"].contains($0) }) { throw CleanExit.helpRequest(self) }
        if flags.contains("--version") { throw CleanExit.message(VersionText.text) }
        if let first = unexpected.first { throw ValidationError("Unexpected argument '\(first)'") }
    }
}
