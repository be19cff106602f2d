/// One record of a structured log: what Render's logs API returns for each line.
public struct LogEntry: Sendable, Equatable {
    /// The record's time as written (RFC 3339), if it has one.
    public var timestamp: String?
    /// The log line itself.
    public var message: String
    /// Render's labels (`level`, `type`, `instance`, `statusCode`, …), in order.
    public var labels: [Label]

    /// A `name`/`value` pair of Render's `labels` array.
    public struct Label: Sendable, Equatable {
        /// The label's name.
        public var name: String
        /// The label's value.
        public var value: String

        /// A label.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// A record with the given parts.
    public init(timestamp: String?, message: String, labels: [Label] = []) {
        self.timestamp = timestamp
        self.message = message
        self.labels = labels
    }

    /// The texts of `matcher` found in the record: in its message, or in one of its labels
    /// written `name=value`, so a pattern can also match Render's request labels (`statusCode=429`).
    /// A text is found within one of these, never across two: a JSON log line is searched raw
    /// before it is decoded, and that search must find every line that can match.
    func bits(_ matcher: PatternMatcher) -> UInt64 {
        var found = matcher.bits(in: message)
        for label in labels { found |= matcher.bits(in: "\(label.name)=\(label.value)") }
        return found
    }
}

/// A piece of what a log source delivers.
public enum LogInput {
    /// Raw text in any chunking: plain lines, Render's JSON log objects one per line, or a whole
    /// `/v1/logs` response. The scanner finds the lines and the format itself.
    case bytes(UnsafeRawBufferPointer)
    /// Records already parsed, e.g. one page of `GET /v1/logs`, oldest first.
    case entries([LogEntry])
}

/// Where a `log-scan` step's lines come from: a file, standard input, or the Render logs API.
///
/// A source hands its content over in order and in pieces, so a scan streams in constant memory
/// whatever the size. A paginated API source delivers one `.entries` per page.
public protocol LogSource: Sendable {
    /// How evidence and errors name the source: a path, `standard input`, `the Render logs API`.
    var name: String { get }

    /// Delivers the whole source in order to `consume` and returns once it is exhausted.
    ///
    /// It throws `LogScanError.cancelled` promptly once the task is cancelled, and
    /// `LogScanError.deadline` once `deadline` passes, rather than waiting on input.
    func read(until deadline: ContinuousClock.Instant,
              _ consume: (LogInput) throws(LogScanError) -> Void) async throws(LogScanError)
}
