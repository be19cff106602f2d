import ArgumentParser
import DoctorKit
import Foundation

/// `doctor diff [A] [B]`: what changed between two recorded sessions, never a value.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "What changed between two sessions: deploy, deployed variables (names), endpoint, schema, account.",
        discussion: """
            B defaults to the latest session; A to the latest earlier session, against the same API, in which \
            every step that did not pass in B passed (the last good run), else the session before B. \
            Nothing is run: the sessions' recorded snapshots are compared. Deployed variables are compared by \
            name and by whether each matched the local value in its run; no value or hash is ever recorded.
            Examples: doctor diff | doctor diff 20261129T031240Z-3fa1 | doctor diff A B --format json
            """)

    /// Everything after `diff`, read here: two positional ids and `--format` share the line, and the
    /// root's own `--format` must not take this one (see `RootOptionShadowing`).
    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("[A] [B] [--format text|json]", valueName: "args"))
    var words: [String] = []

    func run() throws {
        let (ids, format) = try Self.parse(words, command: self)
        let console = Console(redactor: nil)
        let store = SessionStore()
        do {
            let later = try store.load(ids.count > 1 ? ids[1] : try Self.latest(in: store))
            let earlier: SessionRecord
            if let first = ids.first {
                guard first != later.info.id else { throw DiffError("\(first) is the latest session: name an earlier one, or two (doctor diff A B)") }
                earlier = try store.load(first)
            } else {
                guard let found = Self.baseline(for: later, in: store) else {
                    throw DiffError("no session before \(later.info.id) against the same API to compare it with")
                }
                earlier = found
            }
            let diff = SessionDiff(from: earlier, to: later)
            if format == .json {
                console.out(JSONRenderer.render(encodable: diff))
            } else {
                console.out("Changes from \(earlier.info.id) (\(TextRenderer.utc(earlier.info.startedAt))) to \(later.info.id) (\(TextRenderer.utc(later.info.startedAt))), \(diff.age.replacingOccurrences(of: " ago", with: " apart"))")
                console.out(TextRenderer.changeLines(diff), terminator: "")
            }
        } catch let error as DiffError {
            console.error(error.message)
            throw ExitCode(ExitStatus.unknown.rawValue)
        } catch {
            console.error(error.localizedDescription)
            throw ExitCode(ExitStatus.unknown.rawValue)
        }
    }

    /// The session ids named (at most two) and the format; anything else is a usage error (exit 64).
    static func parse(_ words: [String], command: DiffCommand) throws -> (ids: [String], format: OutputFormat) {
        var ids: [String] = []
        var format = OutputFormat.text
        var index = 0
        while index < words.count {
            let word = words[index]
            index += 1
            if ["-h", "--help", "-help"].contains(word) { throw CleanExit.helpRequest(command) }
            if word == "--version" { throw CleanExit.message(VersionText.text) }
            var value: String?
            if word == "--format" {
                guard index < words.count else { throw ValidationError("Missing value for '--format <format>'") }
                value = words[index]
                index += 1
            } else if word.hasPrefix("--format=") {
                value = String(word.dropFirst("--format=".count))
            }
            if let value {
                guard let chosen = OutputFormat(rawValue: value), chosen == .text || chosen == .json else {
                    throw ValidationError("diff prints text or json, not \(value)")
                }
                format = chosen
                continue
            }
            guard !word.hasPrefix("-") else { throw ValidationError("Unexpected argument '\(word)'") }
            guard ids.count < 2 else { throw ValidationError("diff compares two sessions; unexpected '\(word)'") }
            ids.append(word)
        }
        return (ids, format)
    }

    /// The latest recorded session.
    static func latest(in store: SessionStore) throws -> String {
        guard let id = store.ids().last else { throw SessionError.noSessions(store.root) }
        return id
    }

    /// The last good run before `later` (the latest earlier session in which every step that did
    /// not pass in it passed), else the session just before it against the same API.
    static func baseline(for later: SessionRecord, in store: SessionStore) -> SessionRecord? {
        let failing = Set(later.allSteps.filter { $0.step.status == .fail || $0.step.status == .warn }.map { "\($0.runbook)/\($0.step.id)" })
        if let good = SessionDiff.lastGood(before: later.info.id, target: later.info.target, mode: later.info.mode,
                                           failing: failing, in: store) {
            return good
        }
        return SessionDiff.previous(before: later.info.id, target: later.info.target, mode: later.info.mode, in: store)
    }
}

/// A one-line reason `doctor diff` cannot compare.
struct DiffError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
