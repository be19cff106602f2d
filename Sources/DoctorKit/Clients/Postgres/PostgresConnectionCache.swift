import Foundation

/// The PostgreSQL sessions of one run, one per database: every step reuses it instead of opening its own.
///
/// The doctor is a guest in a production database whose pool may be nearly full; one session per
/// run keeps its footprint at one connection. A failed attempt is not remembered, so a later step
/// tries again; a session closed after a timeout is replaced.
public final class PostgresConnectionCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [PostgresConnectionInfo: Task<Result<PostgresConnection, PostgresError>, Never>] = [:]

    /// An empty cache.
    public init() {}

    /// The open session for `info`, opening it when needed; `reused` says whether it already existed.
    public func connection(
        for info: PostgresConnectionInfo, deadline: ContinuousClock.Instant
    ) async throws(PostgresError) -> (connection: PostgresConnection, reused: Bool) {
        let (task, reused) = lock.withLock { () -> (Task<Result<PostgresConnection, PostgresError>, Never>, Bool) in
            if let existing = entries[info] { return (existing, true) }
            let task = Task { () -> Result<PostgresConnection, PostgresError> in
                do throws(PostgresError) {
                    return .success(try await PostgresConnection.connect(info, deadline: deadline))
                } catch {
                    return .failure(error)
                }
            }
            entries[info] = task
            return (task, false)
        }
        switch await task.value {
        case let .success(connection) where connection.isOpen:
            return (connection, reused)
        case .success:
            forget(info, task)
            return try await connection(for: info, deadline: deadline)
        case let .failure(error):
            forget(info, task)
            throw error
        }
    }

    private func forget(_ info: PostgresConnectionInfo, _ task: Task<Result<PostgresConnection, PostgresError>, Never>) {
        lock.withLock {
            // Another step may already have replaced it.
            if entries[info] == task { entries[info] = nil }
        }
    }

    /// Closes every session.
    public func closeAll() {
        let tasks = lock.withLock {
            defer { entries.removeAll() }
            return Array(entries.values)
        }
        for task in tasks {
            Task { if case let .success(connection) = await task.value { connection.close() } }
        }
    }
}
