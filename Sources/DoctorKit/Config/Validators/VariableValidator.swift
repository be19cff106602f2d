/// What the doctor thinks of one configuration variable's value.
public struct VariableFinding: Sendable, Equatable {
    /// How a value fares.
    public enum Status: String, Sendable, Equatable {
        case pass, warn, fail
    }

    /// The variable's name.
    public var name: String
    /// Whether the value is usable.
    public var status: Status
    /// One line naming the exact part that is wrong (or what was found); never the secret.
    public var message: String
    /// A masked display of the value, safe to print.
    public var shown: String?

    /// A finding with the given parts.
    public init(name: String, status: Status, message: String, shown: String?) {
        self.name = name
        self.status = status
        self.message = message
        self.shown = shown
    }
}

/// The validators of the variables in docs/architecture.md, "Configuration", chosen by the variable's name.
public enum VariableValidators {
    /// Validates `value` as the variable `name`; `configuration` supplies related variables.
    ///
    /// Names without a validator pass, shown masked when `Configuration.isSecret(name)`.
    public static func validate(_ name: String, _ value: String, in configuration: Configuration) -> VariableFinding {
        // Dashboards (Render's among them) keep quotes as part of the value, unlike a shell or dotenv.
        if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first,
            validated.contains(name)
        {
            return VariableFinding(
                name: name, status: .fail,
                message: "the value is wrapped in quotes, which become part of it: remove them",
                shown: display(name, String(value.dropFirst().dropLast())))
        }
        switch name {
        case "API_URL": return URLValidators.apiURL(name, value)
        case "STRIPE_SECRET_KEY": return StripeKeyValidator.secretKey(name, value)
        case "STRIPE_WEBHOOK_SECRET": return StripeKeyValidator.webhookSecret(name, value)
        case "DATABASE_URL", "DIRECT_URL": return DatabaseURLValidator.validate(name, value, in: configuration)
        case "REDIS_URL": return URLValidators.redisURL(name, value)
        case "SENTRY_DSN": return SentryDSNValidator.validate(name, value)
        case "RENDER_SERVICE_ID": return URLValidators.renderServiceID(name, value)
        case "RENDER_API_KEY": return URLValidators.renderAPIKey(name, value)
        case "STRIPE_API_BASE", "RENDER_API_BASE", "SENTRY_API_BASE": return URLValidators.apiBase(name, value)
        default: return VariableFinding(name: name, status: .pass, message: "set", shown: display(name, value))
        }
    }

    /// The variables with a validator of their own.
    public static let validated: Set<String> = [
        "API_URL", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "DATABASE_URL", "DIRECT_URL", "REDIS_URL",
        "SENTRY_DSN", "RENDER_SERVICE_ID", "RENDER_API_KEY", "STRIPE_API_BASE", "RENDER_API_BASE", "SENTRY_API_BASE",
    ]

    /// A display of any variable's value: masked by the shape of its name when it is a secret.
    public static func display(_ name: String, _ value: String) -> String {
        guard Configuration.isSecret(name) else { return value }
        let upper = name.uppercased()
        if upper.hasSuffix("_URL") || upper.hasSuffix("_DSN") || value.contains("://") {
            return SecretMask.url(value)
        }
        if upper.contains("PASSWORD") || upper.hasSuffix("_SECRET") { return SecretMask.hidden }
        return SecretMask.apiKey(value)
    }
}

/// Collects a validator's problems and folds them into one finding, worst first.
struct FindingBuilder {
    let name: String
    var shown: String?
    private var issues: [(status: VariableFinding.Status, message: String)] = []

    init(name: String, shown: String?) {
        self.name = name
        self.shown = shown
    }

    mutating func fail(_ message: String) { issues.append((.fail, message)) }
    mutating func warn(_ message: String) { issues.append((.warn, message)) }

    var hasFailure: Bool { issues.contains { $0.status == .fail } }

    /// The finding: failures first, then warnings, joined into one line; `passMessage` when none.
    func finding(passMessage: @autoclosure () -> String) -> VariableFinding {
        let failures = issues.filter { $0.status == .fail }.map(\.message)
        let warnings = issues.filter { $0.status == .warn }.map(\.message)
        let status: VariableFinding.Status = failures.isEmpty ? (warnings.isEmpty ? .pass : .warn) : .fail
        let message = issues.isEmpty ? passMessage() : (failures + warnings).joined(separator: "; ")
        return VariableFinding(name: name, status: status, message: message, shown: shown)
    }
}

extension StringProtocol {
    /// Whether the text holds a space, tab or line break anywhere: in a key or URL, a copy-paste error.
    var containsWhitespace: Bool { contains { $0.isWhitespace } }

    /// The text when it is short and plain enough to quote in a message (a scheme, a parameter name).
    var quotable: String? {
        guard !isEmpty, count <= 24,
            allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+.-_".contains($0)) })
        else { return nil }
        return String(self)
    }
}
