/// What one step asks of a log scan: its patterns (each one or more texts) and how far back it looks.
///
/// Steps of a run that read the same log hand their requests to one `LogScanPlan`, so the log is
/// read once for all of them (issue 22: one pass for the run).
///
/// Two steps asking the same (same texts, same window) are served the same counts.
struct LogScanRequest: Sendable, Hashable {
    /// Per pattern, the texts that identify its lines; any one counts the line once.
    let patterns: [[String]]
    /// How far back from the scan's start the step's window reaches.
    let window: Duration
    /// Per pattern, whether its lines are trouble (the pattern has a threshold): only those are
    /// attributed to the doctor's own requests when they coincide with one.
    var trouble: [Bool] = []
}

/// Several steps' requests over one log, compiled for one pass: one automaton over the distinct
/// texts of them all, and per step which texts make each of its patterns and its time window.
///
/// A line's texts are found once; each step then counts the line for those of its patterns whose
/// texts it holds, if its time lies in the step's window.
struct LogScanPlan: Sendable {
    /// One step's part of the plan.
    struct Member: Sendable {
        /// Per pattern of the step, the bits (in `matcher`) of its texts.
        let masks: [UInt64]
        /// The union of `masks`: whether a line concerns this step at all.
        let any: UInt64
        /// The bits of the step's trouble patterns (`LogScanRequest.trouble`).
        let trouble: UInt64
        /// Lines stamped before this (seconds since 1970) are outside the step's window.
        let since: Int64
        /// Lines stamped after this are outside it.
        let until: Int64
    }

    /// Every distinct text (one bit each) and the own-probe markers (`ownBit`), searched in a line.
    let matcher: PatternMatcher
    /// The texts alone, as written: finds the lines of a plain log that can count.
    let plainCandidates: PatternMatcher
    /// The texts as a JSON encoder writes them inside a string: finds the JSON lines worth decoding.
    /// Nil when some text cannot be found in raw JSON (every line is then decoded).
    let jsonCandidates: PatternMatcher?
    /// The steps, in the order of the requests.
    let members: [Member]
    /// The earliest `since` and latest `until` of the members: the part of a time-ordered file to read.
    let since: Int64
    let until: Int64
    /// When the doctor sent the service requests it logs as trouble (epoch ms, sorted).
    let ownTimes: [Int64]

    /// The bit of the doctor's own-probe markers.
    static let ownBit = PatternMatcher.maxBits - 1
    /// Distinct texts one plan can tell apart (one bit is the markers').
    static let maxTexts = PatternMatcher.maxBits - 1

    /// A plan for `requests`, windows ending at `now` (plus the tolerated clock skew).
    ///
    /// Nil when the texts exceed one automaton (more than `maxTexts` distinct texts, or about
    /// 64 KiB of them): callers split the requests (`plans(for:)`).
    /// `ownMarkers` are more texts that make a line the doctor's own: its canary payments' ids.
    init?(_ requests: [LogScanRequest], now: Int64, skew: Int64, ownTimes: [Int64] = [], ownMarkers: [String] = []) {
        var bitOfText: [String: Int] = [:]
        var texts: [String] = []
        var members: [Member] = []
        for request in requests {
            var masks: [UInt64] = []
            for pattern in request.patterns {
                var mask: UInt64 = 0
                for text in pattern {
                    let bit: Int
                    if let known = bitOfText[text] {
                        bit = known
                    } else {
                        bit = texts.count
                        guard bit < Self.maxTexts else { return nil }
                        bitOfText[text] = bit
                        texts.append(text)
                    }
                    mask |= 1 << UInt64(bit)
                }
                masks.append(mask)
            }
            let trouble = request.trouble.enumerated().reduce(UInt64(0)) { bits, pattern in pattern.element ? bits | 1 << UInt64(pattern.offset) : bits }
            members.append(Member(masks: masks, any: masks.reduce(0, |), trouble: trouble,
                                  since: now - Int64(request.window.seconds), until: now + skew))
        }
        let own = (LogPattern.ownProbeMarkers + ownMarkers).map { (Array($0.utf8), Self.ownBit) }
        let plain = texts.enumerated().map { (Array($0.element.utf8), $0.offset) }
        guard let matcher = PatternMatcher(plain + own), let candidates = PatternMatcher(plain) else { return nil }
        self.matcher = matcher
        self.plainCandidates = candidates
        var encoded: [([UInt8], Int)] = []
        var findable = true
        for (bit, text) in texts.enumerated() {
            let keys = JSONLogLine.candidateKeys(for: text)
            if keys.isEmpty { findable = false }
            encoded += keys.map { ($0, bit) }
        }
        self.jsonCandidates = findable ? PatternMatcher(encoded) : nil
        self.members = members
        self.since = members.map(\.since).min() ?? now
        self.until = members.map(\.until).max() ?? now
        self.ownTimes = ownTimes
    }

    /// Plans covering every request, as few as fit: requests are added in order while their texts fit.
    static func plans(for requests: [LogScanRequest], now: Int64, skew: Int64, ownTimes: [Int64] = [],
                      ownMarkers: [String] = []) -> [(plan: LogScanPlan, requests: [LogScanRequest])] {
        var result: [(LogScanPlan, [LogScanRequest])] = []
        var group: [LogScanRequest] = []
        var built: LogScanPlan?
        for request in requests {
            if let plan = LogScanPlan(group + [request], now: now, skew: skew, ownTimes: ownTimes, ownMarkers: ownMarkers) {
                group.append(request)
                built = plan
            } else if let done = built {
                result.append((done, group))
                group = [request]
                // A request alone always fits: the runbook loader bounds its patterns and texts.
                built = LogScanPlan([request], now: now, skew: skew, ownTimes: ownTimes, ownMarkers: ownMarkers)
            }
        }
        if let done = built { result.append((done, group)) }
        return result
    }

    /// Per member, the bits of its patterns matched by a line holding the texts `textBits`.
    @inline(__always)
    func patternBits(_ member: Member, _ textBits: UInt64) -> UInt64 {
        var bits: UInt64 = 0
        for (index, mask) in member.masks.enumerated() where textBits & mask != 0 { bits |= 1 << UInt64(index) }
        return bits
    }
}

/// A check that reads the run's log: the runner registers its request before the run, so one pass
/// serves every such step.
protocol LogScanning: Check {
    /// What the step asks of the log pass.
    var request: LogScanRequest { get }
}
