/// Finds which of a set of byte strings occur in a text in one pass: an Aho–Corasick automaton
/// compiled into a flat table of 256 transitions per state.
///
/// Each string carries a bit; the bits of every string ending at a position (its own and those
/// of shorter strings that are suffixes of it) are precomputed per state, so overlapping strings
/// ("Payment record created" and "record") are all found. States with any bit set are numbered
/// last, so the hot loop needs one table load and one comparison per byte.
struct PatternMatcher: Sendable {
    /// The most bits a matcher distinguishes.
    static let maxBits = 64

    /// `table[state << 8 | byte]`: the next state.
    private let table: [UInt16]
    /// The bits of the strings ending in each accepting state, indexed by `state - firstAccepting`.
    private let outputs: [UInt64]
    /// Every state from this one on is accepting.
    private let firstAccepting: Int
    /// A bit per byte pair (`first << 8 | second`) that can begin a match: a string starts with
    /// the pair, or is the first byte alone.
    private let pairs: [UInt64]
    /// The distinct first bytes of the strings, each repeated across a vector, when there are at
    /// most `maxVectorFirstBytes` of them (else empty, and the skip loop goes a byte at a time).
    private let firstBytes: [SIMD16<UInt8>]
    /// Beyond this many distinct first bytes, comparing 16 bytes against each costs more than it saves.
    static let maxVectorFirstBytes = 12
    /// The length of the longest string, in bytes.
    let longest: Int

    /// A matcher for `strings`: each a non-empty byte string with the bit (0..<64) it reports.
    ///
    /// Returns nil when the automaton would need more than 65 535 states (about 64 KiB of pattern text).
    init?(_ strings: [(bytes: [UInt8], bit: Int)]) {
        // The trie, with sparse children while it is built.
        var children: [[UInt8: Int]] = [[:]]
        var own: [UInt64] = [0]
        for (bytes, bit) in strings where !bytes.isEmpty {
            precondition((0..<Self.maxBits).contains(bit))
            var node = 0
            for byte in bytes {
                if let next = children[node][byte] {
                    node = next
                } else {
                    children.append([:])
                    own.append(0)
                    children[node][byte] = children.count - 1
                    node = children.count - 1
                }
            }
            own[node] |= 1 << UInt64(bit)
        }
        let count = children.count
        guard count <= Int(UInt16.max) else { return nil }

        // Breadth first over the trie alone: failure links (the longest proper suffix that is also
        // in the trie) and the outputs each state inherits through them.
        var fail = [Int](repeating: 0, count: count)
        var out = own
        var order: [Int] = [0]
        order.reserveCapacity(count)
        var head = 0
        while head < order.count {
            let node = order[head]
            head += 1
            for (byte, child) in children[node] {
                if node != 0 {
                    var suffix = fail[node]
                    while suffix != 0 && children[suffix][byte] == nil { suffix = fail[suffix] }
                    fail[child] = children[suffix][byte] ?? 0
                }
                out[child] |= out[fail[child]]
                order.append(child)
            }
        }

        // Renumber: non-accepting states first (the root stays 0), accepting ones last.
        let plain = (0..<count).filter { out[$0] == 0 }
        let accepting = (0..<count).filter { out[$0] != 0 }
        var number = [Int](repeating: 0, count: count)
        for (index, state) in (plain + accepting).enumerated() { number[state] = index }

        // The full table, in the same breadth-first order: a state's row is its failure state's
        // row (complete, being shallower) with its own children written over it. Copying rows
        // instead of asking the sparse trie for all 256 bytes of every state keeps compiling the
        // log-scan steps' matchers, which happens when the runbooks load, to a small share of it.
        var table = [UInt16](repeating: 0, count: count * 256)
        table.withUnsafeMutableBufferPointer { table in
            let base = table.baseAddress!
            for node in order {
                let row = base + number[node] * 256
                if node != 0 { row.update(from: base + number[fail[node]] * 256, count: 256) }
                for (byte, child) in children[node] { row[Int(byte)] = UInt16(number[child]) }
            }
        }
        self.table = table
        self.outputs = accepting.map { out[$0] }
        self.firstAccepting = plain.count
        var pairs = [UInt64](repeating: 0, count: 65536 / 64)
        for (first, child) in children[0] {
            for second in 0..<256 where own[child] != 0 || children[child][UInt8(second)] != nil {
                let index = Int(first) << 8 | second
                pairs[index >> 6] |= 1 << UInt64(index & 63)
            }
        }
        self.pairs = pairs
        let starts = Set(strings.compactMap(\.bytes.first))
        self.firstBytes = starts.count <= Self.maxVectorFirstBytes ? starts.sorted().map { SIMD16(repeating: $0) } : []
        self.longest = strings.map(\.bytes.count).max() ?? 0
    }

