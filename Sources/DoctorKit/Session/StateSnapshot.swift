import Foundation

/// What the diagnosed systems looked like in a run, taken from its steps' evidence: the facts a
/// later run is compared with ("what changed since the last good run").
///
/// Only what is safe to write down is kept: ids, URLs, statuses, names. Deployed variables are
/// kept as names and, per name, how the deployed value compared with the local one in that run
/// (`render-env` compares them inside the process). Never a value, and never a hash of one: a hash
/// of a secret on disk can be brute-forced, so two runs' secrets cannot be compared directly.
public struct StateSnapshot: Sendable, Equatable, Codable {
    /// The latest Render deploy.
    public struct Deploy: Sendable, Equatable, Codable {
        /// The deploy id (`dep-…`).
        public var id: String
        /// Its status (`live`, `build_failed`, …).
        public var status: String
        /// The commit it deployed, when Render names one.
        public var commit: String?
    }

    /// The variables deployed on Render: names, and how each compared with the local value.
    public struct Variables: Sendable, Equatable, Codable {
        /// Every deployed variable's name, sorted.
        public var names: [String]
        /// For the variables compared with the local ones: `same as local`, `differs from local`, ….
        public var comparedWithLocal: [String: String]

        enum CodingKeys: String, CodingKey {
            case names
            case comparedWithLocal = "compared_with_local"
        }
    }

    /// Stripe's webhook endpoint for the API.
    public struct Endpoint: Sendable, Equatable, Codable {
        /// Whether Stripe had an endpoint at the expected URL at all.
        public var found: Bool
        /// The endpoint id (`we_…`).
        public var id: String?
        /// Where it sends events.
        public var url: String?
        /// `enabled` or `disabled`.
        public var status: String?
        /// The event types it is subscribed to, sorted.
        public var enabledEvents: [String]
        /// The API version its events are rendered in, when pinned.
        public var apiVersion: String?

        enum CodingKeys: String, CodingKey {
            case found, id, url, status
            case enabledEvents = "enabled_events"
            case apiVersion = "api_version"
        }
    }

    /// The database tables the runbooks look at, and the migrations applied.
    public struct Schema: Sendable, Equatable, Codable {
        /// Table name to its column names (sorted); a table that did not exist has none and is
        /// listed in `missing`.
        public var tables: [String: [String]]
        /// Tables looked for and not found.
        public var missing: [String]
    }

    /// Prisma's applied migrations.
    public struct Migrations: Sendable, Equatable, Codable {
        /// How many were applied.
        public var applied: Int
        /// The newest applied migration's name.
        public var newest: String?
        /// The newest applied migrations' names (bounded), oldest first.
        public var names: [String]
        /// Migrations that started and never finished.
        public var unfinished: [String]
    }

    /// The Stripe account the key belongs to.
    public struct Account: Sendable, Equatable, Codable {
        /// The account id (`acct_…`).
        public var id: String?
        /// `live` or `test`.
        public var mode: String?
    }

    /// The API base URL of the run (`API_URL`), so an endpoint URL can be read relative to it.
    public var target: String?
    /// The latest deploy, when `render-deploys` read one.
    public var deploy: Deploy?
    /// The deployed variables, when `render-env` read them.
    public var variables: Variables?
    /// The webhook endpoint, when `stripe-endpoint` listed the endpoints.
    public var endpoint: Endpoint?
    /// The schema, when `postgres-schema` read it.
    public var schema: Schema?
    /// The migrations, when `prisma-migrations` read them.
    public var migrations: Migrations?
    /// The Stripe account, when `stripe-api` reached it.
    public var account: Account?

    /// An empty snapshot for `target`.
    public init(target: String? = nil) { self.target = target }

    /// Whether no area was recorded.
    public var isEmpty: Bool {
        deploy == nil && variables == nil && endpoint == nil && schema == nil && migrations == nil && account == nil
    }

    /// The snapshot of `report`, from the evidence of the steps that read each area.
    public init(_ report: RunReport) {
        self.init(target: report.target)
        for (_, step) in report.allSteps { take(step) }
    }

    /// `later`'s areas over this one's: a session that ran twice keeps the newest look at each.
    public func merged(with later: StateSnapshot) -> StateSnapshot {
        var merged = self
        merged.target = later.target ?? target
        merged.deploy = later.deploy ?? deploy
        merged.variables = later.variables ?? variables
        merged.endpoint = later.endpoint ?? endpoint
        merged.schema = later.schema ?? schema
        merged.migrations = later.migrations ?? migrations
        merged.account = later.account ?? account
        return merged
    }

    /// Takes what `step`'s evidence says about its area; a step that could not read it adds nothing.
    mutating func take(_ step: StepResult) {
        let evidence = step.evidence
        switch step.kind {
        case "render-deploys":
            guard let latest = evidence["latest"], let id = latest.string("id") else { return }
            deploy = Deploy(id: id, status: latest.string("status") ?? "unknown", commit: latest.string("commit"))
        case "render-env":
            guard case let .array(listed)? = evidence["deployed_names"] else { return }
            var compared: [String: String] = [:]
            for (name, entry) in evidence.entries {
                if let local = entry.string("local") { compared[name] = local }
            }
            variables = Variables(names: listed.compactMap { $0.stringValue }.sorted(), comparedWithLocal: compared)
        case "stripe-endpoint":
            // Only a listing that completed says whether the endpoint exists.
            guard evidence["endpoints_listed"] != nil else { return }
            guard let id = evidence["endpoint_id"]?.stringValue else {
                endpoint = Endpoint(found: false, enabledEvents: [])
                return
            }
            var events: [String] = []
            if case let .array(items)? = evidence["enabled_events"] { events = items.compactMap { $0.stringValue }.sorted() }
            endpoint = Endpoint(found: true, id: id, url: evidence["endpoint_url"]?.stringValue, status: evidence["status"]?.stringValue,
                                enabledEvents: events, apiVersion: evidence["api_version"]?.stringValue)
        case "postgres-schema":
            guard evidence["schema"] != nil else { return }
            var tables: [String: [String]] = [:]
            var missing: [String] = []
            for (name, entry) in evidence.entries {
                guard case .bool(let exists)? = entry["exists"] else { continue }
                if !exists { missing.append(name); continue }
                if case let .array(columns)? = entry["columns"] { tables[name] = columns.compactMap { $0.stringValue }.sorted() } else { tables[name] = [] }
            }
            schema = Schema(tables: tables, missing: missing.sorted())
        case "prisma-migrations":
            guard case let .int(applied)? = evidence["applied"] else { return }
            var names: [String] = []
            if case let .array(items)? = evidence["applied_names"] { names = items.compactMap { $0.stringValue } }
            var unfinished: [String] = []
            if case let .array(items)? = evidence["unfinished"] {
                unfinished = items.compactMap { $0.stringValue?.components(separatedBy: " started ").first }
            }
            migrations = Migrations(applied: applied, newest: evidence["newest_applied"]?.stringValue, names: names, unfinished: unfinished)
        case "stripe-api":
            guard let id = evidence["account_id"]?.stringValue else { return }
            account = Account(id: id, mode: evidence["mode"]?.stringValue)
        default:
            break
        }
    }

    /// The snapshot with every string passed through `redactor` (the journal's last guard).
    public func redacted(by redactor: Redactor) -> StateSnapshot {
        var copy = self
        copy.target = target.map(redactor.redact)
        copy.endpoint?.url = endpoint?.url.map(redactor.redact)
        return copy
    }
}

extension JSONValue {
    /// The value when it is a string.
    var stringValue: String? {
        if case let .string(text) = self { return text }
        return nil
    }
}
