import DoctorKit
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes to standard output and error; every line passes through the redactor first.
struct Console {
    var redactor: Redactor?

    /// Whether standard output is a terminal (colour, progress).
    static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
    /// Whether standard input is a terminal (interactive session).
    static var stdinIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    func out(_ text: String, terminator: String = "\n") {
        write(text + terminator, to: STDOUT_FILENO)
    }

    func error(_ text: String) {
        write("doctor: " + text + "\n", to: STDERR_FILENO)
    }

    /// `text` on standard error as it is (redacted), with no `doctor:` prefix.
    func raw(_ text: String) {
        write(text, to: STDERR_FILENO)
    }

    private func write(_ text: String, to descriptor: Int32) {
        let safe = redactor?.redact(text) ?? Redactor.redactPatternsOnly(text)
        // SIGPIPE is ignored, so a closed pipe (`doctor … | head`) makes write fail with EPIPE instead
        // of ending the process with 141: the rest is dropped and the exit code keeps its meaning.
        var bytes = Array(safe.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { systemWrite(descriptor, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            bytes = bytes.dropFirst(written)
        }
    }
}

/// write(2), under a name of its own: in `Console` a bare `write` means `Console.write(_:to:)`.
private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}

/// Colour only on a terminal, never with NO_COLOR or --no-color.
func wantsColor(noColor: Bool) -> Bool {
    guard !noColor, Console.stdoutIsTerminal else { return false }
    if let value = ProcessInfo.processInfo.environment["NO_COLOR"], !value.isEmpty { return false }
    return ProcessInfo.processInfo.environment["TERM"] != "dumb"
}
