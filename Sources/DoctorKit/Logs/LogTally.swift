/// What a scan counted: per pattern, and about the lines it read or left out.
struct LogTally: Sendable {
    /// How the input was read.
    enum Format: String, Sendable {
        case plain
        case renderJSON = "render-json"
        case renderResponse = "render-logs-response"
    }

    /// What one pattern matched.
    struct PatternTally: Sendable {
        /// Lines counted (inside the window, not the doctor's own).
        var count = 0
        /// The time of the last counted line that had one (seconds since 1970).
        var lastTime: Int64?
        /// The position of the last counted line among all counted lines, to order patterns.
        var lastOrder = -1
        /// The last few counted lines, oldest first, not yet redacted.
        var recent: [String] = []
    }

    /// How many lines of each pattern are kept as examples.
    static let examplesPerPattern = 3

    var format = Format.plain
    /// Lines (or records) read.
    var linesRead = 0
    /// Matching lines left out because their time lies outside the window.
    var outsideWindow = 0
    /// Matching lines counted although they carry no time.
    var withoutTimestamp = 0
    /// Lines left out because they come from the doctor's own probes.
    var ownProbeLines = 0
    /// Per pattern, in the runbook's order.
    var patterns: [PatternTally]
    /// How many lines were counted for any pattern, for ordering.
    var counted = 0

    init(patternCount: Int) {
        patterns = Array(repeating: PatternTally(), count: patternCount)
    }

    /// Counts `text` for every pattern whose bit is in `bits`.
    mutating func count(_ text: String, bits: UInt64, time: Int64?) {
        var remaining = bits
        while remaining != 0 {
            let index = remaining.trailingZeroBitCount
            remaining &= remaining - 1
            guard index < patterns.count else { continue }
            patterns[index].count += 1
            if let time { patterns[index].lastTime = time }
            patterns[index].lastOrder = counted
            if patterns[index].recent.count == Self.examplesPerPattern { patterns[index].recent.removeFirst() }
            patterns[index].recent.append(text)
        }
        counted += 1
    }
}
