import Foundation

/// Which Sentry API host a run talks to, and why (api-facts section 9): an explicit
/// `SENTRY_API_BASE` always wins; otherwise a SaaS DSN's ingest host names the organization's
/// region (`oNNN.ingest.de.sentry.io` → `https://de.sentry.io/api/0`), so an EU organization works
/// with no setting at all; otherwise `https://sentry.io/api/0`.
public struct SentryRegion: Sendable, Equatable {
    /// The API base URL, `…/api/0`.
    public var base: String
    /// Where the base came from, for the evidence (`SENTRY_API_BASE`, `SENTRY_DSN's region (de)`, `default`).
    public var source: String

    /// The region hosts the DSN's ingest host can name. Only Sentry's own hosts are listed, so a
    /// DSN can never steer the token to a host the user did not choose as the API.
    static let regionBases = ["us": "https://us.sentry.io/api/0", "de": "https://de.sentry.io/api/0"]

    /// The base for `configuration`.
    public static func of(_ configuration: Configuration) -> SentryRegion {
        if let explicit = configuration.value("SENTRY_API_BASE") {
            return SentryRegion(base: explicit, source: "SENTRY_API_BASE")
        }
        if let region = region(ofDSN: configuration.value("SENTRY_DSN")), let base = regionBases[region] {
            return SentryRegion(base: base, source: "SENTRY_DSN's region (\(region))")
        }
        return SentryRegion(base: SentryClient.defaultBase, source: "default")
    }

    /// `us` or `de` for a DSN whose host is `….ingest.us.sentry.io` / `….ingest.de.sentry.io`;
    /// nil for the regionless `….ingest.sentry.io`, a self-hosted DSN, or no DSN.
    static func region(ofDSN dsn: String?) -> String? {
        guard let dsn, let parts = URLParts.split(dsn.trimmingWhitespace) else { return nil }
        let labels = parts.hostAndPort.host.lowercased().split(separator: ".")
        guard labels.count >= 4, labels.suffix(2) == ["sentry", "io"] else { return nil }
        let region = labels[labels.count - 3], ingest = labels[labels.count - 4]
        return ingest == "ingest" && regionBases[String(region)] != nil ? String(region) : nil
    }
}
