@preconcurrency import CEditLine
import CEditLineShim
import Foundation

/// What one read at the prompt gave.
enum LineInput: Equatable {
    /// A line the user entered (without its newline).
    case line(String)
    /// Ctrl-C: the line being typed is dropped.
    case interrupted
    /// Ctrl-D on an empty line, or the end of the input.
    case end
}

/// The terminal side of the session: libedit's prompt, line editing, history and completion.
///
/// libedit keeps global state, so there is one reader per process, used from one thread: the thread
/// that created it, which also receives every SIGINT (see `InterruptSignal`).
final class LineReader {
    private let history: HistoryFile?
    private var closed = false

    /// Sets libedit up (no signal handlers of its own), loads the history and installs completion.
    init(history: HistoryFile?, completer: @escaping (CompletionRequest) -> CompletionAnswer) {
        self.history = history
        // Before libedit first switches the terminal to raw mode: whatever ends the process (exit,
        // a fatal signal, a Swift trap) puts the terminal back as it was.
        doctor_tty_guard_install(STDIN_FILENO)
        doctor_editline_configure("doctor")
        using_history()
        _ = HistoryFile.argumentForOneEntry
        stifle_history(Int32(HistoryFile.limit))
        if let history {
            if let refusal = history.refusal {
                Console(redactor: nil).error("history not kept: \(refusal)")
            } else {
                history.load()
            }
        }
        Completion.install(completer)
    }

    deinit { close() }

    /// Reads one line; Ctrl-C and end of input are told apart by the interrupt counter.
    func read(prompt: String) -> LineInput {
        InterruptSignal.drain()
        let before = InterruptSignal.count
        guard let raw = readline(prompt) else {
            return InterruptSignal.count != before ? .interrupted : .end
        }
        defer { free(raw) }
        // A Ctrl-C that arrived while the line was being finished still cancels it.
        if InterruptSignal.count != before { return .interrupted }
        return .line(String(cString: raw))
    }

    /// Adds an entered line to the in-memory history and appends it to the file.
    ///
    /// The caller has already decided the line is safe to keep (`HistoryFilter`).
    func remember(_ line: String) {
        add_history(line)
        history?.appendNewest()
    }

    /// Reads a value with echo off (for a secret), on the terminal.
    func readSecret(prompt: String) -> String? {
        FileHandle.standardOutput.write(Data(prompt.utf8))
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = doctor_read_secret(STDIN_FILENO, &buffer, buffer.count)
        FileHandle.standardOutput.write(Data("\n".utf8))
        defer { buffer.withUnsafeMutableBytes { _ = memset($0.baseAddress!, 0, $0.count) } }
        guard length >= 0 else { return nil }
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Puts the terminal back and drops the completer; safe to call twice.
    func close() {
        guard !closed else { return }
        closed = true
        Completion.uninstall()
        doctor_tty_restore()
    }
}
