import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads an input file whole, up to a limit, saying in plain words what is wrong when it cannot:
/// a FIFO or a socket would block, `/dev/zero` never ends, and a 2 GB file read whole takes the
/// memory the doctor needs. `/dev/null` (a common way to pass "no file") reads as empty.
public enum BoundedFile {
    /// Why a file could not be read; the message says what is wrong, never the contents.
    public enum Failure: Error, Sendable, Equatable {
        case missing
        case directory
        case notAFile(kind: String)
        case tooLarge(limit: Int)
        case denied
        case other(String)

        /// What is wrong, in a few words.
        public var reason: String {
            switch self {
            case .missing: "no such file"
            case .directory: "is a directory"
            case let .notAFile(kind): "is \(kind), not a file (it would block or never end)"
            case let .tooLarge(limit): "larger than the \(BoundedFile.describe(limit)) this input may have"
            case .denied: "permission denied"
            case let .other(text): text
            }
        }
    }

    /// Reads `path` whole if it holds at most `limit` bytes. With `pipes`, a FIFO is read too,
    /// waiting for its writer (`--env-file <(sops -d secrets.env)`); without, it is refused.
    public static func read(_ path: String, limit: Int, pipes: Bool = false) throws(Failure) -> [UInt8] {
        // Non-blocking, so opening a FIFO with no writer returns at once; the type is checked next.
        var descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else {
            switch errno {
            case ENOENT, ENOTDIR: throw .missing
            case EACCES, EPERM: throw .denied
            case EISDIR: throw .directory
            default: throw .other(String(cString: strerror(errno)))
            }
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw .other(String(cString: strerror(errno))) }
        switch info.st_mode & S_IFMT {
        case S_IFREG, S_IFCHR: break
        case S_IFDIR: throw .directory
        case S_IFIFO where pipes:
            // Opened again, blocking: a FIFO read before its writer has opened it reads as empty.
            let blocking = open(path, O_RDONLY | O_CLOEXEC)
            guard blocking >= 0 else { throw .other(String(cString: strerror(errno))) }
            close(descriptor)
            descriptor = blocking
        case S_IFIFO: throw .notAFile(kind: "a FIFO")
        case S_IFSOCK: throw .notAFile(kind: "a socket")
        default: throw .notAFile(kind: "a device")
        }
        if info.st_mode & S_IFMT == S_IFREG, Int(info.st_size) > limit { throw .tooLarge(limit: limit) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN { throw .notAFile(kind: "a device with nothing to read") }
                throw .other(String(cString: strerror(errno)))
            }
            if count == 0 { return bytes }
            // A file that grows while read, or a device that never ends, stops at the limit.
            guard bytes.count + count <= limit else { throw .tooLarge(limit: limit) }
            bytes.append(contentsOf: chunk[..<count])
        }
    }

    /// `1 MiB`, `64 KiB`, `300 bytes`.
    static func describe(_ bytes: Int) -> String {
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }
}
