// The log scanner over arbitrary bytes in arbitrary chunkings, and LogTimestamp.
//
// Input: two bytes seeding the chunk sizes, then the log. The same log is scanned whole and in
// chunks; the counts must agree (a line or a pattern cut by a chunk boundary counts the same), and
// the errors too. LogTimestamp must read the same from a buffer and from a String.
@testable import DoctorKit

let patterns = ["Unhandled event type", "Database connection error", "Webhook signature verification failed",
                "record", "Payment rec", "level", "\"message\""]
// A fixed window (2026-11-29 ± a day), so runs are reproducible.
let plan = LogScanPlan([LogScanRequest(patterns: patterns.map { [$0] }, window: .seconds(100_000))],
                       now: 1_795_100_000, skew: 100_000)!

struct Outcome: Equatable {
    var counts: [Int] = []
    var recent: [[String]] = []
    var lastTimes: [Int64?] = []
    var format = ""
    var linesRead = 0
    var outsideWindow = 0
    var withoutTimestamp = 0
    var ownProbeLines = 0
    var error: String?
}

func scan(_ log: UnsafeBufferPointer<UInt8>, chunks: (Int) -> Int) -> Outcome {
    let scanner = LogScanner(plan: plan, sourceName: "fuzz.log")
    var outcome = Outcome()
    do throws(LogScanError) {
        var start = 0
        var index = 0
        while start < log.count {
            let end = start + min(log.count - start, chunks(index))
            try scanner.consume(.bytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: log[start..<end]))))
            start = end
            index += 1
        }
        try scanner.finish()
    } catch {
        outcome.error = error.errorDescription ?? "\(error)"
    }
    let tally = scanner.tally
    outcome.counts = tally.patterns.map(\.count)
    outcome.recent = tally.patterns.map(\.recent)
    outcome.lastTimes = tally.patterns.map(\.lastTime)
    outcome.format = tally.format.rawValue
    outcome.linesRead = tally.linesRead
    outcome.outsideWindow = tally.outsideWindow
    outcome.withoutTimestamp = tally.withoutTimestamp
    outcome.ownProbeLines = tally.ownProbeLines
    return outcome
}

/// One input: libFuzzer's LLVMFuzzerTestOneInput.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    guard size >= 2 else { return 0 }
    let seed = Int(input[0]) | Int(input[1]) << 8
    let log = UnsafeBufferPointer(rebasing: input[2...])

    let whole = scan(log) { _ in Int.max }
    // Chunk sizes 1...16 drawn from the seed, cycling: every boundary position gets exercised.
    let chunked = scan(log) { index in 1 + ((seed >> (index % 13)) ^ index) & 15 }
    precondition(whole == chunked, "chunking changed the scan:\n\(whole)\n\(chunked)")

    let fromBuffer = LogTimestamp.parse(log)
    let fromString = LogTimestamp.parse(String(decoding: log, as: UTF8.self))
    // A String re-encodes invalid UTF-8, so only valid input must agree.
    if String(validating: log, as: UTF8.self) != nil {
        precondition(fromBuffer == fromString, "LogTimestamp: \(String(describing: fromBuffer)) vs \(String(describing: fromString))")
    }
    return 0
}
