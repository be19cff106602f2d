import Foundation
import Testing

@testable import DoctorSandbox

/// `kill -9` of `doctor demo` must not leave its throwaway PostgreSQL running or its folder behind.
@Suite("Nothing left behind by kill -9", .serialized)
struct LeftBehindTests {
    @Test("kill -9 of doctor demo: its PostgreSQL stops and its folder is removed within seconds")
    func killedDemo() throws {
        guard let scratch = try Scratch() else { return }
        defer { scratch.remove() }
        let demo = try scratch.startDemo()
        let cluster = try #require(scratch.waitForPostmaster(), "the demo's PostgreSQL never became ready")
        demo.kill()
        #expect(eventually { !TemporaryPostgres.isAlive(cluster.postmaster) }, "the postmaster outlived kill -9 of the doctor")
        #expect(eventually { !FileManager.default.fileExists(atPath: cluster.folder) }, "\(cluster.folder) was left behind")
    }

    @Test("a cluster whose doctor and watchdog were both killed is stopped and removed by the next doctor demo")
    func staleClusterRemoved() throws {
        guard let scratch = try Scratch() else { return }
        defer { scratch.remove() }
        let demo = try scratch.startDemo()
        let cluster = try #require(scratch.waitForPostmaster(), "the demo's PostgreSQL never became ready")
        let watchdog = try #require(childProcesses(of: demo.pid).first { $0.commandLine.contains("doctor-watchdog") },
                                    "no watchdog among the doctor's children")
        kill(watchdog.pid, SIGKILL)
        demo.kill()
        Thread.sleep(forTimeInterval: 0.5)
        try #require(TemporaryPostgres.isAlive(cluster.postmaster), "the cluster did not survive, so there was nothing to test")

        let next = try DoctorProcess.run(["demo", "webhooks-not-arriving"], environment: ["TMPDIR": scratch.path])
        #expect(next.exitCode == 0, "\(next.stdout)\n\(next.stderr)")
        #expect(!TemporaryPostgres.isAlive(cluster.postmaster), "the next demo left the stale postmaster running")
        #expect(!FileManager.default.fileExists(atPath: cluster.folder), "the next demo did not remove \(cluster.folder)")
        #expect(scratch.clusterFolders().isEmpty, "left behind: \(scratch.clusterFolders())")
    }
}

/// A temporary folder of its own as the doctor's TMPDIR, so only its clusters are looked at.
private struct Scratch {
    let path: String

    /// Nil (an issue under CI) when this machine has no PostgreSQL server binaries.
    init?() throws {
        guard TemporaryPostgres.binDirectory != nil else {
            if DatabaseServers.isCI { Issue.record("PostgreSQL server binaries are required under CI=true") }
            return nil
        }
        path = FileManager.default.temporaryDirectory.appendingPathComponent("doctor-left-behind-\(UUID().uuidString.prefix(8))").path
        // World-traversable: as root the cluster's folder inside belongs to `postgres`.
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
    }

    /// `doctor demo` against a hanging API with a long deadline: it runs until it is killed.
    func startDemo() throws -> SpawnedDemo {
        try SpawnedDemo(arguments: ["demo", "--fault", "hang", "--timeout", "120s"],
                        environment: ["PATH=/usr/bin:/bin", "HOME=\(path)", "XDG_STATE_HOME=\(path)", "TMPDIR=\(path)"])
    }

    /// The cluster's folder and postmaster once PostgreSQL says it is ready (`postmaster.pid`).
    func waitForPostmaster(timeout: TimeInterval = 30) -> (folder: String, postmaster: pid_t)? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            for folder in clusterFolders() {
                let pidFile = "\(folder)/data/postmaster.pid"
                if let text = try? String(contentsOfFile: pidFile, encoding: .utf8), text.contains("ready"),
                   let postmaster = TemporaryPostgres.readPID(pidFile) {
                    return (folder, postmaster)
                }
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return nil
    }

    func clusterFolders() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [])
            .filter { $0.hasPrefix(TemporaryPostgres.folderPrefix) }.map { "\(path)/\($0)" }
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// The doctor binary started with posix_spawn and reaped with waitpid: Foundation's Process never
/// noticed the end of a process killed with SIGKILL here, and its wait hung.
private struct SpawnedDemo {
    let pid: pid_t

    init(arguments: [String], environment: [String]) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = [DoctorProcess.binary] + arguments
        var cArguments = argv.map { strdup($0) } + [nil]
        var cEnvironment = environment.map { strdup($0) } + [nil]
        defer { (cArguments + cEnvironment).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, &cArguments, &cEnvironment)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
        self.pid = pid
    }

    /// `kill -9`, then reap it.
    func kill() {
        _ = Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }
}

/// Whether `condition` holds within `seconds`.
private func eventually(within seconds: TimeInterval = 10, _ condition: () -> Bool) -> Bool {
    let deadline = Date(timeIntervalSinceNow: seconds)
    while Date() < deadline {
        if condition() { return true }
        Thread.sleep(forTimeInterval: 0.05)
    }
    return condition()
}

/// The processes whose parent is `parent`, from /proc.
private func childProcesses(of parent: pid_t) -> [(pid: pid_t, commandLine: String)] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return names.compactMap { name in
        guard let pid = pid_t(name),
              let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // After `pid (comm)`: state, then the parent's pid.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 1, pid_t(fields[1]) == parent,
              let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
        return (pid, String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self))
    }
}
