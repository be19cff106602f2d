import Foundation

/// Counts pattern matches in a log as it streams by, for every step of a `LogScanPlan` at once:
/// finds the lines, the format (plain text or Render's JSON), the time of each matching line, and
/// leaves out the doctor's own probes.
///
/// Both forms are searched in bulk: the automaton runs over whole chunks and only a line holding a
/// candidate is looked at. A plain line becomes a `String` then; a JSON line is decoded then, and
/// only then (its texts are searched raw as JSON encoders write them). A line split between two
/// chunks is carried over and searched whole.
final class LogScanner {
    /// Longest line searched whole; the rest of a longer line is not searched.
    static let maxLine = 1 << 20
    /// Largest multi-line JSON document read at once.
    static let maxDocumentMiB = 64

    private let plan: LogScanPlan
    private let name: String
    /// Per member of the plan, what it counted (`format` and `linesRead` are filled in on reading).
    private var counted: [LogTally]
    private var format = LogTally.Format.plain
    private var linesRead = 0
    private var mode = Mode.detecting
    private var carry: [UInt8] = []
    private var document: [UInt8] = []
    /// Physical lines seen in JSON modes, for `file:line` errors.
    private var physicalLine = 0
    /// Where the scan began in the file: line numbers are known only from its start.
    private let startOffset: Int64

    private enum Mode { case detecting, plain, jsonLines, document }

    /// A scanner feeding every member of `plan`; `startOffset` is where in the file its input begins.
    init(plan: LogScanPlan, sourceName: String, startOffset: Int64 = 0) {
        self.plan = plan
        self.name = sourceName
        self.startOffset = startOffset
        self.counted = plan.members.map { LogTally(patternCount: $0.masks.count) }
    }

    /// What each member of the plan counted, in the order of its requests.
    var tallies: [LogTally] {
        counted.map { tally in
            var tally = tally
            tally.format = format
            tally.linesRead = linesRead
            return tally
        }
    }

    /// What the first (often the only) member counted.
    var tally: LogTally { tallies[0] }

    /// Takes the next piece of the source.
    func consume(_ input: LogInput) throws(LogScanError) {
        switch input {
        case let .bytes(raw):
            try raw.withMemoryRebound(to: UInt8.self) { (bytes) throws(LogScanError) in try consume(bytes) }
        case let .entries(entries):
            if mode == .detecting { mode = .jsonLines; format = .renderJSON }
            for entry in entries { handle(entry, countsLine: true) }
        }
    }

    /// Ends the scan: the last line without a newline, or the whole JSON document.
    func finish() throws(LogScanError) {
        if mode == .detecting {
            decide(firstLine: carry[...])
            let pending = carry
            carry = []
            if mode == .document {
                document = pending
            } else {
                try pending.withUnsafeBufferPointer { (bytes) throws(LogScanError) in try consume(bytes) }
            }
        }
        switch mode {
        case .detecting: break
        case .plain, .jsonLines:
            guard !carry.isEmpty else { return }
            linesRead += 1
            physicalLine += 1
            try searchCarry(lineNumber: physicalLine)
        case .document:
            try parseDocument()
        }
    }

    private func consume(_ bytes: UnsafeBufferPointer<UInt8>) throws(LogScanError) {
        switch mode {
        case .detecting:
            guard let newline = Self.find(UInt8(ascii: "\n"), in: bytes, from: 0) else {
                append(bytes[...])
                if carry.count >= Self.maxLine { try finishDetection() }
                return
            }
            append(bytes[..<newline])
            try finishDetection()
            // The first line ends here; what follows is read in the mode just decided.
            try consume(UnsafeBufferPointer(rebasing: bytes[newline...]))
        case .plain, .jsonLines: try scanLines(bytes)
        case .document:
            document.append(contentsOf: bytes)
            if document.count > Self.maxDocumentMiB << 20 { throw .documentTooLarge(name, Self.maxDocumentMiB) }
        }
    }

    /// Decides the format from the first line held in `carry`, then reads that line in it.
    private func finishDetection() throws(LogScanError) {
        decide(firstLine: carry[...])
        let pending = carry
        carry = []
        try pending.withUnsafeBufferPointer { (bytes) throws(LogScanError) in try consume(bytes) }
    }

