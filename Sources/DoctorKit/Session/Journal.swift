import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Appends a session's events to `journal.jsonl`, each written and fsynced as it happens, on a
/// thread of its own so the engine never waits for the disk.
///
/// `kill -9` at any moment loses nothing already synced; callers `sync()` before showing a result
/// to a person, so what was shown is on disk.
public final class Journal: @unchecked Sendable {
    /// The journal file.
    public let path: String
    private let redactor: Redactor
    private let condition = NSCondition()
    private var pending: [Data] = []
    private var enqueued = 0
    private var written = 0
    private var closing = false
    private var finished = false
    private var descriptor: Int32
    private let onFailure: (@Sendable (String) -> Void)?
    private var failure: String?

    /// The first write that failed (a full disk, an I/O error), if any: the journal holds the events
    /// before it and none after it of the batch.
    public var writeFailure: String? {
        condition.lock()
        defer { condition.unlock() }
        return failure
    }

    /// Opens (creating, mode 0600) the journal at `path` for appending.
    public init(path: String, redactor: Redactor, onFailure: (@Sendable (String) -> Void)? = nil) throws(SessionError) {
        self.path = path
        self.onFailure = onFailure
        self.redactor = redactor
        descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .cannotCreate(path: path, reason: String(cString: strerror(errno))) }
        fchmod(descriptor, 0o600)
        let thread = Thread { [self] in writeLoop() }
        thread.name = "doctor.journal"
        thread.start()
    }

    deinit { close() }

    /// Queues `event` (redacted first); returns at once.
    public func append(_ event: JournalEvent) {
        guard var line = try? JournalCoding.encoder().encode(event.redacted(by: redactor)) else { return }
        line.append(0x0A)
        condition.lock()
        if !closing {
            pending.append(line)
            enqueued += 1
            condition.broadcast()
        }
        condition.unlock()
    }

    /// Waits until every event queued so far is on disk.
    public func sync() {
        condition.lock()
        let target = enqueued
        while written < target && !finished { condition.wait() }
        condition.unlock()
    }

    /// Writes what is queued, then closes the file; idempotent.
    public func close() {
        condition.lock()
        closing = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    private func writeLoop() {
        while true {
            condition.lock()
            while pending.isEmpty && !closing { condition.wait() }
            let batch = pending
            pending.removeAll()
            let stop = closing && batch.isEmpty
            condition.unlock()
            if stop { break }
            var failed: String?
            for line in batch {
                let written = writeAll(line)
                // A short write (disk full) must not leave half a line for the next event to be glued to.
                if written < line.count {
                    if failed == nil { failed = String(cString: strerror(errno == 0 ? EIO : errno)) }
                    if written > 0 {
                        let end = lseek(descriptor, 0, SEEK_END)
                        if end >= 0 { ftruncate(descriptor, max(0, end - off_t(written))) }
                    }
                }
            }
            if fsync(descriptor) != 0 && failed == nil && errno != EINVAL { failed = String(cString: strerror(errno)) }
            if let failed { report(failed) }
            condition.lock()
            written += batch.count
            condition.broadcast()
            condition.unlock()
        }
        systemClose(descriptor)
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// Says the first failure, once: the operator must know at once that the record is incomplete.
    private func report(_ reason: String) {
        condition.lock()
        let first = failure == nil
        if first { failure = "cannot write the session journal \(path): \(reason); the record and the note will be incomplete" }
        let message = failure!
        condition.unlock()
        if first { onFailure?(message) }
    }

    /// Writes the line; returns how many bytes reached the file (fewer when the disk refused).
    private func writeAll(_ data: Data) -> Int {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                errno = 0
                let n = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break }
                offset += n
            }
            return offset
        }
    }
}

/// close(2), under a name of its own: in `Journal` a bare `close` means `Journal.close()`.
private func systemClose(_ descriptor: Int32) {
    _ = close(descriptor)
}
