@preconcurrency import CEditLine
import DoctorKit
import Foundation

/// The persisted command history: `$XDG_STATE_HOME/doctor/history` (default
/// `~/.local/state/doctor/history`), 0600 in a 0700 folder, bounded.
///
/// Lines are appended (libedit's `append_history`), never rewritten, under an exclusive lock on a
/// separate lock file, so two sessions at once lose nothing. The file is cut back to the last
/// `limit` entries only when it has grown to twice that, under the same lock.
struct HistoryFile {
    /// How many entries a session recalls and the file keeps after a trim.
    static let limit = 1000

    /// The history file's path.
    let path: String
    private var lockPath: String { path + ".lock" }

    /// The history file under the state folder of `environment`; nil when there is no home to put it in.
    init?(environment: [String: String]) {
        guard let folder = Self.stateFolder(environment) else { return nil }
        path = folder + "/history"
    }

    /// `$XDG_STATE_HOME/doctor`, else `$HOME/.local/state/doctor` (the XDG base directory rules:
    /// a relative XDG_STATE_HOME is ignored).
    static func stateFolder(_ environment: [String: String]) -> String? {
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") { return state + "/doctor" }
        guard let home = environment["HOME"], home.hasPrefix("/") else { return nil }
        return home + "/.local/state/doctor"
    }

    /// Creates the folder (0700) if needed; true when it is usable: the folder, the history and its
    /// lock are the user's own and not links (`refusal` says why not).
    func prepare() -> Bool {
        let folder = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            return false
        }
        guard refusal == nil else { return false }
        // Ours alone: the history can hold hosts and ids even when no secret reaches it.
        return chmod(folder, 0o700) == 0
    }

    /// Why the history must not be used (a planted link, another user's file or folder), if so.
    var refusal: String? {
        let folder = (path as NSString).deletingLastPathComponent
        return OwnedPath.problem(folder, directory: true) ?? OwnedPath.problem(path, directory: false)
            ?? OwnedPath.problem(lockPath, directory: false)
    }

    /// Reads the file into libedit's history, trimming the file when it has grown too long.
    @discardableResult
    func load() -> Bool {
        guard prepare() else { return false }
        return locked {
            guard ensureFile() else { return false }
            _ = read_history(path)
            if lineCount() > 2 * Self.limit + 1 {
                // libedit holds only the last `limit` entries (stifled): write those and swap them in.
                // Created new under a name no one can guess before libedit writes it: never a planted link.
                let temporary = path + ".trim-\(getpid())-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
                let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
                guard fd >= 0 else { return true }
                close(fd)
                guard write_history(temporary) == 0 else { unlink(temporary); return true }
                chmod(temporary, 0o600)
                rename(temporary, path)
            }
            return true
        }
    }

    /// Appends the newest entry of libedit's history to the file.
    @discardableResult
    func appendNewest() -> Bool {
        guard prepare() else { return false }
        return locked { ensureFile() && append_history(Self.argumentForOneEntry, path) == 0 }
    }

    /// What to pass to `append_history` to write exactly one entry.
    ///
    /// libedit 3.1-20221030's `history_save_fp` steps back once too often and writes n + 1 entries
    /// when there are more than n (so `append_history(1, …)` duplicated every line). Measured once,
    /// on an empty history before the file is loaded, so a fixed libedit keeps working.
    static let argumentForOneEntry: Int32 = {
        let probe = FileManager.default.temporaryDirectory.path + "/doctor-history-probe-\(getpid())"
        defer { unlink(probe); clear_history() }
        clear_history()
        add_history("first")
        add_history("second")
        guard append_history(1, probe) == 0, let text = try? String(contentsOfFile: probe, encoding: .utf8) else { return 1 }
        let entries = text.split(separator: "\n").filter { $0 != "_HiStOrY_V2_" }.count
        return entries > 1 ? 0 : 1
    }()

    /// Creates the file 0600 before libedit opens it (fopen would use the umask), and tightens an
    /// existing file that is readable by others.
    private func ensureFile() -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return fchmod(fd, 0o600) == 0
    }

    private func lineCount() -> Int {
        guard let data = FileManager.default.contents(atPath: path) else { return 0 }
        return data.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
    }

    private func locked(_ body: () -> Bool) -> Bool {
        let fd = open(lockPath, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { return false }
        }
        defer { flock(fd, LOCK_UN) }
        return body()
    }
}