    /// Plain text, unless the first line is (the start of) Render's JSON.
    private func decide(firstLine: ArraySlice<UInt8>) {
        var line = firstLine
        if line.starts(with: [0xEF, 0xBB, 0xBF]) { line = line.dropFirst(3) }
        let trimmed = line.drop { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
        guard let first = trimmed.first, first == UInt8(ascii: "{") || first == UInt8(ascii: "[") else {
            mode = .plain
            return
        }
        guard let value = try? JSONSerialization.jsonObject(with: Data(trimmed), options: []) else {
            // Not complete on its own line: a pretty-printed /v1/logs response, read whole.
            mode = .document
            format = .renderResponse
            return
        }
        if let object = value as? [String: Any] {
            if object["logs"] is [Any] {
                mode = .jsonLines
                format = .renderResponse
            } else if object["message"] is String {
                mode = .jsonLines
                format = .renderJSON
            } else {
                // Some other JSON logger (pino, bunyan): its lines are searched as text.
                mode = .plain
            }
        } else if value is [Any] {
            mode = .jsonLines
            format = .renderJSON
        } else {
            mode = .plain
        }
    }

    // MARK: Lines

    /// Where candidate lines are found: the texts as written, or as a JSON encoder writes them.
    /// Nil: every line is a candidate (a JSON log whose texts cannot be found in raw JSON, or a
    /// `/v1/logs` response per line).
    private var candidates: PatternMatcher? {
        switch (mode, format) {
        case (.jsonLines, .renderJSON): plan.jsonCandidates
        case (.jsonLines, _): nil
        default: plan.plainCandidates
        }
    }

    /// Searches whole lines of `bytes` for candidates and handles only those lines; a line cut at
    /// the end is carried to the next piece.
    private func scanLines(_ bytes: UnsafeBufferPointer<UInt8>) throws(LogScanError) {
        let linesBefore = physicalLine
        let newlines = Self.countNewlines(bytes)
        physicalLine += newlines
        // A `/v1/logs` response per line counts its records, not its lines.
        if format != .renderResponse { linesRead += newlines }
        var position = 0
        if !carry.isEmpty {
            guard let newline = Self.find(UInt8(ascii: "\n"), in: bytes, from: 0) else {
                append(bytes[...])
                return
            }
            append(bytes[..<newline])
            try searchCarry(lineNumber: linesBefore + 1)
            position = newline + 1
        }
        guard let candidates else {
            var number = linesBefore + (position > 0 ? 1 : 0)
            while let newline = Self.find(UInt8(ascii: "\n"), in: bytes, from: position) {
                number += 1
                try handle(UnsafeBufferPointer(rebasing: bytes[position..<newline])) { number }
                position = newline + 1
            }
            if position < bytes.count { append(bytes[position...]) }
            return
        }
        // `position` is always the start of a line.
        while let hit = candidates.firstMatch(in: bytes, from: position) {
            let start = Self.findBackward(UInt8(ascii: "\n"), in: bytes, before: hit, notBefore: position).map { $0 + 1 } ?? position
            guard let end = Self.find(UInt8(ascii: "\n"), in: bytes, from: hit) else {
                append(bytes[start...])
                return
            }
            // A line's number matters only for an error, which is rare: counted then.
            try handle(UnsafeBufferPointer(rebasing: bytes[start..<end])) {
                linesBefore + Self.countNewlines(UnsafeBufferPointer(rebasing: bytes[..<start])) + 1
            }
            position = end + 1
        }
        let tail = Self.findBackward(UInt8(ascii: "\n"), in: bytes, before: bytes.count, notBefore: position).map { $0 + 1 } ?? position
        if tail < bytes.count { append(bytes[tail...]) }
    }

    private func searchCarry(lineNumber: Int) throws(LogScanError) {
        let line = carry
        carry.removeAll(keepingCapacity: true)
        try line.withUnsafeBufferPointer { (bytes) throws(LogScanError) in try handle(bytes) { lineNumber } }
    }

    /// One whole line that may count: plain text, or a JSON log object (or `/v1/logs` response).
    private func handle(_ line: UnsafeBufferPointer<UInt8>, lineNumber: () -> Int) throws(LogScanError) {
        if mode == .jsonLines {
            try handleJSONLine(line, lineNumber: lineNumber)
            return
        }
        var text = line
        if let last = text.last, last == 0x0D { text = UnsafeBufferPointer(rebasing: text.dropLast()) }
        let bits = plan.matcher.bits(in: text)
        guard bits & ~(1 << UInt64(LogScanPlan.ownBit)) != 0 else { return }
        count(bits: bits, time: LogTimestamp.parse(text)) { String(decoding: text, as: UTF8.self) }
    }

    /// Counts one line holding the texts `bits` for every member it concerns, unless it is the
    /// doctor's own or outside the member's window.
    private func count(bits: UInt64, time: Int64?, text: () -> String) {
        let own = bits & (1 << UInt64(LogScanPlan.ownBit)) != 0
        var line: String?
        for (index, member) in plan.members.enumerated() where bits & member.any != 0 {
            if own {
                counted[index].ownProbeLines += 1
                continue
            }
            if let time {
                guard time >= member.since && time <= member.until else {
                    counted[index].outsideWindow += 1
                    continue
                }
            } else {
                counted[index].withoutTimestamp += 1
            }
            var patterns = plan.patternBits(member, bits)
            // A trouble line written when the doctor's own request arrived is the doctor's doing.
            if patterns & member.trouble != 0, let time, !plan.ownTimes.isEmpty,
               OwnRequestLedger.isNear(time * 1000 + 500, plan.ownTimes) {
                counted[index].ownProbeLines += 1
                patterns &= ~member.trouble
                if patterns == 0 { continue }
            }
            if line == nil { line = text() }
            counted[index].count(line!, bits: patterns, time: time)
        }
    }

    // MARK: Render JSON

    private func handleJSONLine(_ line: UnsafeBufferPointer<UInt8>, lineNumber: () -> Int) throws(LogScanError) {
        let trimmed = line.drop { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0xEF || $0 == 0xBB || $0 == 0xBF }
        guard trimmed.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else { return }
        func place() -> String {
            startOffset == 0 ? "\(name):\(lineNumber())" : "\(name), line \(lineNumber()) from byte \(startOffset)"
        }
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: Data(trimmed), options: [])
        } catch {
            let start = String(decoding: trimmed.prefix(40), as: UTF8.self)
            throw .notJSON(place(), "it starts \(Self.quote(start))")
        }
        let countsLines = format == .renderResponse
        for entry in try Self.entries(in: value, place: place()) { handle(entry, countsLine: countsLines) }
    }

    private func parseDocument() throws(LogScanError) {
        guard document.contains(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) else { return }
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: Data(document), options: [])
        } catch {
            throw .notJSON(name, "a document starting with { or [ that does not parse")
        }
        document = []
        for entry in try Self.entries(in: value, place: name) { handle(entry, countsLine: true) }
    }

    /// One log record; `countsLine` when it was not counted as a line of the input already.
    private func handle(_ entry: LogEntry, countsLine: Bool) {
        if countsLine { linesRead += 1 }
        let bits = entry.bits(plan.matcher)
        guard bits & ~(1 << UInt64(LogScanPlan.ownBit)) != 0 else { return }
        count(bits: bits, time: entry.timestamp.flatMap(LogTimestamp.parse)) {
            entry.timestamp.map { "\($0) \(entry.message)" } ?? entry.message
        }
    }

    /// The log records of a parsed JSON value: one record, a `/v1/logs` response, or an array of records.
    static func entries(in value: Any, place: @autoclosure () -> String) throws(LogScanError) -> [LogEntry] {
        if let object = value as? [String: Any] {
            if let logs = object["logs"] as? [Any] {
                var result: [LogEntry] = []
                for item in logs { result += try entries(in: item, place: place()) }
                return result
            }
            guard let message = object["message"] as? String else {
                throw .notRenderLog(place(), "a JSON object without a string \"message\"")
            }
            let labels = (object["labels"] as? [Any] ?? []).compactMap { item -> LogEntry.Label? in
                guard let label = item as? [String: Any], let name = label["name"] as? String else { return nil }
                return LogEntry.Label(name: name, value: label["value"].map { "\($0)" } ?? "")
            }
            return [LogEntry(timestamp: object["timestamp"] as? String, message: message, labels: labels)]
        }
        if let items = value as? [Any] {
            var result: [LogEntry] = []
            for item in items {
                guard item is [String: Any] else { throw .notRenderLog(place(), "an array holding something other than objects") }
                result += try entries(in: item, place: place())
            }
            return result
        }
        throw .notRenderLog(place(), "a JSON scalar")
    }

    // MARK: Bytes

    private func append(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) {
        let room = Self.maxLine - carry.count
        if room > 0 { carry.append(contentsOf: bytes.prefix(room)) }
    }

    private func append(_ bytes: ArraySlice<UInt8>) {
        let room = Self.maxLine - carry.count
        if room > 0 { carry.append(contentsOf: bytes.prefix(room)) }
    }

    static func find(_ byte: UInt8, in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard start < bytes.count, let base = bytes.baseAddress else { return nil }
        guard let found = memchr(base + start, Int32(byte), bytes.count - start) else { return nil }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    static func findBackward(_ byte: UInt8, in bytes: UnsafeBufferPointer<UInt8>, before end: Int, notBefore start: Int) -> Int? {
        // Glibc's memrchr is not visible to Swift; the distance back to a line start is short.
        var index = end - 1
        while index >= start {
            if bytes[index] == byte { return index }
            index -= 1
        }
        return nil
    }

    /// The number of `\n` bytes, eight at a time: a word's newline bytes become zero bytes, whose
    /// high bits are then counted exactly (no carry between bytes).
    static func countNewlines(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        let raw = UnsafeRawPointer(base)
        let words = bytes.count / 8
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        let newlines: UInt64 = 0x0A0A_0A0A_0A0A_0A0A
        var total = 0
        for index in 0..<words {
            let x = raw.loadUnaligned(fromByteOffset: index &* 8, as: UInt64.self) ^ newlines
            let nonzero = ((x & low7) &+ low7) | x
            total &+= (~nonzero & ~low7).nonzeroBitCount
        }
        for index in (words * 8)..<bytes.count where bytes[index] == 0x0A { total &+= 1 }
        return total
    }

    private static func quote(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\"", with: "\\\"") + (text.count >= 40 ? "…\"" : "\"")
    }
}
