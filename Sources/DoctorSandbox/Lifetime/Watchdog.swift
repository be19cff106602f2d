import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small `/bin/sh` process that runs a clean-up script once this process is gone, however it
/// ended: a normal exit, a crash or `kill -9`.
///
/// It waits for end of file on a pipe whose only writer is this process; the kernel closes that
/// end when the process dies, so nothing has to run in the dying process. PR_SET_PDEATHSIG was
/// not enough: it is cleared when `su` changes to the `postgres` user, it does not reach the
/// postmaster `pg_ctl` detaches, and it fires when the spawning *thread* ends, which a Swift
/// worker thread does whenever it is idle. The watchdog has a session of its own and ignores
/// INT, HUP, TERM and QUIT, so Ctrl-C in the terminal cannot end it before it has cleaned up.
final class Watchdog: @unchecked Sendable {
    /// The watchdog's process id.
    let pid: pid_t
    private let lock = NSLock()
    private var writeEnd: Int32

    /// Starts the watchdog: `setUp` runs at once (it may start servers in the background), then
    /// `cleanUp` runs when `release()` is called or this process ends. Both are shell text that
    /// sees `arguments` as `$1`, `$2`, …; the script's output goes to /dev/null.
    init(setUp: String = "", cleanUp: String, arguments: [String] = []) throws(WatchdogError) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw .cannotStart(String(cString: strerror(errno))) }
        // Close-on-exec, so no other child (pg_ctl, the postmaster, psql) holds the writing end
        // and keeps the watchdog waiting after this process is gone. (Swift does not import
        // pipe2; the gap before fcntl matters only to a child spawned by another thread in it.)
        fds.forEach { _ = fcntl($0, F_SETFD, FD_CLOEXEC) }
        let script = "trap '' INT HUP TERM QUIT\n\(setUp)\nwhile read -r _; do :; done\n\(cleanUp)\n"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[0], 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The test runner blocks signals in its threads; the servers the script starts must not
        // inherit that mask.
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var flags = Int16(POSIX_SPAWN_SETSIGMASK)
        #if os(Linux)
        flags |= Int16(Self.spawnSetSID)
        #endif
        posix_spawnattr_setflags(&attributes, flags)
        let argv = ["/bin/sh", "-c", script, "doctor-watchdog"] + arguments
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, &attributes, &cArguments, environ)
        close(fds[0])
        guard spawned == 0 else {
            close(fds[1])
            throw .cannotStart(String(cString: strerror(spawned)))
        }
        self.pid = pid
        writeEnd = fds[1]
    }

    deinit { release() }

    /// Runs the clean-up now and waits until it has finished; safe to call more than once.
    func release() {
        let fd = lock.withLock { () -> Int32 in
            defer { writeEnd = -1 }
            return writeEnd
        }
        guard fd >= 0 else { return }
        close(fd)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }

    /// glibc's POSIX_SPAWN_SETSID (2.26+), which Swift does not import: it is a GNU extension.
    private static let spawnSetSID: Int32 = 0x80
}

/// Why a watchdog could not start.
enum WatchdogError: Error, Sendable, Equatable {
    /// The pipe or the shell could not be created; carries the system's error text.
    case cannotStart(String)
}
