/// Check kind `env`: the service's configuration variables are set and well formed.
///
/// Parameters: `required`, `recommended` and `optional`, each a list of variable names. A missing
/// required variable makes the step unknown (docs/architecture.md, "Configuration": the run could not be evaluated), a
/// missing recommended one a warning, a missing optional one only a mention. It does no I/O.
public struct EnvCheck: CheckKind {
    /// The name runbooks use.
    public static let name = "env"

    /// How much a variable matters when it is missing.
    enum Need: String, Sendable {
        case required, recommended, optional
    }

    /// Builds the check; variable names are validated here, so a typo is a lint error with its location.
    public static func make(_ parameters: ParameterReader, step: StepSettings) throws(RunbookError) -> any Check {
        try step.rejectThresholds(kind: name)
        var variables: [(name: String, need: Need)] = []
        for need in [Need.required, .recommended, .optional] {
            for (variable, location) in try names(parameters, need.rawValue) {
                if let earlier = variables.first(where: { $0.name == variable }) {
                    throw RunbookError(location, "\(variable) is already listed in `\(earlier.need.rawValue)`")
                }
                variables.append((variable, need))
            }
        }
        try parameters.finish(kind: name)
        guard !variables.isEmpty else {
            throw RunbookError(parameters.location, "check `env` needs variables in `required`, `recommended` or `optional`")
        }
        return EnvVariablesCheck(variables: variables, timeout: step.timeout ?? .seconds(1))
    }

    /// The names listed under `key`, each with its location, validated as variable names.
    private static func names(_ parameters: ParameterReader, _ key: String) throws(RunbookError) -> [(String, SourceLocation)] {
        guard let value = parameters.value(key) else { return [] }
        let items: [RunbookValue]
        switch value {
        case .scalar: items = [value]
        case let .sequence(list, _): items = list
        case .mapping: throw RunbookError(value.location, "`\(key)` must be a list of variable names, found a mapping")
        }
        return try items.map { item throws(RunbookError) in
            guard case let .scalar(text, location, _) = item, isVariableName(text) else {
                throw RunbookError(
                    item.location, "`\(key)` items must be variable names such as API_URL (capitals, digits and _)")
            }
            return (text, location)
        }
    }

    /// `^[A-Z][A-Z0-9_]*$`.
    static func isVariableName(_ text: String) -> Bool {
        guard let first = text.first, first.isASCII, first.isUppercase else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isUppercase || $0.isNumber || $0 == "_") }
    }
}

/// The `env` check built from a step.
struct EnvVariablesCheck: ProofAwareCheck {
    let variables: [(name: String, need: EnvCheck.Need)]
    let timeout: Duration

    /// What to do about a missing variable, in the guide's words where it has some.
    static let advice: [String: String] = [
        "API_URL": "Set API_URL to the service's public base URL, e.g. https://NAME.onrender.com",
        "STRIPE_SECRET_KEY": "Set STRIPE_SECRET_KEY to the secret key from the Stripe dashboard (Developers → API keys)",
        "STRIPE_WEBHOOK_SECRET":
            "Copy the endpoint's signing secret (whsec_…) from the Stripe dashboard (Developers → Webhooks) into STRIPE_WEBHOOK_SECRET",
        "DATABASE_URL": "Set DATABASE_URL to the service's PostgreSQL connection string",
        "DIRECT_URL": "Set DIRECT_URL to the direct postgresql:// connection string of the database",
        "SENTRY_DSN": "errors are not reported to Sentry: copy the DSN from Sentry (Project Settings → Client Keys) into SENTRY_DSN",
        "REDIS_URL": "the guide recommends Redis for caching (REDIS_URL): it reduces database queries by ~40%",
        "RENDER_API_KEY": "Create an API key in Render (Account Settings → API Keys) and set RENDER_API_KEY",
        "RENDER_SERVICE_ID": "Set RENDER_SERVICE_ID to the service's id (srv-…, in its dashboard URL)",
    ]

    func run(in context: CheckContext) async -> CheckOutcome {
        evaluate(context.configuration, proofs: [:])
    }

    func revised(_ outcome: CheckOutcome, proofs: [String: String], in configuration: Configuration) -> CheckOutcome? {
        let again = evaluate(configuration, proofs: proofs)
        return again.status == outcome.status && again.summary == outcome.summary ? nil : again
    }

