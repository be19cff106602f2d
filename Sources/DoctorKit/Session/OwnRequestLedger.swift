import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// When the doctor itself sent the service a request that the service logs as trouble: the live
/// probe's deliberately mis-signed control request ("Webhook signature verification failed") and
/// its signed event, and a route check's unsigned POST ("Missing Stripe signature").
///
/// Those lines carry none of the doctor's markers (the service writes its own words), so without
/// this record the next `daily` run would count them as the service's trouble: a cron every 15
/// minutes would make a healthy system warn. Log scans leave out the trouble lines written within
/// `tolerance` of a recorded request, and count them as the doctor's own (issue 19, item 7).
///
/// One line per request, `<epoch milliseconds> <kind>`, appended to `own-requests.log` in the
/// doctor's state folder (0600, never through a link); entries older than `keep` are dropped when
/// the file grows. Only times are kept: no URL, header or body.
public final class OwnRequestLedger: Sendable {
    /// The ledger file.
    public let path: String
    /// How far apart a log line and a recorded request may be and still be the doctor's: the
    /// service logs within milliseconds, and two machines' clocks differ by a little.
    public static let tolerance: Int64 = 3_000
    /// How long entries are kept: a log window reaches back at most 30 days.
    static let keep: Int64 = 31 * 86_400_000
    /// Beyond this size the old entries are dropped (about 20 000 requests).
    static let pruneBytes = 512 << 10

    /// The ledger in the doctor's state folder (`$XDG_STATE_HOME/doctor`).
    public init(stateDirectory: String) {
        path = stateDirectory + "/own-requests.log"
    }

    /// Records that the doctor is about to send a request of `kind` (`control`, `probe`,
    /// `route-check`; `canary pi_…` for a canary payment, whose id the log scans then leave out).
    ///
    /// Failures are ignored: a ledger that cannot be written costs the log scans a little
    /// precision, never the run.
    public func record(_ kind: String, at date: Date = Date()) {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let directory = (path as NSString).deletingLastPathComponent
        mkdir(directory, 0o700)
        if OwnedPath.problem(directory, directory: true) != nil || OwnedPath.problem(path, directory: false) != nil { return }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { return }
        let line = Array("\(milliseconds) \(kind)\n".utf8)
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var info = stat()
        let size = fstat(fd, &info) == 0 ? Int(info.st_size) : 0
        close(fd)
        if size > Self.pruneBytes { prune(now: milliseconds) }
    }

    /// The recorded times (epoch milliseconds) from `since` on, sorted.
    public func times(since: Int64) -> [Int64] {
        guard OwnedPath.problem(path, directory: false) == nil,
              let bytes = try? BoundedFile.read(path, limit: 2 * Self.pruneBytes) else { return [] }
        var times: [Int64] = []
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            let field = line.prefix { $0 != UInt8(ascii: " ") }
            if let time = Int64(String(decoding: field, as: UTF8.self)), time >= since { times.append(time) }
        }
        return times.sorted()
    }

    /// Rewrites the file without the entries older than `keep`.
    private func prune(now: Int64) {
        guard let bytes = try? BoundedFile.read(path, limit: 4 * Self.pruneBytes) else { return }
        let kept = bytes.split(separator: UInt8(ascii: "\n")).filter { line in
            Int64(String(decoding: line.prefix { $0 != UInt8(ascii: " ") }, as: UTF8.self)).map { $0 >= now - Self.keep } ?? false
        }
        let temporary = path + ".\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { return }
        let text = kept.map { String(decoding: $0, as: UTF8.self) + "\n" }.joined()
        _ = Array(text.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        rename(temporary, path)
    }

    /// The payment intents of the doctor's canary payments recorded from `since` on
    /// (`<ms> canary pi_…` lines): every count leaves them out, the log scans included.
    public func canaryIntents(since: Int64) -> Set<String> {
        Set(canaries(since: since).map(\.intent))
    }

    /// The canary ids the log scans treat as the doctor's own markers: the newest 256 (an
    /// automaton holds only so much text; a canary every 15 minutes fills that in under three days).
    public func canaryMarkers(since: Int64) -> [String] {
        var seen: Set<String> = []
        return canaries(since: since).sorted { $0.time > $1.time }.map(\.intent).filter { seen.insert($0).inserted }.prefix(256).map { $0 }
    }

    /// The `<ms> canary pi_…` entries from `since` on, in file order.
    private func canaries(since: Int64) -> [(time: Int64, intent: String)] {
        guard OwnedPath.problem(path, directory: false) == nil,
              let bytes = try? BoundedFile.read(path, limit: 2 * Self.pruneBytes) else { return [] }
        return bytes.split(separator: UInt8(ascii: "\n")).compactMap { line in
            let fields = line.split(separator: UInt8(ascii: " "))
            guard fields.count == 3, String(decoding: fields[1], as: UTF8.self) == "canary",
                  let time = Int64(String(decoding: fields[0], as: UTF8.self)), time >= since else { return nil }
            let intent = String(decoding: fields[2], as: UTF8.self)
            return PaymentCanary.isIntentID(intent) ? (time, intent) : nil
        }
    }

    /// Whether `time` (epoch milliseconds) lies within `tolerance` of one of `times` (sorted).
    static func isNear(_ time: Int64, _ times: [Int64]) -> Bool {
        var low = 0
        var high = times.count
        while low < high {
            let middle = (low + high) / 2
            if times[middle] < time - tolerance { low = middle + 1 } else { high = middle }
        }
        return low < times.count && times[low] <= time + tolerance
    }
}
