/// What the steps of one run share besides the HTTP client: database sessions, and why a resource
/// is not available in this run at all (e.g. `doctor demo` on a machine without PostgreSQL).
///
/// A `Runner` makes one (or is given one) and hands it to every step through `CheckContext`.
public final class SharedResources: Sendable {
    /// PostgreSQL sessions, one per database, reused by every step.
    public let postgres = PostgresConnectionCache()
    /// Resources a caller knows are absent, with the reason steps report when they skip (key: `postgres`).
    public let unavailable: [String: String]
    /// Where the doctor notes its own requests that the service logs as trouble; nil: not noted.
    public let ownRequests: OwnRequestLedger?

    /// Resources with nothing open yet.
    public init(unavailable: [String: String] = [:], ownRequests: OwnRequestLedger? = nil) {
        self.unavailable = unavailable
        self.ownRequests = ownRequests
    }

    /// Closes every session.
    public func close() {
        postgres.closeAll()
    }

    deinit { close() }
}
