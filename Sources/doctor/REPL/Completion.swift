@preconcurrency import CEditLine
import Foundation

/// What Tab is asked to complete: the words before the cursor's word, and that word's beginning.
struct CompletionRequest {
    /// The words of the line before the word being completed.
    var previousWords: [String]
    /// The beginning of the word being completed (may be empty).
    var word: String
}

/// The candidates for a completion and what follows a unique match.
struct CompletionAnswer {
    /// Every candidate (filtered by the word's beginning afterwards).
    var candidates: [String]
    /// Appended after a unique match: a space, or `=` after a variable name for `set`.
    var terminator: Character = " "
}

/// Glue between libedit's C completion callbacks and a Swift completer.
///
/// libedit calls back through plain C function pointers, which cannot capture (and Swift 6.3.1
/// crashes compiling capturing ones), so the completer and the matches being handed out live in
/// statics. libedit calls them only from inside `readline()`, on the reader's thread.
enum Completion {
    nonisolated(unsafe) private static var completer: ((CompletionRequest) -> CompletionAnswer)?
    nonisolated(unsafe) private static var pending: [String] = []
    nonisolated(unsafe) private static var next = 0

    /// Makes `completer` answer Tab.
    static func install(_ completer: @escaping (CompletionRequest) -> CompletionAnswer) {
        self.completer = completer
        rl_attempted_completion_function = { text, start, _ in
            // Never fall back to file names: every word of a command has its own candidates.
            rl_attempted_completion_over = 1
            let word = text.map { String(cString: $0) } ?? ""
            let line = rl_line_buffer.map { String(cString: $0) } ?? ""
            let before = String(line.unicodeScalars.prefix(Int(max(0, start))).map(Character.init))
            let request = CompletionRequest(previousWords: before.split(separator: " ").map(String.init), word: word)
            guard let answer = Completion.completer?(request) else { return nil }
            Completion.pending = Array(Set(answer.candidates.filter { $0.hasPrefix(word) })).sorted()
            Completion.next = 0
            guard !Completion.pending.isEmpty else { return nil }
            rl_completion_append_character = Int32(answer.terminator.asciiValue ?? 32)
            guard let text else { return nil }
            return rl_completion_matches(text, { _, _ in
                guard Completion.next < Completion.pending.count else { return nil }
                defer { Completion.next += 1 }
                // libedit frees every match it is given.
                return strdup(Completion.pending[Completion.next])
            })
        }
    }

    /// Stops answering Tab.
    static func uninstall() {
        rl_attempted_completion_function = nil
        completer = nil
        pending = []
    }
}
