import Foundation
import Testing
@testable import DoctorKit

/// One pass over an exported log for every log step of a run, JSON lines searched raw, and only the
/// window's part of a time-ordered file read (issue 22). Every count is checked against a plain
/// count that decodes every line.
@Suite("Log scan: one pass, raw JSON, the window's part")
struct LogScanPassTests {
    /// A log record as the tests write it: its time, message and labels.
    struct Record {
        var time: Int64
        var message: String
        var labels: [(String, String)] = []
    }

    /// How a JSON encoder writes a string: the ways `JSONLogLine.candidateKeys` expects.
    enum Encoder: CaseIterable {
        case minimal, goHTML, escapedSlash, asciiLower, asciiUpper, foundation
    }

    static func encode(_ text: String, _ encoder: Encoder) -> String {
        if encoder == .foundation {
            let data = try! JSONSerialization.data(withJSONObject: [text], options: [])
            let array = String(decoding: data, as: UTF8.self)
            return String(array.dropFirst(2).dropLast(2))
        }
        var out = ""
        for scalar in text.unicodeScalars {
            let hex = { (value: UInt32) -> String in
                let digits = String(value, radix: 16)
                let padded = String(repeating: "0", count: 4 - digits.count) + digits
                return "\\u" + (encoder == .asciiUpper ? padded.uppercased() : padded)
            }
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "/" where encoder == .escapedSlash: out += "\\/"
            case "<", ">", "&":
                out += encoder == .goHTML ? hex(scalar.value) : String(scalar)
            default:
                if scalar.value >= 0x80, encoder == .asciiLower || encoder == .asciiUpper {
                    if scalar.value > 0xFFFF {
                        let value = scalar.value - 0x10000
                        out += hex(0xD800 + (value >> 10)) + hex(0xDC00 + (value & 0x3FF))
                    } else {
                        out += hex(scalar.value)
                    }
                } else {
                    out += String(scalar)
                }
            }
        }
        return out
    }

    static func text(_ value: JSONValue?) -> String? {
        if case let .string(text)? = value { return text }
        return nil
    }

    static func number(_ value: JSONValue?) -> Int? {
        if case let .int(number)? = value { return number }
        return nil
    }

    static func iso(_ time: Int64) -> String {
        UTCTime.string(Date(timeIntervalSince1970: TimeInterval(time)), .iso8601)
    }

    static func jsonLine(_ record: Record, _ encoder: Encoder) -> String {
        let labels = record.labels.map { "{\"name\":\"\(encode($0.0, encoder))\",\"value\":\"\(encode($0.1, encoder))\"}" }
        return "{\"id\":\"x\",\"timestamp\":\"\(iso(record.time))\",\"message\":\"\(encode(record.message, encoder))\",\"labels\":[\(labels.joined(separator: ","))]}"
    }

    /// The count a runbook defines, the plain way: in the window, a text in the message or in one
    /// label's `name=value`, not the doctor's own.
    static func expected(_ records: [Record], texts: [String], since: Int64, until: Int64) -> Int {
        records.filter { record in
            let pieces = [record.message] + record.labels.map { "\($0.0)=\($0.1)" }
            guard record.time >= since, record.time <= until else { return false }
            guard !pieces.contains(where: { piece in LogPattern.ownProbeMarkers.contains { piece.contains($0) } }) else { return false }
            return pieces.contains { piece in texts.contains { piece.contains($0) } }
        }.count
    }

    /// A deterministic generator, so a failure can be reproduced.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state ^ (state >> 29)
        }
    }

    static func write(_ lines: [String]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pass-\(UUID().uuidString).log").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func runbook(_ steps: String) throws -> Runbook {
        try RunbookLoader(registry: .standard).load(yaml: """
            version: 1
            id: pass
            title: Pass
            symptom: test
            steps:
            \(steps)
            """, file: "pass.yml")
    }

    static func run(_ runbook: Runbook, log path: String) async -> RunReport {
        var configuration = Configuration()
        configuration.set("DOCTOR_LOG_FILE", path, origin: .process)
        let http = HTTPClient()
        defer { http.close() }
        return await Runner(configuration: configuration, http: http, options: RunOptions(timeout: .seconds(60))).run([runbook])
    }

    static func step(_ report: RunReport, _ id: String) -> StepResult {
        report.runbooks.flatMap(\.steps).first { $0.id == id }!
    }

    /// A week of records, oldest first: filler, and now and then one of `texts` (some of them the
    /// doctor's own), about `bytes` long when written.
    static func week(texts: [String], lines: Int, seed: UInt64) -> [Record] {
        var random = Generator(state: seed)
        let now = Int64(Date().timeIntervalSince1970)
        let start = now - 7 * 86400
        return (0..<lines).map { index in
            let time = start + Int64(index) * (7 * 86400 - 60) / Int64(lines)
            let roll = Int.random(in: 0..<100, using: &random)
            var message = "GET /api/payments/\(index) answered in \(index % 97) ms from instance srv-abc-\(index % 3), cache miss for customer"
            if roll < 3 { message = "✅ " + texts[index % texts.count] + " for pi_\(index)" }
            if roll == 3 { message += " " + texts[index % texts.count] + " evt_doctor_\(index)" }
            return Record(time: time, message: message, labels: [("level", roll < 3 ? "info" : "debug"), ("type", "app")])
        }
    }

    @Test("every log step of a run is served by one pass over the file, each with its own patterns and window")
    func onePass() async throws {
        let now = Int64(Date().timeIntervalSince1970)
        var records: [Record] = []
        for minutes in stride(from: 60 * 30, to: 0, by: -7) {
            let text = ["Unhandled event type", "Payment record created", "Database connection error",
                        "Starting payment reconciliation", "Payment reconciliation completed", "   Synced: 10, Created: 0, Updated: 0"][minutes % 6]
            records.append(Record(time: now - Int64(minutes) * 60, message: "\(text) #\(minutes)"))
        }
        let path = try Self.write(records.map { Self.jsonLine($0, .goHTML) })
        defer { try? FileManager.default.removeItem(atPath: path) }
        let runbook = try Self.runbook("""
              - id: day
                title: Day
                check: log-scan
                with:
                  window: 24h
                  patterns:
                    - { id: unhandled, text: Unhandled event type, meaning: x }
                    - { id: created, text: Payment record created, meaning: x }
              - id: hour
                title: Hour
                check: log-scan
                with:
                  window: 1h
                  patterns:
                    - { id: db, text: Database connection error, meaning: x }
              - id: job
                title: Job
                check: reconciliation-job
                with: { within: 26h }
            """)
        let report = await Self.run(runbook, log: path)
        for id in ["day", "hour", "job"] {
            let read = Self.text(Self.step(report, id).evidence["read"])
            #expect(read?.contains("one pass served 3 steps") == true, "\(id): \(String(describing: read))")
        }
        let day = Self.step(report, "day").evidence
        #expect(day["counts"]?["unhandled"] == .int(Self.expected(records, texts: ["Unhandled event type"], since: now - 86400, until: now + 300)))
        #expect(day["counts"]?["created"] == .int(Self.expected(records, texts: ["Payment record created"], since: now - 86400, until: now + 300)))
        #expect(Self.step(report, "hour").evidence["counts"]?["db"] == .int(Self.expected(records, texts: ["Database connection error"], since: now - 3600, until: now + 300)))
        let job = Self.step(report, "job").evidence
        #expect(job["counts"]?["started"] == .int(Self.expected(records, texts: ["Starting payment reconciliation"], since: now - 26 * 3600, until: now + 300)))
        #expect(job["counts"]?["completed"] == .int(Self.expected(records, texts: ["Payment reconciliation completed"], since: now - 26 * 3600, until: now + 300)))
    }

    @Test("JSON lines from every common encoder count exactly as decoding every line does, labels included")
    func encoders() async throws {
        let texts = ["Payment record created", "</api/webhooks/stripe>", "R&D \"quoted\" a\\b", "✅ done", "statusCode=429",
                     "a/b", "Ünïcode 𝄞", "=value-only"]
        let fillers = ["hello", " ", "Payment record", "created", "statusCode", "<", "&", "/", "✅", "𝄞", "done", "evt_doctor_1", "\"", "value-only"]
        var random = Generator(state: 22)
        let now = Int64(Date().timeIntervalSince1970)
        var records: [Record] = []
        var lines: [String] = []
        for index in 0..<3000 {
            var message = ""
            for _ in 0..<Int.random(in: 1...6, using: &random) {
                message += Bool.random(using: &random) ? texts.randomElement(using: &random)! : fillers.randomElement(using: &random)!
            }
            var labels: [(String, String)] = [("level", "info")]
            if Int.random(in: 0..<4, using: &random) == 0 { labels.append(("statusCode", ["429", "200", "4290"].randomElement(using: &random)!)) }
            if Int.random(in: 0..<8, using: &random) == 0 { labels.append(("tag", "value-only")) }
            let record = Record(time: now - Int64(3000 - index), message: message, labels: labels)
            records.append(record)
            lines.append(Self.jsonLine(record, Encoder.allCases.randomElement(using: &random)!))
        }
        let path = try Self.write(lines)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let patterns = texts.enumerated().map { "            - { id: p\($0.offset), text: \(Self.yamlString($0.element)), meaning: x }" }
        let runbook = try Self.runbook("""
              - id: scan
                title: Scan
                check: log-scan
                with:
                  window: 2h
                  patterns:
            \(patterns.joined(separator: "\n"))
            """)
        let result = Self.step(await Self.run(runbook, log: path), "scan")
        #expect(result.evidence["format"] == .string("render-json"))
        for (index, text) in texts.enumerated() {
            let want = Self.expected(records, texts: [text], since: now - 7200, until: now + 300)
            #expect(want > 0, "the test should exercise \(text)")
            #expect(result.evidence["counts"]?["p\(index)"] == .int(want), "\(text)")
        }
    }

    static func yamlString(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    @Test("a time-ordered export is read only in its window, oldest or newest first, plain or JSON; an unordered one whole, said so")
    func window() async throws {
        let texts = ["Unhandled event type", "Database connection error"]
        let records = Self.week(texts: texts, lines: 40_000, seed: 7)
        let now = Int64(Date().timeIntervalSince1970)
        let runbook = try Self.runbook("""
              - id: scan
                title: Scan
                check: log-scan
                with:
                  window: 24h
                  patterns:
                    - { id: unhandled, text: Unhandled event type, meaning: x }
                    - { id: db, text: Database connection error, meaning: x }
            """)
        var shuffler = Generator(state: 3)
        let forms: [(String, [String], String)] = [
            ("json, oldest first", records.map { Self.jsonLine($0, .minimal) }, "oldest first"),
            ("plain, oldest first", records.map { "\(Self.iso($0.time)) \($0.message)" }, "oldest first"),
            ("json, newest first", records.reversed().map { Self.jsonLine($0, .minimal) }, "newest first"),
            ("plain, shuffled", records.map { "\(Self.iso($0.time)) \($0.message)" }.shuffled(using: &shuffler), "not in time order"),
        ]
        for (name, lines, order) in forms {
            let path = try Self.write(lines)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let result = Self.step(await Self.run(runbook, log: path), "scan")
            let read = Self.text(result.evidence["read"]) ?? ""
            #expect(read.contains(order), "\(name): \(read)")
            for (id, text) in zip(["unhandled", "db"], texts) {
                #expect(result.evidence["counts"]?[id] == .int(Self.expected(records, texts: [text], since: now - 86400, until: now + 300)), "\(name) \(id)")
            }
            let lines = Self.number(result.evidence["lines_read"]) ?? 0
            if order == "not in time order" {
                #expect(lines == records.count, "\(name)")
            } else {
                // A day of a week and the tolerance at its edges: about a seventh.
                #expect(lines < records.count / 5, "\(name): read \(lines) lines of \(records.count)")
                #expect(read.contains("% of the file"), "\(name): \(read)")
            }
        }
    }

    @Test("an export that ends before the window says so, instead of calling the log empty or healthy")
    func windowBeyondFile() async throws {
        let old = Self.week(texts: ["Unhandled event type"], lines: 40_000, seed: 9).map { Record(time: $0.time - 10 * 86400, message: $0.message) }
        let path = try Self.write(old.map { "\(Self.iso($0.time)) \($0.message)" })
        defer { try? FileManager.default.removeItem(atPath: path) }
        let runbook = try Self.runbook("""
              - id: scan
                title: Scan
                check: log-scan
                with:
                  window: 24h
                  patterns:
                    - { id: unhandled, text: Unhandled event type, meaning: x, warn: 1 }
            """)
        let result = Self.step(await Self.run(runbook, log: path), "scan")
        #expect(result.status == .unknown)
        #expect(result.summary.contains("holds no line since"), "\(result.summary)")
        #expect(result.summary.contains("its lines run from"), "\(result.summary)")
    }

    @Test("a finished file whose scan runs out of time says how much of it was read, not a hint about tail -f")
    func unfinished() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("big-\(UUID().uuidString).log").path
        let line = Array("no timestamp here, Unhandled event type now and then, and filler to make the line long enough\n".utf8)
        var chunk: [UInt8] = []
        while chunk.count < 1 << 20 { chunk += line }
        FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        for _ in 0..<192 { handle.write(Data(chunk)) }
        try handle.close()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let runbook = try Self.runbook("""
              - id: scan
                title: Scan
                check: log-scan
                with:
                  window: 24h
                  patterns:
                    - { id: unhandled, text: Unhandled event type, meaning: x, warn: 1 }
                timeout: 50ms
            """)
        let result = Self.step(await Self.run(runbook, log: path), "scan")
        #expect(result.status == .unknown)
        #expect(result.summary.hasPrefix("the scan of \(path) did not finish in 50ms (read "), "\(result.summary)")
        #expect(result.summary.hasSuffix("% of it)"), "\(result.summary)")
        #expect(!result.summary.contains("tail -f"))
    }
}
