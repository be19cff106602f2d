import Foundation

extension TemporaryPostgres {
    /// Whether the server runs: PostgreSQL keeps `postmaster.pid` in the data directory while it does.
    public var isRunning: Bool { FileManager.default.fileExists(atPath: "\(directory)/data/postmaster.pid") }

    /// Stops the server but keeps the cluster, so `resume()` brings the same data back on the same
    /// port (the sandbox's `db-down` switched on while serving). Does nothing when it is stopped.
    public func pause() throws(TemporaryPostgresError) {
        lifecycle.lock()
        defer { lifecycle.unlock() }
        guard isRunning else { return }
        // `fast`: open connections are cut as a crashed database would cut them.
        try Self.run("\(bin)/pg_ctl", ["-D", "\(directory)/data", "-m", "fast", "-w", "-t", "20", "stop"],
                     asServer: true, outputFolder: directory)
    }

    /// Starts the server again after `pause()`, with the options and port it had; does nothing
    /// when it runs, and refuses once `stop()` removed the cluster (nothing may outlive that).
    public func resume() throws(TemporaryPostgresError) {
        lifecycle.lock()
        defer { lifecycle.unlock() }
        guard !isRunning else { return }
        guard FileManager.default.fileExists(atPath: "\(directory)/data") else { throw .failed("the cluster was removed") }
        try Self.run("\(bin)/pg_ctl", ["-D", "\(directory)/data", "-o", options, "-l", "\(directory)/log", "-w", "-t", "20", "start"],
                     asServer: true, outputFolder: directory)
    }
}
