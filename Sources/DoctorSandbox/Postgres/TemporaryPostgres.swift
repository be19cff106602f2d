import Foundation

/// A throwaway PostgreSQL cluster in a temporary folder on a free loopback port, for `doctor demo`
/// and the tests: `initdb`, `pg_ctl start`, and `stop()` removes everything.
///
/// PostgreSQL refuses to run as root, so as root the folder is given to the `postgres` user and
/// the server binaries run as that user (`su postgres`). Password logins over TCP use
/// scram-sha-256, as a hosted database does; setup uses the local socket.
///
/// Nothing outlives its process: a `Watchdog` stops the server and removes the folder when the
/// process ends, `kill -9` included, and a cluster whose process and watchdog both died (the
/// folder records the owner's pid) is removed by the next one started on this machine.
public final class TemporaryPostgres: @unchecked Sendable {
    /// The folder holding the data directory, the socket and the log.
    public let directory: String
    /// The TCP port on 127.0.0.1.
    public let port: UInt16
    let bin: String
    /// The server's `-o` options, kept so `resume()` starts it exactly as before.
    let options: String
    private let lock = NSLock()
    /// Held while the server is stopped or started, so `stop()` never races a `resume()`.
    let lifecycle = NSLock()
    private var watchdog: Watchdog?

    /// The folder name's prefix, by which a later run recognises a cluster left behind.
    static let folderPrefix = "doctor-pg-"
    /// The file in the folder that holds the owning process's pid.
    static let ownerFile = "owner.pid"

    /// The newest PostgreSQL server binaries on this machine (`DOCTOR_PG_BIN` overrides), or nil.
    public static var binDirectory: String? {
        if let override = ProcessInfo.processInfo.environment["DOCTOR_PG_BIN"] { return override }
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .compactMap(Int.init).sorted(by: >)
        return versions.map { "\(root)/\($0)/bin" }.first { FileManager.default.isExecutableFile(atPath: "\($0)/initdb") }
    }

    /// Creates and starts a cluster; `settings` are extra `-c name=value` server settings, `port`
    /// the one to listen on (nil: a free one).
    public init(settings: [String: String] = [:], port: UInt16? = nil) throws(TemporaryPostgresError) {
        guard let bin = Self.binDirectory else { throw .notInstalled }
        self.bin = bin
        Self.removeStale(bin: bin)
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(Self.folderPrefix + UUID().uuidString.prefix(8)).path
        self.port = port ?? Self.freePort()
        var options = "-c listen_addresses=127.0.0.1 -p \(self.port) -k \(directory) -c fsync=off -c synchronous_commit=off"
        for (name, value) in settings.sorted(by: { $0.key < $1.key }) { options += " -c \(name)=\(value)" }
        self.options = options
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try "\(getpid())\n".write(toFile: "\(directory)/\(Self.ownerFile)", atomically: true, encoding: .utf8)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw .failed("cannot create \(directory)")
        }
        // Before initdb, so a process killed at any point from here on leaves nothing behind.
        do {
            watchdog = try Watchdog(cleanUp: Self.cleanUpScript(bin: bin, directory: directory))
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw .failed("cannot start the clean-up watchdog")
        }
        if getuid() == 0 {
            guard getpwnam("postgres") != nil else { throw .failed("running as root needs the `postgres` user (install the postgresql package)") }
            _ = try? run("/bin/chown", ["postgres", directory], asServer: false)
        }
        try run("\(bin)/initdb", ["-D", "\(directory)/data", "-U", "postgres", "--auth-local=trust",
                                  "--auth-host=scram-sha-256", "--no-sync", "--no-instructions", "-E", "UTF8"], asServer: true)
        try run("\(bin)/pg_ctl", ["-D", "\(directory)/data", "-o", options, "-l", "\(directory)/log", "-w", "-t", "20", "start"], asServer: true)
    }

    deinit { stop() }

    /// Runs SQL as the superuser over the local socket; the error carries psql's message.
    public func execute(_ sql: String, database: String = "postgres") throws(TemporaryPostgresError) {
        try run("\(bin)/psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", directory, "-p", String(port), "-U", "postgres",
                                "-d", database, "-c", sql], asServer: true)
    }

    /// A `postgresql://` URL for `user` on this cluster.
    public func url(user: String, password: String, database: String, query: String = "") -> String {
        let encoded = password.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? password
        return "postgresql://\(user):\(encoded)@127.0.0.1:\(port)/\(database)" + (query.isEmpty ? "" : "?" + query)
    }

    /// Stops the server at once and removes the folder; safe to call more than once.
    public func stop() {
        // The watchdog does it, so a normal exit and a killed process take the same path.
        lifecycle.lock()
        defer { lifecycle.unlock() }
        let watchdog = lock.withLock { () -> Watchdog? in
            defer { self.watchdog = nil }
            return self.watchdog
        }
        watchdog?.release()
    }

    /// Runs a program to completion (as `postgres` when root and `asServer`), throwing its output on failure.
    @discardableResult
    private func run(_ program: String, _ arguments: [String], asServer: Bool) throws(TemporaryPostgresError) -> String {
        try Self.run(program, arguments, asServer: asServer, outputFolder: directory)
    }

    /// Runs a program to completion, its output in a file in `outputFolder`; see `run(_:_:asServer:)`.
    @discardableResult
    static func run(_ program: String, _ arguments: [String], asServer: Bool,
                    outputFolder: String) throws(TemporaryPostgresError) -> String {
        let argv = commandLine(program, arguments, asServer: asServer)
        // A file, not a pipe: the server that pg_ctl starts outlives it and would hold a pipe open.
        // In the cluster's folder, so a killed process leaves none behind.
        let outputPath = "\(outputFolder)/out-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        // posix_spawn and waitpid rather than Foundation's Process, whose reaping of a `su` child
        // was seen to never return here.
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, &cArguments, environ)
        guard spawned == 0 else { throw .failed("cannot run \(argv[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let exitCode = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        guard exitCode == 0 else {
            let name = (program as NSString).lastPathComponent
            throw .failed("\(name) exited \(exitCode): " + text.split(separator: "\n").suffix(3).joined(separator: " "))
        }
        return text
    }

    /// The program and its arguments, wrapped in `su postgres` when root and `asServer`.
    static func commandLine(_ program: String, _ arguments: [String], asServer: Bool) -> [String] {
        let argv = [program] + arguments
        guard asServer && getuid() == 0 else { return argv }
        return ["/bin/su", "postgres", "-s", "/bin/sh", "-c", argv.map(shellQuote).joined(separator: " ")]
    }

    static func shellQuote(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// A loopback port the kernel just handed out and got back.
    static func freePort() -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                _ = bind(fd, pointer, length)
                return getsockname(fd, pointer, &length)
            }
        }
        return UInt16(bigEndian: address.sin_port)
    }
}

/// Why a temporary cluster could not start.
public enum TemporaryPostgresError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No PostgreSQL server binaries (initdb, pg_ctl) on this machine.
    case notInstalled
    /// A step failed, with the tool's last words.
    case failed(String)

    public var description: String {
        switch self {
        case .notInstalled: "PostgreSQL server binaries not found (apt-get install postgresql, or set DOCTOR_PG_BIN)"
        case let .failed(detail): detail
        }
    }
}
