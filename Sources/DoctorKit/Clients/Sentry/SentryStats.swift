import Foundation

/// A project's event counts (`GET /projects/{org}/{project}/stats/`): `[[timestamp, count], …]`,
/// one bucket per `resolution`, timestamps in Unix seconds at the bucket's start.
public struct SentryStats: Sendable, Equatable {
    /// The buckets in time order.
    public var buckets: [(start: Int, count: Int)]

    /// Reads the answer; nil when it is not a list of `[number, number]` pairs.
    public init?(_ json: JSONValue) {
        guard case let .array(items) = json else { return nil }
        var buckets: [(Int, Int)] = []
        for item in items {
            guard case let .array(pair) = item, pair.count == 2,
                  let start = Self.number(pair[0]), let count = Self.number(pair[1]), count >= 0
            else { return nil }
            buckets.append((start, count))
        }
        self.buckets = buckets.sorted { $0.0 < $1.0 }
    }

    /// Buckets given directly (tests).
    public init(buckets: [(start: Int, count: Int)]) { self.buckets = buckets }

    /// Every event counted.
    public var total: Int { buckets.reduce(0) { $0 + $1.count } }

    /// The events of buckets starting at or after `since` (Unix seconds).
    public func total(since: Int) -> Int {
        buckets.filter { $0.start >= since }.reduce(0) { $0 + $1.count }
    }

    public static func == (lhs: SentryStats, rhs: SentryStats) -> Bool {
        lhs.buckets.map(\.start) == rhs.buckets.map(\.start) && lhs.buckets.map(\.count) == rhs.buckets.map(\.count)
    }

    static func number(_ value: JSONValue) -> Int? {
        switch value {
        case let .int(number): number
        case let .double(number) where number.isFinite: Int(number)
        default: nil
        }
    }
}
