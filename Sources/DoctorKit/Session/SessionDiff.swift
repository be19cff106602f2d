import Foundation

/// What changed between two sessions' snapshots: the latest deploy, the deployed variables (by
/// name), the webhook endpoint, the database schema and migrations, the Stripe account.
///
/// Built from `StateSnapshot`s only, so it never holds a value or a hash of one. A deployed
/// variable "changed" when it appeared, went, or compared differently with the local value in the
/// two runs; a deployed value that changed while staying equal to (or different from) the local one
/// both times cannot be seen (README, "What changed since the last good run").
public struct SessionDiff: Sendable, Encodable {
    /// The part of the system a change is in.
    public enum Area: String, Sendable, Encodable, CaseIterable {
        case deploy, variables, endpoint, schema, migrations, account

        /// The check kinds whose failure such a change can explain.
        var explainsKinds: Set<String> {
            switch self {
            case .deploy: ["render-deploys", "render-service", "http", "http-sample", "clock-skew"]
            case .variables: ["render-env", "env", "webhook-secret", "stripe-api"]
            case .endpoint: ["stripe-endpoint", "stripe-deliveries", "webhook-secret", "webhook-volume"]
            case .schema, .migrations: ["postgres-schema", "prisma-migrations", "reconciliation", "duplicate-processing", "audit-retention"]
            case .account: ["stripe-api", "stripe-endpoint", "stripe-deliveries", "reconciliation"]
            }
        }
    }

    /// One change: its area, a line saying it, and the particulars.
    public struct Change: Sendable, Equatable, Encodable {
        /// Where it is.
        public var area: Area
        /// One line, e.g. "new deploy dep-b (live, commit 1a2b3c4), was dep-a (live, commit 9f8e7d6)".
        public var summary: String
    }

    /// One of the two sessions compared.
    public struct Side: Sendable, Equatable, Encodable {
        /// The session id.
        public var id: String
        /// When it started.
        public var startedAt: Date

        enum CodingKeys: String, CodingKey {
            case id
            case startedAt = "started_at"
        }
    }

    /// The earlier session (for a run's report: the last good run).
    public var from: Side
    /// The later session.
    public var to: Side
    /// What changed, by area in a fixed order.
    public var changes: [Change]
    /// Areas that could not be compared because only one session read them, said as lines.
    public var notCompared: [String]
    /// Why nothing could be compared at all (a session recorded no snapshot), if so.
    public var problem: String?

    enum CodingKeys: String, CodingKey {
        case from, to, changes, problem
        case notCompared = "not_compared"
    }

    /// The differences between two sessions' snapshots; `problem` says so when one has none.
    public init(from earlier: Side, _ before: StateSnapshot?, to later: Side, _ after: StateSnapshot?) {
        from = earlier
        to = later
        guard let before, let after else {
            let missing = [before == nil ? earlier.id : nil, after == nil ? later.id : nil].compactMap { $0 }
            changes = []
            notCompared = []
            problem = "session \(missing.joined(separator: " and ")) recorded no state snapshot (a journal written before snapshots, or no run read the deploy, endpoint, schema or account): nothing to compare"
            return
        }
        let (changes, unread) = Self.compare(before, after)
        self.changes = changes
        notCompared = unread.map { area, side in "\(area.rawValue): not read in \(side == 0 ? earlier.id : later.id)" }
        problem = nil
    }

    /// The differences between two sessions as recorded.
    public init(from earlier: SessionRecord, to later: SessionRecord) {
        self.init(from: Side(id: earlier.info.id, startedAt: earlier.info.startedAt), earlier.snapshot,
                  to: Side(id: later.info.id, startedAt: later.info.startedAt), later.snapshot)
    }

    /// How long before `to` the `from` session started, in words ("2 days ago").
    public var age: String {
        let seconds = max(0, Int(to.startedAt.timeIntervalSince(from.startedAt)))
        func plural(_ n: Int, _ unit: String) -> String { "\(n) \(unit)\(n == 1 ? "" : "s") ago" }
        switch seconds {
        case ..<60: return "moments ago"
        case ..<3600: return plural(seconds / 60, "minute")
        case ..<86_400: return plural(seconds / 3600, "hour")
        default: return plural(seconds / 86_400, "day")
        }
    }

    /// The change that may explain a finding of `kind`, if one is in its area.
    public func change(explaining kind: String) -> Change? {
        changes.first { $0.area.explainsKinds.contains(kind) }
    }

    /// The changes from `a` to `b`, and the areas only one of them read (0: `a`, 1: `b`).
    static func compare(_ a: StateSnapshot, _ b: StateSnapshot) -> ([Change], [(Area, Int)]) {
        var changes: [Change] = []
        var unread: [(Area, Int)] = []
        func pair<T>(_ area: Area, _ x: T?, _ y: T?, _ body: (T, T) -> [String]) {
            switch (x, y) {
            case let (x?, y?): changes += body(x, y).map { Change(area: area, summary: $0) }
            case (nil, .some): unread.append((area, 0))
            case (.some, nil): unread.append((area, 1))
            case (nil, nil): break
            }
        }
        pair(.deploy, a.deploy, b.deploy, Self.deploy)
        pair(.variables, a.variables, b.variables, Self.variables)
        pair(.endpoint, a.endpoint, b.endpoint) { Self.endpoint($0, $1, targets: (a.target, b.target)) }
        pair(.schema, a.schema, b.schema, Self.schema)
        pair(.migrations, a.migrations, b.migrations, Self.migrations)
        pair(.account, a.account, b.account, Self.account)
        return (changes, unread)
    }
}
