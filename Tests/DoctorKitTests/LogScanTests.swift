import Foundation
import Testing
@testable import DoctorKit

/// A log line stamped `secondsAgo` before now, as Render exports it.
func stamped(_ secondsAgo: Int, _ text: String, offset: String = "Z") -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    let stamp = formatter.string(from: Date().addingTimeInterval(TimeInterval(-secondsAgo)))
    return offset == "Z" ? "\(stamp) \(text)" : stamp.replacingOccurrences(of: "Z", with: offset) + " \(text)"
}

/// The `log-scan` kind: the scanner on tricky input, the window, own probes, Render JSON, the
/// derived figures and the thresholds, through runbook steps as an operator writes them.
@Suite("Log scan")
struct LogScanTests {
    static let guidePatterns = """
              - { id: unhandled, text: "Unhandled event type", meaning: "Handler has no case for the type.", warn: 1, fail: 20 }
              - { id: started, text: "Processing successful payment", meaning: Started }
              - { id: created, text: "Payment record created", meaning: Success }
              - { id: recon-start, text: "Starting payment reconciliation", meaning: Reconciliation started }
              - { id: recon-done, text: "Payment reconciliation completed", meaning: Reconciliation completed }
              - { id: figures, text: "Synced: ", meaning: Reconciliation figures }
              - { id: http-429, text: ["]429 ", "statusCode=429"], meaning: "Rate limited (100 requests per 60 seconds).", warn: 1 }
        """

    func check(_ with: String = "", patterns: String = LogScanTests.guidePatterns, extra: String = "") throws -> any Check {
        let runbook = try RunbookLoader(registry: .standard).load(yaml: """
            version: 1
            id: logs
            title: Logs
            symptom: test
            steps:
              - id: scan
                title: Scan
                check: log-scan
                with:
                  window: 1h
                  patterns:
            \(patterns)
            \(with)
            \(extra)
            """, file: "logs.yml")
        return runbook.steps[0].check
    }

    func run(_ check: any Check, log: String, configuration extra: [String: String] = [:]) async throws -> CheckOutcome {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("scan-\(UUID().uuidString).log").path
        try log.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return await run(check, path: path, configuration: extra)
    }

    func run(_ check: any Check, path: String?, configuration extra: [String: String] = [:]) async -> CheckOutcome {
        var configuration = Configuration()
        if let path { configuration.set("DOCTOR_LOG_FILE", path, origin: .process) }
        for (name, value) in extra { configuration.set(name, value, origin: .process) }
        let http = HTTPClient()
        defer { http.close() }
        return await check.run(in: CheckContext(configuration: configuration, http: http, readOnly: true,
                                                deadline: .now + check.timeout))
    }

    /// Counts of the scanner over `log` fed in pieces cut at `cuts`.
    func tally(_ log: [UInt8], cuts: [Int], patterns: [String]) throws -> LogTally {
        let now = Int64(Date().timeIntervalSince1970)
        let plan = try #require(LogScanPlan([LogScanRequest(patterns: patterns.map { [$0] }, window: .seconds(3600))], now: now, skew: 300))
        let scanner = LogScanner(plan: plan, sourceName: "test.log")
        var start = 0
        for cut in cuts + [log.count] where cut >= start {
            try log[start..<cut].withUnsafeBytes { bytes throws in try scanner.consume(.bytes(bytes)) }
            start = cut
        }
        try scanner.finish()
        return scanner.tally
    }

