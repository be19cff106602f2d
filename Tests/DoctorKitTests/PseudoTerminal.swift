import Foundation
import Testing

/// Runs the built `doctor` on a pseudo-terminal of its own (a new session whose controlling terminal
/// it is), so tests can type keys, Tab, arrows, Ctrl-C and Ctrl-D as a person would.
///
/// No tmux or pexpect needed: `posix_openpt` and `posix_spawn` with `POSIX_SPAWN_SETSID`.
final class PseudoTerminal {
    /// Why driving the terminal failed.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let pid: pid_t
    private let master: Int32
    private var output = ""
    /// How many characters of the plain transcript earlier matches have used up.
    private var consumed = 0
    private var exitStatus: Int32?

    /// Starts doctor with `arguments` and exactly `environment` (plus TERM, PATH and HOME).
    init(_ arguments: [String], environment: [String: String]) throws {
        master = PTY.openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)
        var name = [CChar](repeating: 0, count: 128)
        guard master >= 0, PTY.grantpt(master) == 0, PTY.unlockpt(master) == 0, PTY.ptsname_r(master, &name, name.count) == 0 else {
            throw Failure(description: "no pseudo-terminal: \(String(cString: strerror(errno)))")
        }
        let slave = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var size = winsize(ws_row: 40, ws_col: 160, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(master, UInt(TIOCSWINSZ), &size)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Opened after setsid, without O_NOCTTY: it becomes the child's controlling terminal, so the
        // line discipline turns Ctrl-C into SIGINT for it.
        posix_spawn_file_actions_addopen(&actions, 0, slave, O_RDWR, 0)
        posix_spawn_file_actions_adddup2(&actions, 0, 1)
        posix_spawn_file_actions_adddup2(&actions, 0, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(PTY.spawnSetsid | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)

        var env = ["TERM": "xterm", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"].merging(DoctorProcess.sanitizerEnvironment) { $1 }
        env.merge(environment) { $1 }
        let argv = ([DoctorProcess.binary] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, DoctorProcess.binary, &actions, &attributes, argv, envp)
        guard result == 0 else { throw Failure(description: "cannot start doctor: \(String(cString: strerror(result)))") }
        pid = child
    }

    deinit {
        if exitStatus == nil {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        close(master)
    }

    /// Types `text` (use "\t" for Tab, "\u{3}" for Ctrl-C, "\u{4}" for Ctrl-D, "\u{1B}[A" for Up).
    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
    }

    /// Waits until the output after the last match contains `text` (escape sequences removed) and
    /// returns that output; fails with everything seen when it does not come within `timeout`.
    @discardableResult
    func expect(_ text: String, timeout: Duration = .seconds(15)) throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            let screen = String(Self.plain(output).dropFirst(consumed))
            if let range = screen.range(of: text) {
                let seen = String(screen[..<range.upperBound])
                consumed += seen.count
                return seen
            }
            guard ContinuousClock.now < deadline else {
                throw Failure(description: "did not see \"\(text)\" within \(timeout); output was:\n\(Self.plain(output))")
            }
            pump(until: min(deadline, ContinuousClock.now + .milliseconds(100)))
        }
    }

    /// The terminal's local modes now (shared by both ends of a pseudo-terminal).
    var localModes: tcflag_t {
        var modes = termios()
        tcgetattr(master, &modes)
        return modes.c_lflag
    }

    /// Everything the program wrote so far, without escape sequences.
    var transcript: String { Self.plain(output) }

    /// Everything the program wrote so far, as written.
    var raw: String { output }

    /// What stays visible of each line once carriage returns and erase-to-end-of-line have acted:
    /// the text after the last erase, without escape sequences.
    var visibleLines: [String] {
        output.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            let tail = line.range(of: "\u{1B}[K", options: .backwards).map { String(line[$0.upperBound...]) } ?? String(line)
            return Self.plain(tail)
        }
    }

    /// Waits for the program to end and returns its exit code (nil if it did not end in time).
    func waitForExit(timeout: Duration = .seconds(15)) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            pump(until: ContinuousClock.now + .milliseconds(50))
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                pump(until: ContinuousClock.now + .milliseconds(100))
                let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
                exitStatus = code
                return code
            }
        }
        return nil
    }

    private func pump(until deadline: ContinuousClock.Instant) {
        var descriptor = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        let left = deadline - ContinuousClock.now
        let milliseconds = max(0, Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
        guard poll(&descriptor, 1, milliseconds) > 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = read(master, &buffer, buffer.count)
        if count > 0 { output += String(decoding: buffer[..<count], as: UTF8.self) }
    }

    /// Text without ANSI escape sequences and carriage returns.
    static func plain(_ text: String) -> String {
        text.replacingOccurrences(of: #"\x1B(\[[0-9;?]*[ -/]*[@-~]|[()][0-9A-Za-z]|[=>78])"#, with: "", options: .regularExpression)
            .replacingOccurrences(of: "\r", with: "")
            .replacingOccurrences(of: "\u{7}", with: "")
    }
}

/// The pseudo-terminal calls Swift's Glibc module hides (they need _XOPEN_SOURCE or _GNU_SOURCE),
/// looked up in the C library itself.
private enum PTY {
    nonisolated(unsafe) static let libc = dlopen(nil, RTLD_NOW)
    static let openpt = unsafeBitCast(dlsym(libc, "posix_openpt"), to: (@convention(c) (Int32) -> Int32).self)
    static let grantpt = unsafeBitCast(dlsym(libc, "grantpt"), to: (@convention(c) (Int32) -> Int32).self)
    static let unlockpt = unsafeBitCast(dlsym(libc, "unlockpt"), to: (@convention(c) (Int32) -> Int32).self)
    static let ptsname_r = unsafeBitCast(dlsym(libc, "ptsname_r"),
                                         to: (@convention(c) (Int32, UnsafeMutablePointer<CChar>, Int) -> Int32).self)
    /// glibc's POSIX_SPAWN_SETSID (a GNU extension, so not imported): the child starts a new session.
    static let spawnSetsid: Int32 = 0x80
}
