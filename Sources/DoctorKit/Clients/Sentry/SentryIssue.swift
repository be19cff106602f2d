import Foundation

/// An issue of `GET /organizations/{org}/issues/`: a group of similar events.
///
/// Two counts, never confused: the lifetime count (`lifetime.count`, or `count` when the answer
/// has no `lifetime`; a string in Sentry's JSON) and the events of the period the stats were asked
/// for, summed from `stats["24h"]` (`[[timestamp, count], …]`).
public struct SentryIssue: Sendable, Equatable {
    /// Sentry's numeric id, as a string.
    public var id: String
    /// `PAYMENTS-API-1F`, as the dashboard shows it.
    public var shortID: String?
    /// The error's title (`Error: DATABASE_URL invalid`).
    public var title: String
    /// Every event the issue ever had.
    public var lifetimeCount: Int?
    /// The events of each stats period Sentry sent (`24h`, `14d`), summed over its buckets.
    public var periodCounts: [String: Int]
    /// When it last happened, as Sentry wrote it (ISO 8601).
    public var lastSeen: String?
    /// `error`, `warning`, …
    public var level: String?
    /// The dashboard link.
    public var permalink: String?

    /// Reads one issue; nil without an id or a title.
    public init?(_ json: JSONValue) {
        guard let id = json.string("id") ?? json.int("id").map(String.init), let title = json.string("title") else { return nil }
        self.id = id
        self.title = title
        shortID = json.string("shortId")
        // With a statsPeriod Sentry may count the top-level `count` over that window only; the
        // `lifetime` object is the whole history whatever was asked.
        lifetimeCount = Self.count(json["lifetime"]?["count"]) ?? Self.count(json["count"])
        periodCounts = [:]
        if case let .object(series)? = json["stats"] {
            for (period, buckets) in series {
                if let stats = SentryStats(buckets) { periodCounts[period] = stats.total }
            }
        }
        lastSeen = json.string("lastSeen")
        level = json.string("level")
        permalink = json.string("permalink")
    }

    /// The events over `period` (`24h`), when Sentry sent that series.
    public func count(in period: String) -> Int? { periodCounts[period] }

    /// Every issue of a list answer; nil when the answer is not a list.
    public static func list(_ json: JSONValue) -> [SentryIssue]? {
        guard case let .array(items) = json else { return nil }
        return items.compactMap(SentryIssue.init)
    }

    /// Sentry writes counts as strings; a number is read too.
    private static func count(_ value: JSONValue?) -> Int? {
        switch value {
        case let .string(text)?: Int(text)
        case let .int(number)?: number
        default: nil
        }
    }
}