    @Test("the automaton finds exactly what a naive search finds, over random patterns and texts")
    func matcherAgreesWithNaiveSearch() throws {
        // A small alphabet makes overlaps, shared prefixes and suffix chains (the failure links) common.
        // A wide alphabet and many patterns now and then: more distinct first bytes than the
        // vector skip takes, so the byte-at-a-time loop is checked too. Texts span several
        // 16-byte blocks.
        var generator = SystemRandomNumberGenerator()
        var alphabet: ClosedRange<UInt8> = 97...100
        func word(_ length: ClosedRange<Int>) -> [UInt8] {
            (0..<Int.random(in: length, using: &generator)).map { _ in UInt8.random(in: alphabet, using: &generator) }
        }
        func occurs(_ needle: [UInt8], in haystack: [UInt8]) -> Bool {
            guard needle.count <= haystack.count else { return false }
            return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
        }
        for round in 0..<600 {
            alphabet = round % 3 == 0 ? 65...90 : 97...100
            let patterns = (0..<Int.random(in: 1...(round % 3 == 0 ? 40 : 12), using: &generator)).map { _ in word(1...6) }
            let matcher = try #require(PatternMatcher(patterns.enumerated().map { ($1, $0) }))
            for _ in 0..<10 {
                let text = word(0...120)
                let expected = patterns.enumerated().reduce(UInt64(0)) { bits, pattern in
                    occurs(pattern.element, in: text) ? bits | 1 << UInt64(pattern.offset) : bits
                }
                let found = text.withUnsafeBufferPointer { matcher.bits(in: $0) }
                #expect(found == expected, "patterns \(patterns.map { String(decoding: $0, as: UTF8.self) }) in \(String(decoding: text, as: UTF8.self))")
                let first = text.withUnsafeBufferPointer { matcher.firstMatch(in: $0, from: 0) }
                let naiveFirst = text.indices.first { end in patterns.contains { $0.count <= end + 1 && text[(end + 1 - $0.count)...end].elementsEqual($0) } }
                #expect(first == naiveFirst, "first match of \(patterns.map { String(decoding: $0, as: UTF8.self) }) in \(String(decoding: text, as: UTF8.self))")
            }
        }
    }

    @Test("overlapping and nested patterns are each found, after UTF-8 emoji prefixes")
    func overlapping() throws {
        let log = Array("✅ Payment record created\n💰 Processing successful payment\n🔄 Payment reconciliation completed:\n".utf8)
        let counted = try tally(log, cuts: [], patterns: ["Payment record created", "record", "Payment rec", "Processing", "reconciliation completed"])
        #expect(counted.patterns.map(\.count) == [1, 1, 2, 1, 1])
        #expect(counted.linesRead == 3)
        #expect(counted.patterns[0].recent == ["✅ Payment record created"])
    }

    @Test("a pattern cut by any chunk boundary, CRLF endings and a last line without newline count the same")
    func chunkBoundaries() throws {
        let text = "a\r\nUnhandled event type: x\r\nb Database connection error\r\n\r\nlast Unhandled event type"
        let log = Array(text.utf8)
        let whole = try tally(log, cuts: [], patterns: ["Unhandled event type", "Database connection error"])
        #expect(whole.patterns.map(\.count) == [2, 1])
        #expect(whole.linesRead == 5)
        #expect(whole.patterns[0].recent == ["Unhandled event type: x", "last Unhandled event type"], "no \\r in examples")
        for cut in 1..<log.count {
            let split = try tally(log, cuts: [cut], patterns: ["Unhandled event type", "Database connection error"])
            #expect(split.patterns.map(\.count) == [2, 1], "cut at \(cut)")
            #expect(split.linesRead == 5, "cut at \(cut)")
        }
        let bytewise = try tally(log, cuts: Array(1..<log.count), patterns: ["Unhandled event type", "Database connection error"])
        #expect(bytewise.patterns.map(\.count) == [2, 1])
    }

    @Test("lines stamped outside the window are left out; lines without a time are counted and said so")
    func window() async throws {
        let log = [
            stamped(60, "Unhandled event type: a"),
            stamped(7200, "Unhandled event type: two hours ago"),
            stamped(30, "Unhandled event type: b", offset: "+00:00"),
            "Unhandled event type: no time",
            "[" + stamped(10, "Unhandled event type: bracketed").replacingOccurrences(of: " U", with: "] U"),
        ].joined(separator: "\n") + "\n"
        let outcome = try await run(try check(), log: log)
        #expect(outcome.evidence["counts"]?["unhandled"] == .int(4))
        #expect(outcome.evidence["matching_lines_outside_window"] == .int(1))
        #expect(outcome.evidence["matching_lines_without_timestamp"] == .int(1))
        #expect(outcome.evidence["note"]?.logText?.contains("counted as inside the window") == true)
        #expect(outcome.evidence["window"] == .string("1h"))
        #expect(outcome.summary.contains("1 matching line outside the window left out"))
        #expect(LogTimestamp.parse("2026-11-29T03:12:40.123+02:00 x") == LogTimestamp.parse("2026-11-29T01:12:40Z"))
        #expect(LogTimestamp.parse("Nov 29 03:12:40 x") == nil)
    }

