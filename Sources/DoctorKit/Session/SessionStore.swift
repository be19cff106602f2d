import Foundation

/// Where sessions live (`$XDG_STATE_HOME/doctor/sessions`, folders 0700, files 0600) and how they
/// are listed, read and pruned.
public struct SessionStore: Sendable {
    /// The sessions folder.
    public let root: String
    /// The doctor's state folder (sessions and history live under it).
    public let stateDirectory: String

    /// The store of the current user, from `XDG_STATE_HOME` or `~/.local/state`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let base: String
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") {
            base = state
        } else {
            base = (environment["HOME"] ?? NSHomeDirectory()) + "/.local/state"
        }
        stateDirectory = base + "/doctor"
        root = stateDirectory + "/sessions"
    }

    /// A store rooted at `root` (tests).
    public init(root: String) {
        self.root = root
        stateDirectory = (root as NSString).deletingLastPathComponent
    }

    /// The folder of session `id`.
    public func directory(of id: String) -> String { root + "/" + id }

    /// Whether `id` has the shape of a session id (`20261129T031240Z-3fa1`), so it is safe as a path.
    public static func isSessionID(_ id: String) -> Bool {
        id.range(of: #"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{4}$"#, options: .regularExpression) != nil
    }

    /// The journal of session `id`.
    public func journalPath(of id: String) -> String { directory(of: id) + "/journal.jsonl" }

    /// The incident note of session `id`.
    public func notePath(of id: String) -> String { directory(of: id) + "/note.md" }

    /// Creates the folder of a new session (and any missing parent) with mode 0700.
    public func create(id: String) throws(SessionError) -> String {
        let path = directory(of: id)
        var current = ""
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o700) != 0 && errno != EEXIST {
                throw .cannotCreate(path: current, reason: String(cString: strerror(errno)))
            }
        }
        // The folders the doctor writes its record in must be the user's own, not links.
        for folder in [(root as NSString).deletingLastPathComponent, root, path] {
            if let problem = OwnedPath.problem(folder, directory: true) {
                throw .cannotCreate(path: path, reason: "\(problem): refusing to keep the session there")
            }
        }
        chmod(path, 0o700)
        chmod(root, 0o700)
        return path
    }

    /// Writes `text` to `path` atomically with mode 0600.
    ///
    /// Reports for other programs (`--output`, e.g. node_exporter running as its own user) pass
    /// `mode: 0o644`; notes keep the default 0600.
    public static func writeFile(_ text: String, to path: String, mode: mode_t = 0o600) throws(SessionError) {
        // A name no one can guess, created new (never an existing file or a planted link), so a
        // link in a shared folder cannot redirect the write.
        var temporary = ""
        var fd: Int32 = -1
        for _ in 0..<8 {
            temporary = path + ".tmp-\(getpid())-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
            fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else { throw .cannotCreate(path: path, reason: String(cString: strerror(errno))) }
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let reason = String(cString: strerror(errno))
                close(fd)
                unlink(temporary)
                throw .cannotCreate(path: path, reason: reason)
            }
            offset += n
        }
        fchmod(fd, mode)
        fsync(fd)
        close(fd)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw .cannotCreate(path: path, reason: reason)
        }
    }

    /// The events of a journal; a half-written last line (a killed process) is skipped.
    public static func readJournal(_ path: String) -> [JournalEvent] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let decoder = JournalCoding.decoder()
        return data.split(separator: 0x0A).compactMap { try? decoder.decode(JournalEvent.self, from: Data($0)) }
    }

    /// Session `id` rebuilt from its journal.
    public func load(_ id: String) throws(SessionError) -> SessionRecord {
        guard Self.isSessionID(id) else { throw .notFound(id) }
        let path = journalPath(of: id)
        guard FileManager.default.fileExists(atPath: path) else { throw .notFound(id) }
        guard let record = SessionRecord(events: Self.readJournal(path)) else { throw .unreadable(path: path) }
        return record
    }

    /// Every session id, oldest first (ids start with their UTC time).
    public func ids() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.filter { Self.isSessionID($0) && FileManager.default.fileExists(atPath: journalPath(of: $0)) }.sorted()
    }

    /// Every readable session, newest first.
    public func list() -> [SessionRecord] {
        ids().reversed().compactMap { try? load($0) }
    }

    /// Appends one event to an existing session's journal (e.g. an escalation produced later).
    public func appendEvent(_ event: JournalEvent, to id: String) {
        guard let journal = try? Journal(path: journalPath(of: id), redactor: Redactor(Configuration())) else { return }
        journal.append(event)
        journal.close()
    }

    /// Deletes the oldest sessions beyond `keep`, except one that may still be running (no end
    /// recorded and written to within a day): a cron job must not delete an incident in progress.
    public func prune(keep: Int) {
        let all = ids()
        guard all.count > keep else { return }
        for id in all.prefix(all.count - keep) {
            if let record = try? load(id), record.endedAt == nil, Date().timeIntervalSince(record.lastEventAt) < 86_400 {
                continue
            }
            try? FileManager.default.removeItem(atPath: directory(of: id))
        }
    }
}
