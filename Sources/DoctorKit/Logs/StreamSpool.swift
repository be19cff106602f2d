import Foundation

/// Copies a stream (standard input, a pipe) once into an unlinked temporary file, so every
/// `log-scan` step of a run can read it from the start like a regular file.
///
/// The copy runs on a thread of its own, where a blocking `read(2)` harms no one; steps wait for it
/// to end up to their own deadline. The file is unlinked as soon as it is created, so it vanishes
/// with the process however that ends, and it is 0600 meanwhile.
final class StreamSpool: @unchecked Sendable {
    /// The process's spools: standard input exists once per process.
    static let shared = StreamSpool()

    private enum State {
        case copying
        case done(Int32)
        case failed(LogScanError)
    }

    // `@unchecked Sendable`: `states` is only touched under `lock`.
    private let lock = NSLock()
    private var states: [String: State] = [:]

    /// A descriptor of the complete copy of the stream `key`, opened by `open` on first use.
    func spooled(key: String, name: String, until deadline: ContinuousClock.Instant,
                 open: () throws(LogScanError) -> Int32) async throws(LogScanError) -> Int32 {
        let first = lock.withLock { () -> Bool in
            guard states[key] == nil else { return false }
            states[key] = .copying
            return true
        }
        if first {
            do throws(LogScanError) {
                startCopy(key: key, name: name, from: try open())
            } catch {
                lock.withLock { states[key] = .failed(error) }
            }
        }
        while true {
            switch lock.withLock({ states[key] }) {
            case let .done(fd)?: return fd
            case let .failed(error)?: throw error
            default: break
            }
            if Task.isCancelled { throw .cancelled }
            if ContinuousClock.now >= deadline { throw .deadline(name) }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    private func startCopy(key: String, name: String, from source: Int32) {
        let thread = Thread { [self] in
            let result = Self.copy(from: source, name: name)
            lock.withLock { states[key] = result }
        }
        thread.name = "doctor-log-spool"
        thread.start()
    }

    private static func copy(from source: Int32, name: String) -> State {
        // The source may have been opened non-blocking (a FIFO path): this thread may block.
        let flags = fcntl(source, F_GETFL)
        if flags >= 0 { _ = fcntl(source, F_SETFL, flags & ~O_NONBLOCK) }
        var template = Array((NSTemporaryDirectory() + "/doctor-log-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return .failed(.cannotRead(name, "cannot create a temporary file: \(String(cString: strerror(errno)))")) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        let size = FileLogSource.chunkSize
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let count = read(source, buffer, size)
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                let reason = String(cString: strerror(errno))
                close(fd)
                return .failed(.cannotRead(name, reason))
            }
            if count == 0 { return .done(fd) }
            var written = 0
            while written < count {
                let n = write(fd, buffer + written, count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    let reason = String(cString: strerror(errno))
                    close(fd)
                    return .failed(.cannotRead(name, "cannot copy it to a temporary file: \(reason)"))
                }
                written += n
            }
        }
    }
}