    @Test("the doctor's own probe events and requests are not counted, but counted apart")
    func ownProbes() async throws {
        let log = [
            stamped(5, "Unhandled event type: doctor.probe"),
            stamped(5, "Missing Stripe signature evt_doctor_probe_0123 Unhandled event type"),
            stamped(5, "[POST]429 api.onrender.com/api/webhooks/stripe userAgent=\"doctor/\(DoctorVersion.current)\""),
            stamped(5, "Unhandled event type: customer.created"),
        ].joined(separator: "\n")
        let outcome = try await run(try check(), log: log)
        #expect(outcome.evidence["counts"]?["unhandled"] == .int(1))
        #expect(outcome.evidence["counts"]?["http-429"] == .int(0))
        #expect(outcome.evidence["own_probe_lines"] == .int(3))
    }

    @Test("Render JSON: log objects one per line, a one-line and a pretty /v1/logs response, labels searched")
    func renderJSON() async throws {
        func object(_ secondsAgo: Int, _ message: String, labels: String = "") -> String {
            let time = ISO8601DateFormatter().string(from: Date().addingTimeInterval(TimeInterval(-secondsAgo)))
            return #"{"id":"log-\#(secondsAgo)","timestamp":"\#(time)","message":"\#(message)","labels":[{"name":"type","value":"app"}\#(labels)]}"#
        }
        let lines = [object(10, "Unhandled event type: a"), object(9000, "Unhandled event type: old"),
                     object(5, "[GET] /api/health", labels: #",{"name":"statusCode","value":"429"}"#)]
        let perLine = try await run(try check(), log: lines.joined(separator: "\n") + "\n")
        #expect(perLine.evidence["format"] == .string("render-json"))
        #expect(perLine.evidence["lines_read"] == .int(3))
        #expect(perLine.evidence["counts"]?["unhandled"] == .int(1))
        #expect(perLine.evidence["counts"]?["http-429"] == .int(1))
        #expect(perLine.evidence["matching_lines_outside_window"] == .int(1))

        let response = #"{"hasMore":false,"logs":[\#(lines.joined(separator: ","))],"nextStartTime":"x","nextEndTime":"y"}"#
        let oneLine = try await run(try check(), log: response)
        #expect(oneLine.evidence["format"] == .string("render-logs-response"))
        #expect(oneLine.evidence["counts"]?["unhandled"] == .int(1))
        #expect(oneLine.evidence["counts"]?["http-429"] == .int(1))

        let pretty = String(data: try JSONSerialization.data(withJSONObject: JSONSerialization.jsonObject(with: Data(response.utf8)),
                                                             options: .prettyPrinted), encoding: .utf8)!
        #expect(pretty.contains("\n"))
        let document = try await run(try check(), log: pretty)
        #expect(document.evidence["format"] == .string("render-logs-response"))
        #expect(document.evidence["lines_read"] == .int(3))
        #expect(document.evidence["counts"]?["unhandled"] == .int(1))
    }

    @Test("a malformed line of a Render JSON log that holds a pattern is a one-line error naming file:line; one that holds none is not read")
    func malformedJSON() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).jsonl").path
        try "{\"timestamp\":\"2026-01-01T00:00:00Z\",\"message\":\"ok\"}\n\n{\"message\": \"Unhandled event type cut off\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let outcome = await run(try check(), path: path)
        #expect(outcome.status == .unknown)
        #expect(outcome.summary.hasPrefix("\(path):3: not valid JSON"), "\(outcome.summary)")
        #expect(!outcome.summary.contains("\n"))

        try "{\"message\":\"ok\"}\n{\"level\":30,\"note\":\"Unhandled event type\"}\n".write(toFile: path, atomically: true, encoding: .utf8)
        let other = await run(try check(), path: path)
        #expect(other.summary.hasPrefix("\(path):2: a JSON object without a string \"message\""), "\(other.summary)")

        // Lines are decoded only when a pattern can match them (that is what makes a JSON log
        // scan at grep's speed): a broken line that holds no pattern changes no count.
        try "{\"message\":\"ok\"}\n{\"message\": oops}\n{\"message\":\"Unhandled event type: x\"}\n".write(toFile: path, atomically: true, encoding: .utf8)
        let quiet = await run(try check(), path: path)
        #expect(quiet.evidence["counts"]?["unhandled"] == .int(1), "\(quiet.summary)")
        #expect(quiet.evidence["lines_read"] == .int(3))
    }

