import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A log read from a file, or from standard input (`-`).
///
/// A regular file is read with `pread(2)` in large chunks into one reused buffer, so a scan of any
/// size runs in constant memory. Standard input and other streams (a pipe, `<(…)`) can be read
/// only once, but several steps of a run may scan them: they are copied once into an unlinked
/// temporary file (`StreamSpool`) that every step then reads like a regular file.
public struct FileLogSource: LogSource {
    /// The path as given, or `-` for standard input.
    public let path: String

    /// How much is read at a time: large enough that system calls cost nothing next to the search.
    static let chunkSize = 1 << 20

    /// A source reading `path` (`-`: standard input).
    public init(path: String) {
        self.path = path
    }

    public var name: String { path == "-" ? "standard input" : path }

    public func read(until deadline: ContinuousClock.Instant,
                     _ consume: (LogInput) throws(LogScanError) -> Void) async throws(LogScanError) {
        let log = try await opened(until: deadline)
        defer { log.close() }
        let name = self.name
        try Self.read(log, range: 0..<log.size, name: name, stop: { () -> LogScanError? in
            if Task.isCancelled { return .cancelled }
            return ContinuousClock.now >= deadline ? .deadline(name) : nil
        }) { (bytes) throws(LogScanError) in try consume(.bytes(bytes)) }
    }

    /// A log open for reading: its descriptor, whether this read owns it, and its size.
    struct OpenedLog: Sendable {
        let fd: Int32
        let owned: Bool
        /// The bytes to read; a stream is spooled whole first, so this is always known.
        let size: Int64

        /// Closes the descriptor when this read owns it (the spool keeps its own open).
        func close() {
            if owned { _ = systemClose(fd) }
        }
    }

    /// Opens the log (a stream is spooled into a file first), up to `deadline`.
    func opened(until deadline: ContinuousClock.Instant) async throws(LogScanError) -> OpenedLog {
        let (fd, owned) = try await open(until: deadline)
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            if owned { _ = systemClose(fd) }
            throw .cannotRead(name, reason)
        }
        return OpenedLog(fd: fd, owned: owned, size: Int64(info.st_size))
    }

    /// Reads `range` of an open log in large chunks into one reused buffer, handing each to
    /// `consume`; asks `stop` before each chunk whether to end (cancelled, past a deadline).
    /// Blocking: run it on a thread of its own, not the cooperative pool.
    static func read(_ log: OpenedLog, range: Range<Int64>, name: String, stop: () -> LogScanError?,
                     _ consume: (UnsafeRawBufferPointer) throws(LogScanError) -> Void) throws(LogScanError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 64)
        defer { buffer.deallocate() }
        var offset = range.lowerBound
        while offset < range.upperBound {
            if let reason = stop() { throw reason }
            let wanted = Int(min(Int64(chunkSize), range.upperBound - offset))
            let count = pread(log.fd, buffer.baseAddress, wanted, off_t(offset))
            if count < 0 {
                if errno == EINTR { continue }
                throw .cannotRead(name, String(cString: strerror(errno)))
            }
            if count == 0 { return }
            offset += Int64(count)
            try consume(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    /// A descriptor to `pread` from, and whether this read owns it (the spool keeps its own open).
    private func open(until deadline: ContinuousClock.Instant) async throws(LogScanError) -> (Int32, Bool) {
        if path == "-" {
            if isatty(STDIN_FILENO) == 1 { throw .standardInputIsTerminal }
            var info = stat()
            // `doctor … --logs - < FILE` is a regular file already: read it in place.
            if fstat(STDIN_FILENO, &info) == 0, info.st_mode & S_IFMT == S_IFREG { return (STDIN_FILENO, false) }
            return (try await StreamSpool.shared.spooled(key: "-", name: name, until: deadline) { STDIN_FILENO }, false)
        }
        let fd = systemOpen(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw .cannotOpen(path, String(cString: strerror(errno))) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw .cannotOpen(path, reason)
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            #if os(Linux) // Darwin has no posix_fadvise; it reads ahead on sequential reads by default
            posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
            #endif
            return (fd, true)
        case S_IFDIR:
            close(fd)
            throw .cannotOpen(path, "it is a folder, not a log file")
        default:
            // A pipe or a device: readable once, so spooled for every step of the run (the spool
            // opens it itself, only the first time).
            close(fd)
            let path = self.path
            let shared = try await StreamSpool.shared.spooled(key: path, name: name, until: deadline) { () throws(LogScanError) -> Int32 in
                let fd = systemOpen(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
                guard fd >= 0 else { throw .cannotOpen(path, String(cString: strerror(errno))) }
                return fd
            }
            return (shared, false)
        }
    }
}

/// open(2), under a name of its own: in `FileLogSource` a bare `open` means `open(until:)`.
private func systemOpen(_ path: String, _ flags: Int32) -> Int32 {
    open(path, flags)
}

/// close(2), under a name of its own: in `OpenedLog` a bare `close` means its own.
private func systemClose(_ fd: Int32) -> Int32 {
    close(fd)
}