    /// The offset of the first byte at or after `start` that ends a string, scanning from the root.
    ///
    /// In the root state, a position whose byte pair begins no string cannot start a match (and
    /// the automaton would be back at the root one byte later), so such positions are skipped by
    /// a loop over an 8 KiB bitset without the automaton's load-to-load dependency; the automaton
    /// proper runs only from a possible start until it falls back to the root.
    func firstMatch(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard let origin = bytes.baseAddress, start < bytes.count else { return nil }
        let end = origin + bytes.count
        let last = end - 1
        let accepting = firstAccepting
        return table.withUnsafeBufferPointer { table in
            pairs.withUnsafeBufferPointer { pairs in
                let delta = table.baseAddress!
                let bits = pairs.baseAddress!
                var state = 0
                var cursor = origin + start
                while cursor < end {
                    if state == 0 {
                        cursor = skipToPossibleStart(from: cursor, last: last, pairs: bits)
                    }
                    state = Int(delta[state &<< 8 | Int(cursor.pointee)])
                    if state >= accepting { return origin.distance(to: cursor) }
                    cursor += 1
                }
                return nil
            }
        }
    }

    /// The first position from `start` whose byte pair can begin a string, or `last`.
    ///
    /// Sixteen bytes at a time when the strings start with few distinct bytes: a position whose
    /// byte starts no string is passed over by a vector comparison, and only the rest (a few per
    /// log line) are looked up in the pair bitset. This loop is where a log scan spends its time:
    /// a byte at a time it took 12 instructions a byte, half again grep -F's time.
    @inline(__always)
    private func skipToPossibleStart(
        from start: UnsafePointer<UInt8>, last: UnsafePointer<UInt8>, pairs bits: UnsafePointer<UInt64>
    ) -> UnsafePointer<UInt8> {
        var cursor = start
        @inline(__always) func possible(_ at: UnsafePointer<UInt8>) -> Bool {
            let pair = Int(at.pointee) &<< 8 | Int(at[1])
            return bits[pair &>> 6] &>> UInt64(pair & 63) & 1 != 0
        }
        if !firstBytes.isEmpty {
            cursor = firstBytes.withUnsafeBufferPointer { firsts in
                var cursor = cursor
                // `last` is the final byte; a block needs its 16 bytes and the one after each lane.
                while cursor.distance(to: last) > 16 {
                    let block = UnsafeRawPointer(cursor).loadUnaligned(as: SIMD16<UInt8>.self)
                    var hits = SIMDMask<SIMD16<Int8>>(repeating: false)
                    for first in firsts { hits .|= block .== first }
                    if any(hits) {
                        // Each lane is 0x00 or 0xFF: its byte index is the trailing zero count / 8.
                        let lanes = unsafeBitCast(hits, to: SIMD2<UInt64>.self)
                        for half in 0..<2 {
                            var word = lanes[half]
                            while word != 0 {
                                let zeros = word.trailingZeroBitCount
                                let at = cursor + (half &* 8 &+ zeros &>> 3)
                                if possible(at) { return at }
                                word &= ~(0xFF &<< UInt64(zeros & ~7))
                            }
                        }
                    }
                    cursor += 16
                }
                return cursor
            }
        }
        while cursor < last, !possible(cursor) { cursor += 1 }
        return cursor
    }

    /// The bits of every string that occurs in `bytes`.
    func bits(in bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let accepting = firstAccepting
        return table.withUnsafeBufferPointer { table in
            var state = 0
            var found: UInt64 = 0
            for byte in bytes {
                state = Int(table[state &<< 8 | Int(byte)])
                if state >= accepting { found |= outputs[state - accepting] }
            }
            return found
        }
    }

    /// The bits of every string that occurs in `text`.
    func bits(in text: String) -> UInt64 {
        var text = text
        return text.withUTF8 { bits(in: $0) }
    }
}