    @Test("the webhook success ratio meets the guide's bands once enough payments started")
    func successRatio() async throws {
        let rate = "      success_rate: { succeeded: created, started: started, min_started: 10 }"
        func log(started: Int, created: Int) -> String {
            (Array(repeating: stamped(5, "💰 Processing successful payment"), count: started)
                + Array(repeating: stamped(4, "✅ Payment record created"), count: created)).joined(separator: "\n")
        }
        let healthy = try await run(try check(rate, extra: "    thresholds: { warn: 99%, fail: 95% }"), log: log(started: 100, created: 100))
        #expect(healthy.status == .pass)
        #expect(healthy.hint == nil)
        #expect(healthy.summary.contains("webhook success 100.0% (100/100)"))
        let warning = try await run(try check(rate), log: log(started: 100, created: 97))
        #expect(warning.status == .warn)
        #expect(warning.hint?.contains("healthy above 99%") == true)
        let failing = try await run(try check(rate), log: log(started: 100, created: 90))
        #expect(failing.status == .fail)
        #expect(failing.evidence["success_rate"] == .string("90.0% (90 created of 100 started)"))
        let few = try await run(try check(rate), log: log(started: 5, created: 1))
        #expect(few.status == .pass)
        #expect(few.evidence["success_rate"]?.logText?.contains("not judged") == true)
    }

    @Test("the last reconciliation's figures are read as the guide reads them")
    func reconciliation() async throws {
        let plan = "      reconciliation: { started: recon-start, completed: recon-done, figures: figures }"
        let clean = [stamped(90, "🔄 Starting payment reconciliation..."), stamped(80, "✅ Payment reconciliation completed:"),
                     stamped(80, "   Synced: 120, Created: 0, Updated: 0")].joined(separator: "\n")
        let matched = try await run(try check(plan), log: clean)
        #expect(matched.status == .pass)
        #expect(matched.evidence["reconciliation"]?["reading"] == .string("Synced 120: everything matched"))

        let missed = [stamped(900, "   Synced: 1, Created: 1, Updated: 0"), stamped(90, "🔄 Starting payment reconciliation..."),
                      stamped(80, "✅ Payment reconciliation completed:"), stamped(80, "   Synced: 97, Created: 2, Updated: 1")].joined(separator: "\n")
        let outcome = try await run(try check(plan), log: missed)
        #expect(outcome.status == .warn, "3 % is under the 5 % failure band")
        #expect(outcome.evidence["reconciliation"]?["created"] == .int(2))
        #expect(outcome.evidence["reconciliation"]?["updated"] == .int(1))
        #expect(outcome.hint?.contains("Created 2: Stripe had a payment you didn't track (webhook missed it)") == true)
        #expect(outcome.hint?.contains("Updated 1: status changed in Stripe before webhook arrived") == true)

        let many = try await run(try check(plan), log: stamped(80, "Synced: 10, Created: 5, Updated: 0"))
        #expect(many.status == .fail)

        let unfinished = try await run(try check(plan), log: clean + "\n" + stamped(10, "🔄 Starting payment reconciliation..."))
        #expect(unfinished.status == .warn)
        #expect(unfinished.summary.contains("the last reconciliation did not complete"))
    }