    /// The verdict on every listed variable; `proofs` names, for each variable another step of the
    /// run showed to work, that step: its shape findings then count for less (issue 10's rule: a
    /// live step that proves a value works outranks a guess from its shape).
    func evaluate(_ configuration: Configuration, proofs: [String: String]) -> CheckOutcome {
        var evidence = Evidence()
        var moot: [String] = []
        var failed: [VariableFinding] = []
        var warned: [String] = []
        var missingRequired: [String] = []
        var missingOthers: [String] = []
        var valid = 0
        var requiredHints: [String] = []
        var recommendedHints: [String] = []

        var listed = variables
        let names = Set(variables.map(\.name))
        // A service with a Stripe key but no webhook secret cannot verify a single delivery.
        let webhookSecretNeeded = names.contains("STRIPE_SECRET_KEY")
            && configuration.value("STRIPE_SECRET_KEY") != nil
            && configuration.value("STRIPE_WEBHOOK_SECRET") == nil
        if webhookSecretNeeded {
            if let index = listed.firstIndex(where: { $0.name == "STRIPE_WEBHOOK_SECRET" }) {
                listed[index].need = .required
            } else {
                listed.append(("STRIPE_WEBHOOK_SECRET", .required))
            }
        }

        for (name, need) in listed {
            let origin = configuration.origin(name)?.description
            guard let value = configuration.value(name) else {
                let advice = Self.advice[name]
                var entry: [(String, JSONValue)] = [("status", .string("missing")), ("need", .string(need.rawValue))]
                switch need {
                case .required:
                    missingRequired.append(name)
                    let reason = webhookSecretNeeded && name == "STRIPE_WEBHOOK_SECRET"
                        ? " (STRIPE_SECRET_KEY is set, so webhooks must be verified)" : ""
                    entry.append(("message", .string("\(name) is not set\(reason)")))
                    if let advice { requiredHints.append(advice) }
                case .recommended:
                    let reason = advice.map { "\(name) is not set: \($0)" } ?? "\(name) is not set"
                    warned.append(reason)
                    entry.append(("message", .string(reason)))
                    if let advice { recommendedHints.append(advice) }
                case .optional:
                    missingOthers.append(name)
                    entry.append(("message", .string(advice.map { "not set: \($0)" } ?? "not set")))
                }
                evidence[name] = .object(entry)
                continue
            }
            var finding = VariableValidators.validate(name, value, in: configuration)
            let prover = finding.status == .pass ? nil : proofs[name]
            if let prover {
                // Demoted one level, never dropped silently: the evidence keeps what the shape said.
                let was = finding.status
                finding.status = was == .fail ? .warn : .pass
                finding.message = was == .fail
                    ? "\(finding.message), yet \(prover) showed it works"
                    : "\(finding.message); but \(prover) showed it works"
                if finding.status == .pass { moot.append("\(name) looks unusual but \(prover) showed it works") }
            }
            var entry: [(String, JSONValue)] = [("status", .string(finding.status.rawValue))]
            if let shown = finding.shown { entry.append(("shown", .string(shown))) }
            entry.append(("message", .string(finding.message)))
            if let prover { entry.append(("proven_by", .string(prover))) }
            if let origin { entry.append(("origin", .string(origin))) }
            evidence[name] = .object(entry)
            switch finding.status {
            case .fail: failed.append(finding)
            case .warn: warned.append("\(name): \(finding.message)")
            case .pass: valid += 1
            }
        }

        if let key = configuration.value("STRIPE_SECRET_KEY"), names.contains("STRIPE_SECRET_KEY"),
            StripeKeyValidator.isLive(key), let api = configuration.value("API_URL"),
            let parts = URLParts.split(api), parts.scheme.lowercased() == "http",
            !URLParts.isLocal(parts.hostAndPort.host)
        {
            let message = "a live Stripe key with a plain http:// API_URL: Stripe delivers live webhooks only over HTTPS"
            warned.append(message)
            evidence["cross_check"] = .string(message)
        }

        let notSet = missingOthers.isEmpty ? "" : "; " + Self.list(missingOthers) + " not set"
        if !failed.isEmpty {
            var parts = failed.map { "\($0.name) invalid: \($0.message)" }
            if !missingRequired.isEmpty { parts.append(Self.notSetSentence(missingRequired)) }
            let hint = failed.count == 1 && missingRequired.isEmpty
                ? "Fix \(failed[0].name)\(configuration.origin(failed[0].name).map { " in \($0)" } ?? ""): \(failed[0].message)"
                : nil
            return CheckOutcome(.fail, parts.joined(separator: "; "), evidence: evidence, hint: hint)
        }
        if !missingRequired.isEmpty {
            let hint = missingRequired.count == 1 ? requiredHints.first : nil
            return CheckOutcome(.unknown, Self.notSetSentence(missingRequired), evidence: evidence, hint: hint)
        }
        if !warned.isEmpty {
            let hint = warned.count == 1 ? recommendedHints.first : nil
            return CheckOutcome(.warn, warned.joined(separator: "; "), evidence: evidence, hint: hint)
        }
        let noun = valid == 1 ? "variable" : "variables"
        let optionalHint = missingOthers.compactMap { Self.advice[$0] }.first { $0.contains("REDIS_URL") }
        let notes = moot.isEmpty ? "" : " (" + moot.joined(separator: "; ") + ")"
        return CheckOutcome(.pass, "\(valid) \(noun) valid\(notSet)\(notes)", evidence: evidence, hint: optionalHint)
    }

    /// "A is not set" / "A and B are not set" / "A, B and C are not set".
    static func notSetSentence(_ names: [String]) -> String {
        list(names) + (names.count == 1 ? " is not set" : " are not set")
    }

    static func list(_ names: [String]) -> String {
        names.count <= 1 ? names.joined() : names.dropLast().joined(separator: ", ") + " and " + names.last!
    }
}
