import Foundation

/// Why a log could not be read or understood; each names the place (file, or file:line).
public enum LogScanError: Error, Equatable, Sendable {
    /// The file cannot be opened (the path and the system's reason).
    case cannotOpen(String, String)
    /// Reading failed part way.
    case cannotRead(String, String)
    /// A line of a Render JSON log is not JSON (`file:line`, the parser's reason).
    case notJSON(String, String)
    /// A JSON value that is neither a Render log object nor a `/v1/logs` response (`file:line`, what was found).
    case notRenderLog(String, String)
    /// A multi-line JSON document too large to read at once (the source, the limit in MiB).
    case documentTooLarge(String, Int)
    /// `-` was given but standard input is a terminal.
    case standardInputIsTerminal
    /// The source did not end before the step's deadline (e.g. a live `tail -f` piped in).
    case deadline(String)
    /// A finished file whose scan did not end within the step's timeout (the source, the timeout,
    /// the percent read when known, whether that percent is of the window's part of the file).
    case unfinished(String, Duration, Int?, ofWindow: Bool)
    /// A time-ordered file with no line in the window (the source, the window's start, the file's span).
    case noLinesInWindow(String, String, String)
    /// The step was cancelled.
    case cancelled
}

extension LogScanError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case let .cannotOpen(path, reason): "cannot open the log \(path): \(reason)"
        case let .cannotRead(name, reason): "cannot read the log \(name): \(reason)"
        case let .notJSON(place, reason): "\(place): not valid JSON (\(reason)): a Render JSON log needs one object per line"
        case let .notRenderLog(place, found): "\(place): \(found), not a Render log object ({\"timestamp\", \"message\", \"labels\"}) or a /v1/logs response ({\"logs\": […]})"
        case let .documentTooLarge(name, limit): "\(name): a JSON document over \(limit) MiB: write one log object per line instead (jq -c '.logs[]')"
        case .standardInputIsTerminal: "standard input is a terminal: pipe a log in (cat FILE | doctor … --logs -) or give its path"
        case let .deadline(name): "the log \(name) did not end before the step's deadline (a live `tail -f`? give a finished export)"
        case let .unfinished(name, timeout, percent, ofWindow):
            "the scan of \(name) did not finish in \(timeout.short)" + (percent.map { " (read \($0) % of \(ofWindow ? "the part in the window" : "it"))" } ?? "")
        case let .noLinesInWindow(name, since, span):
            "\(name) holds no line since \(since): its lines run from \(span)"
        case .cancelled: "cancelled"
        }
    }
}