    @Test("per-pattern counts meet their thresholds: pass, warn, fail, with the meaning as hint")
    func thresholds() async throws {
        let none = try await run(try check(), log: stamped(5, "✅ Payment record created") + "\n")
        #expect(none.status == .pass)
        #expect(none.hint == nil)
        let one = try await run(try check(), log: stamped(5, "Unhandled event type: customer.created"))
        #expect(one.status == .warn)
        #expect(one.summary.hasPrefix("1× \"Unhandled event type\" in 1 lines (last 1h)"))
        #expect(one.hint == "\"Unhandled event type\" ×1: Handler has no case for the type.")
        let many = try await run(try check(), log: Array(repeating: stamped(5, "Unhandled event type: x"), count: 20).joined(separator: "\n"))
        #expect(many.status == .fail)
        #expect((many.evidence["examples"]?.logItems?.count ?? 0) == 3, "3 examples per pattern")
    }

    @Test("example lines are redacted: configured secrets, e-mail addresses and card numbers")
    func redactedExamples() async throws {
        let key = "sk_live_" + String(repeating: "a", count: 20) + "4f2a"
        let log = stamped(5, "Unhandled event type for jane@example.com card 4242 4242 4242 4242 key \(key)")
        let outcome = try await run(try check(), log: log, configuration: ["STRIPE_SECRET_KEY": key])
        let example = try #require(outcome.evidence["examples"]?.logItems?.first?.logText)
        #expect(!example.contains("jane@example.com"))
        #expect(!example.contains("4242 4242 4242 4242"))
        #expect(!example.contains(key))
        #expect(example.contains("[card …4242]"))
    }

    @Test("no log: skipped with what to set; an empty or unreadable log is unknown")
    func sources() async throws {
        let missing = await run(try check(), path: nil)
        #expect(missing.status == .skip)
        #expect(missing.hint?.contains("DOCTOR_LOG_FILE") == true)
        #expect(missing.hint?.contains("RENDER_API_KEY and RENDER_SERVICE_ID") == true)
        // With Render credentials and no file, the Render logs API is the source: here nothing
        // answers at its base, which is what the doctor could not see (unknown), in plain words.
        let closed = try closedLoopbackPort()
        let render = await run(try check(), path: nil, configuration: [
            "RENDER_API_KEY": "rnd_abcdefgh1234", "RENDER_SERVICE_ID": "srv-x", "RENDER_API_BASE": "http://127.0.0.1:\(closed)/v1",
        ])
        #expect(render.status == .unknown, "\(render.summary)")
        #expect(render.summary.contains("the Render logs API (srv-x)"))
        #expect(render.summary.contains("did not answer"))
        let empty = try await run(try check(), log: "")
        #expect(empty.status == .unknown)
        #expect(empty.summary.contains("is empty"))
        let absent = await run(try check(), path: "/nonexistent/render.log")
        #expect(absent.status == .unknown)
        #expect(absent.summary == "cannot open the log /nonexistent/render.log: No such file or directory")
    }

    @Test("bad log-scan parameters are errors at file:line:column")
    func loaderErrors() {
        func error(_ patterns: String, with: String = "", extra: String = "") -> String? {
            do {
                _ = try check(with, patterns: patterns, extra: extra)
                return nil
            } catch {
                return (error as? RunbookError)?.description
            }
        }
        #expect(error("          - { id: a, txt: x, meaning: m }")?.hasPrefix("logs.yml:12:22: unknown parameter `txt` for check `log-scan` pattern `a`") == true)
        #expect(error("          - { id: a, text: x }")?.contains("missing parameter `meaning`") == true)
        #expect(error("          - { id: a, text: x, meaning: m, warn: 5, fail: 2 }")?.contains("`fail` (2) must not be below `warn` (5)") == true)
        #expect(error("          - { id: a, text: x, meaning: m }\n          - { id: a, text: y, meaning: m }")?.contains("duplicate pattern id `a`") == true)
        #expect(error("          - { id: a, text: x, meaning: m }", with: "      success_rate: { succeeded: a, started: b }")?
            .contains("`success_rate.started` names no pattern: `b`") == true)
        #expect(error("          - { id: a, text: x, meaning: m }", extra: "    thresholds: { warn: 99% }")?
            .contains("set `success_rate`") == true)
        #expect(error("          - { id: a, text: \"\", meaning: m }")?.contains("`text` must not be empty") == true)
    }
}

private extension JSONValue {
    var logText: String? { if case let .string(s) = self { s } else { nil } }
    var logItems: [JSONValue]? { if case let .array(a) = self { a } else { nil } }
}
