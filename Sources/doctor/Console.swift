import DoctorKit
import Foundation

/// Writes to standard output and error; every line passes through the redactor first.
struct Console {
    var redactor: Redactor?

    /// Whether standard output is a terminal (colour, progress).
    static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
    /// Whether standard input is a terminal (interactive session).
    static var stdinIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    func out(_ text: String, terminator: String = "\n") {
        write(text + terminator, to: stdout)
    }

    func error(_ text: String) {
        write("doctor: " + text + "\n", to: stderr)
    }

    private func write(_ text: String, to file: UnsafeMutablePointer<FILE>) {
        let safe = redactor?.redact(text) ?? Redactor.redactPatternsOnly(text)
        // SIGPIPE is ignored, so a closed pipe (`doctor … | head`) makes this fail quietly instead of
        // ending the process with 141: the exit code keeps its meaning.
        fputs(safe, file)
        fflush(file)
    }
}

/// Colour only on a terminal, never with NO_COLOR or --no-color.
func wantsColor(noColor: Bool) -> Bool {
    guard !noColor, Console.stdoutIsTerminal else { return false }
    if let value = ProcessInfo.processInfo.environment["NO_COLOR"], !value.isEmpty { return false }
    return ProcessInfo.processInfo.environment["TERM"] != "dumb"
}
