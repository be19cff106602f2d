import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension TemporaryPostgres {
    /// The watchdog's clean-up: stop the server at once if it runs (`-m immediate`: nothing in a
    /// throwaway cluster is worth a checkpoint), then remove the folder.
    static func cleanUpScript(bin: String, directory: String) -> String {
        let stop = commandLine("\(bin)/pg_ctl", ["-D", "\(directory)/data", "-m", "immediate", "-w", "-t", "10", "stop"], asServer: true)
        return """
            if [ -f \(shellQuote("\(directory)/data/postmaster.pid")) ]; then \(stop.map(shellQuote).joined(separator: " ")) >/dev/null 2>&1; fi
            rm -rf \(shellQuote(directory))
            """
    }

    /// Stops and removes the clusters in `folder` whose owning process died and whose watchdog
    /// could not clean up (killed with it, or the machine's processes were killed wholesale).
    ///
    /// A folder whose owner still runs is left alone, as is one without an owner file, and one
    /// whose server cannot be stopped (another user's): removing it would leave the server running.
    static func removeStale(bin: String, in folder: String = FileManager.default.temporaryDirectory.path) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for name in names where name.hasPrefix(folderPrefix) {
            let path = "\(folder)/\(name)"
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue,
                  let owner = readPID("\(path)/\(ownerFile)"), !isAlive(owner)
            else { continue }
            if let postmaster = readPID("\(path)/data/postmaster.pid"), isAlive(postmaster) {
                _ = try? run("\(bin)/pg_ctl", ["-D", "\(path)/data", "-m", "immediate", "-w", "-t", "10", "stop"],
                             asServer: true, outputFolder: path)
                if isAlive(postmaster) { continue }
            }
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    /// The pid on the first line of a file (`owner.pid`, or the postmaster's `postmaster.pid`).
    static func readPID(_ path: String) -> pid_t? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first.flatMap { pid_t($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// Whether a process runs: it exists (maybe as another user's) and is not a zombie waiting for
    /// a parent that never reaps it, as in a container whose first process is not an init.
    static func isAlive(_ pid: pid_t) -> Bool {
        guard pid > 0, kill(pid, 0) == 0 || errno == EPERM else { return false }
        #if os(Linux)
        // /proc/PID/stat is `pid (comm) state …`; comm may hold spaces or parentheses.
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")") {
            return !stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
        }
        #endif
        return true
    }
}
