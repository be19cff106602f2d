#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The part of a log file that holds a time window, found without reading the file: an export is
/// written in time order (oldest or newest first), so a bounded binary search over byte offsets,
/// reading the time of the line after each probe, finds where the window starts and ends.
///
/// A file whose sampled times are not in order, or that carries no times, is read whole, and the
/// reason says so.
struct LogFileWindow: Sendable, Equatable {
    /// How the file's lines are ordered by time, as sampled.
    enum Order: String, Sendable {
        case ascending = "oldest first"
        case descending = "newest first"
    }

    /// The bytes to read: whole lines, from a line's start to a line's start (or the end).
    let range: Range<Int64>
    /// The file's order; nil when the file is read whole.
    let order: Order?
    /// Why the file is read whole, when it is (`not in time order`, `no timestamps`, `small`).
    let wholeBecause: String?
    /// The times of the first and last sampled lines (seconds since 1970), when the file has times.
    let spans: ClosedRange<Int64>?

    /// Files smaller than this are read whole: locating would save almost nothing.
    static let minimumSize: Int64 = 4 << 20
    /// How far back in time a line may stand among later ones (instances writing the same log).
    static let tolerance: Int64 = 300
    /// How much is read at each probe.
    static let probeBytes = 64 << 10
    /// Points sampled to decide whether the file is in time order.
    static let samples = 33

    /// Locates the window `since...until` in the file `fd` of `size` bytes.
    static func locate(fd: Int32, size: Int64, since: Int64, until: Int64) -> LogFileWindow {
        let whole = 0..<size
        guard size >= minimumSize else { return LogFileWindow(range: whole, order: nil, wholeBecause: "small enough to read whole", spans: nil) }
        let prober = Prober(fd: fd, size: size)
        defer { prober.release() }
        var times: [Int64] = []
        for index in 0..<samples {
            let offset = index == samples - 1 ? max(0, size - Int64(probeBytes)) : size / Int64(samples - 1) * Int64(index)
            if let found = prober.probe(offset, last: index == samples - 1) { times.append(found.time) }
        }
        guard times.count >= samples / 2 else {
            return LogFileWindow(range: whole, order: nil, wholeBecause: "its lines carry no timestamp the doctor can read", spans: nil)
        }
        let spans = times.min()!...times.max()!
        let ascending = times.last! >= times.first!
        let keys = ascending ? times : times.map { -$0 }
        for (earlier, later) in zip(keys, keys.dropFirst()) where later < earlier - tolerance {
            return LogFileWindow(range: whole, order: nil, wholeBecause: "its lines are not in time order", spans: spans)
        }
        // In key order (the time, or minus the time for newest first) the window is one run of lines.
        let low = ascending ? since - tolerance : -(until + tolerance)
        let high = ascending ? until + tolerance : -(since - tolerance)
        let key: (Int64) -> Int64 = ascending ? { $0 } : { -$0 }
        // The file ends before the window starts, or starts after it ends: nothing of it to read.
        if keys.last! < low || keys.first! > high {
            let at = keys.last! < low ? size : 0
            return LogFileWindow(range: at..<at, order: ascending ? .ascending : .descending, wholeBecause: nil, spans: spans)
        }
        // Start: at or before the first line whose key reaches `low`.
        var lo: Int64 = 0
        var hi = size
        while hi - lo > Int64(probeBytes) {
            let mid = lo + (hi - lo) / 2
            if let found = prober.probe(mid, last: false), key(found.time) < low {
                lo = found.lineStart
            } else {
                hi = mid
            }
        }
        let start = lo
        // End: the start of the first line whose key passes `high`, or the end of the file.
        lo = start
        hi = size
        while hi - lo > Int64(probeBytes) {
            let mid = lo + (hi - lo) / 2
            if let found = prober.probe(mid, last: false) {
                // No line starts between `mid` and `hi`: `hi` is as close as it gets.
                if found.lineStart >= hi { break }
                if key(found.time) > high { hi = found.lineStart } else { lo = found.lineStart + 1 }
            } else {
                lo = mid
            }
        }
        return LogFileWindow(range: start..<max(start, hi), order: ascending ? .ascending : .descending, wholeBecause: nil, spans: spans)
    }

    /// Reads the first timestamped line after an offset.
    private final class Prober {
        let fd: Int32
        let size: Int64
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: LogFileWindow.probeBytes)

        init(fd: Int32, size: Int64) {
            self.fd = fd
            self.size = size
        }

        func release() { buffer.deallocate() }

        /// The first line starting after `offset` (at it, for 0) that carries a time; with `last`,
        /// the last such line of the bytes read instead.
        func probe(_ offset: Int64, last: Bool) -> (lineStart: Int64, time: Int64)? {
            var count = 0
            while count < buffer.count {
                let read = pread(fd, buffer.baseAddress! + count, buffer.count - count, off_t(offset) + off_t(count))
                if read < 0 && errno == EINTR { continue }
                if read <= 0 { break }
                count += read
            }
            let bytes = UnsafeBufferPointer(rebasing: buffer[0..<count])
            var position = 0
            if offset > 0 {
                guard let newline = LogScanner.find(UInt8(ascii: "\n"), in: bytes, from: 0) else { return nil }
                position = newline + 1
            }
            var found: (Int64, Int64)?
            while position < bytes.count, let newline = LogScanner.find(UInt8(ascii: "\n"), in: bytes, from: position) {
                let line = UnsafeBufferPointer(rebasing: bytes[position..<newline])
                if let time = Self.time(of: line) {
                    found = (offset + Int64(position), time)
                    if !last { return found }
                }
                position = newline + 1
            }
            return found
        }

        /// A plain line's leading time, or a JSON line's `"timestamp"`.
        static func time(of line: UnsafeBufferPointer<UInt8>) -> Int64? {
            let start = line.firstIndex { $0 != 0x20 && $0 != 0x09 } ?? line.count
            if start < line.count, line[start] == UInt8(ascii: "{") { return JSONLogLine.timestamp(line) }
            return LogTimestamp.parse(UnsafeBufferPointer(rebasing: line[start...]))
        }
    }
}
