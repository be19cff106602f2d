/// The variables the doctor reads, merged from the process environment, an env file and flags.
///
/// Precedence: flags, then the process environment, then the file. API base overrides
/// (`STRIPE_API_BASE`, `RENDER_API_BASE`, `SENTRY_API_BASE`) are honoured from the environment or flags only: a `.env`
/// copied from elsewhere must not be able to send keys to another host.
public struct Configuration: Sendable {
    /// Where a variable's value came from.
    public enum Origin: Sendable, Equatable, CustomStringConvertible {
        case process
        case file(String)
        case flag
        case sandbox
        case session

        public var description: String {
            switch self {
            case .process: "the environment"
            case let .file(path): path
            case .flag: "a flag"
            case .sandbox: "the sandbox"
            case .session: "this session"
            }
        }
    }

    /// The variables that hold secrets: never expanded into runbook templates, never shown.
    public static let secretNames: Set<String> = [
        "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "DATABASE_URL", "DIRECT_URL", "REDIS_URL",
        "SENTRY_DSN", "RENDER_API_KEY", "SENTRY_AUTH_TOKEN",
    ]

    /// Variables whose override changes where credentials are sent.
    public static let baseOverrideNames: Set<String> = ["STRIPE_API_BASE", "RENDER_API_BASE", "SENTRY_API_BASE"]

    /// Whether `name` holds a secret, by the list above or by its name's shape.
    public static func isSecret(_ name: String) -> Bool {
        if secretNames.contains(name) { return true }
        let upper = name.uppercased()
        return ["_KEY", "_SECRET", "_TOKEN", "_PASSWORD", "_DSN"].contains { upper.hasSuffix($0) }
            || upper.contains("PASSWORD")
    }

    private var entries: [String: (value: String, origin: Origin)] = [:]

    /// Things every run must say about how it was configured (e.g. an API base override in use).
    public private(set) var notices: [String] = []

    /// An empty configuration.
    public init() {}

    /// Merges the sources in their order of precedence.
    ///
    /// - Parameters:
    ///   - process: the process environment.
    ///   - file: variables read from an env file, with the file's path.
    ///   - flags: values given on the command line.
    public init(process: [String: String], file: (path: String, variables: [(String, String)])? = nil,
                flags: [String: String] = [:]) {
        if let file {
            for (name, value) in file.variables {
                if Self.baseOverrideNames.contains(name) {
                    notices.append("\(name) in \(file.path) ignored: API base overrides are taken from the environment or flags only")
                    continue
                }
                entries[name] = (value, .file(file.path))
            }
        }
        for (name, value) in process where Self.isRelevant(name) { entries[name] = (value, .process) }
        for (name, value) in flags { entries[name] = (value, .flag) }
        for name in Self.baseOverrideNames.sorted() {
            if let entry = entries[name], !entry.value.isEmpty {
                notices.append("\(name) overridden to \(entry.value) (from \(entry.origin))")
            }
        }
    }

    /// Variables taken from the process: the service's own and the doctor's, not the whole shell.
    static func isRelevant(_ name: String) -> Bool {
        !name.hasPrefix("_") && name.uppercased() == name
    }

    /// The value of `name`; an empty value counts as unset.
    public func value(_ name: String) -> String? {
        guard let value = entries[name]?.value, !value.isEmpty else { return nil }
        return value
    }

    /// Where `name` came from, if set.
    public func origin(_ name: String) -> Origin? { entries[name]?.origin }

    /// Every variable name set, sorted.
    public var names: [String] { entries.keys.sorted() }

    /// Sets (or with nil, unsets) a variable.
    public mutating func set(_ name: String, _ value: String?, origin: Origin) {
        if let value { entries[name] = (value, origin) } else { entries[name] = nil }
    }

    /// Adds a notice that every run prints.
    public mutating func addNotice(_ notice: String) { notices.append(notice) }

    /// Every secret value currently set, for the redactor.
    public var secretValues: [String] {
        entries.filter { Self.isSecret($0.key) }.map(\.value.value).filter { !$0.isEmpty }
    }
}
