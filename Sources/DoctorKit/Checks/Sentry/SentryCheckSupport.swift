import Foundation

/// What the Sentry check kinds share: the client, organization and project from the configuration
/// (or a skip saying what to set), the evidence every Sentry step carries, and failed calls in
/// plain words.
enum SentryCheckSupport {
    /// What to set to unlock the Sentry steps.
    static let setupHint = "Set SENTRY_AUTH_TOKEN (Sentry → Settings → Auth Tokens; an organization token or a user token with project:read and event:read), SENTRY_ORG and SENTRY_PROJECT (the slugs in the project's dashboard URL) so the doctor can read the project's error counts and issues."

    /// The default timeout of a Sentry step: three small requests and one 429 wait.
    static let defaultTimeout = Duration.seconds(20)

    /// Which project to read, and where each part came from.
    struct Target: Sendable {
        let client: SentryClient
        let organization: String
        let project: String
        /// How the organization and project were found, for the evidence.
        let source: String
    }

    /// The client and project, or the outcome to return when something is missing.
    static func target(_ context: CheckContext) -> Result<Target, StepStop> {
        let configuration = context.configuration
        let dsn = dsnFinding(configuration)
        guard configuration.value("SENTRY_AUTH_TOKEN") != nil else {
            var evidence = Evidence()
            evidence["sentry_dsn"] = .string(dsn)
            return .failure(StepStop(CheckOutcome(
                .skip, "skipped: SENTRY_AUTH_TOKEN is not set, so Sentry's error counts cannot be read; \(dsn)",
                evidence: evidence, hint: setupHint)))
        }
        let client: SentryClient
        do {
            client = try SentryClient(configuration: configuration, http: context.http)
        } catch {
            return .failure(StepStop(outcome(for: error, evidence: Evidence())))
        }
        // Sentry's paths take an id as well as a slug, and a SaaS DSN names both ids
        // (`https://KEY@o1234.ingest.sentry.io/5678`): a fallback, said so in the evidence.
        let ids = dsnIDs(configuration.value("SENTRY_DSN"))
        let organization = configuration.value("SENTRY_ORG")?.trimmingCharacters(in: .whitespaces) ?? ids.organization
        let project = configuration.value("SENTRY_PROJECT")?.trimmingCharacters(in: .whitespaces) ?? ids.project
        guard let organization, let project else {
            let missing = [organization == nil ? "SENTRY_ORG" : nil, project == nil ? "SENTRY_PROJECT" : nil].compactMap { $0 }
            return .failure(StepStop(CheckOutcome(
                .skip, "skipped: \(missing.joined(separator: " and ")) \(missing.count == 1 ? "is" : "are") not set, so the doctor does not know which Sentry project to read",
                hint: setupHint)))
        }
        var sources: [String] = []
        if configuration.value("SENTRY_ORG") == nil { sources.append("organization id from SENTRY_DSN's host") }
        if configuration.value("SENTRY_PROJECT") == nil { sources.append("project id from SENTRY_DSN's path") }
        return .success(Target(client: client, organization: organization, project: project,
                               source: sources.isEmpty ? "SENTRY_ORG and SENTRY_PROJECT" : sources.joined(separator: ", ")))
    }

    /// What the `env` step says about `SENTRY_DSN`, in one clause (never the key).
    static func dsnFinding(_ configuration: Configuration) -> String {
        guard let value = configuration.value("SENTRY_DSN") else {
            return "SENTRY_DSN is not set either: errors are not reported to Sentry"
        }
        let finding = VariableValidators.validate("SENTRY_DSN", value, in: configuration)
        switch finding.status {
        case .pass: return "SENTRY_DSN is well formed (\(finding.message))"
        case .warn: return "SENTRY_DSN: \(finding.message)"
        case .fail: return "SENTRY_DSN is invalid: \(finding.message)"
        }
    }

    /// The organization id (`o1234.` in the host) and project id (the path's last segment) of a DSN.
    static func dsnIDs(_ dsn: String?) -> (organization: String?, project: String?) {
        guard let dsn, let parts = URLParts.split(dsn.trimmingWhitespace) else { return (nil, nil) }
        let organization = SentryDSNValidator.organization(parts.hostAndPort.host).map(String.init)
        let last = parts.path.split(separator: "/").last.map(String.init)
        let project = last.flatMap { $0.allSatisfy({ $0.isASCII && $0.isNumber }) ? $0 : nil }
        return (organization, project)
    }

    /// The path of a project endpoint: `/projects/{org}/{project}/{endpoint}/`, each part one segment.
    static func projectPath(_ target: Target, _ endpoint: String) -> String {
        "/projects/\(RenderServiceCheck.Probe.pathComponent(target.organization))/\(RenderServiceCheck.Probe.pathComponent(target.project))/\(endpoint)/"
    }

    /// Evidence every Sentry step carries: which project, which token (its prefix at most), which base.
    static func evidence(_ target: Target) -> Evidence {
        var evidence = Evidence()
        evidence["organization"] = .string(target.organization)
        evidence["project"] = .string(target.project)
        if target.source != "SENTRY_ORG and SENTRY_PROJECT" { evidence["project_from"] = .string(target.source) }
        evidence["token"] = .string(target.client.tokenDisplay)
        if target.client.base != SentryClient.defaultBase {
            evidence["api_base"] = .string(target.client.base)
            evidence["api_base_from"] = .string(target.client.baseSource)
        }
        return evidence
    }

    /// The outcome of a Sentry call that failed. Every one is `unknown`: Sentry is the doctor's
    /// window on the service's errors, so its failures say what the doctor could not see.
    static func outcome(for error: SentryAPIError, evidence: Evidence) -> CheckOutcome {
        var evidence = evidence
        if let status = error.status { evidence["http_status"] = .int(status) }
        let summary = error.localizedDescription
        switch error {
        case .missingToken:
            return CheckOutcome(.skip, "skipped: \(summary)", evidence: evidence, hint: setupHint)
        case .invalidBase:
            return CheckOutcome(.unknown, summary, evidence: evidence,
                                hint: "Unset SENTRY_API_BASE, or set it to an absolute URL such as https://sentry.io/api/0 (or your self-hosted Sentry's /api/0).")
        case let .transport(httpError, _):
            if httpError == .cancelled { return CheckOutcome(.unknown, "cancelled", evidence: evidence) }
            return CheckOutcome(.unknown, summary, evidence: evidence,
                                hint: "Check outbound access to sentry.io from here and status.sentry.io.")
        case let .api(status, _, retryAfter):
            if let retryAfter { evidence["retry_after"] = .string(retryAfter) }
            let hint = switch status {
            case 401: "The token is wrong, expired or revoked: create one in Sentry → Settings → Auth Tokens and set SENTRY_AUTH_TOKEN."
            case 403: "The token lacks the project:read or event:read scope, or its owner is not in the project's team: use an organization token or add the scopes."
            case 404: "Check SENTRY_ORG and SENTRY_PROJECT: they are the slugs in the project's URL (sentry.io/organizations/ORG/projects/PROJECT/), and the token must belong to that organization. An organization in the EU is served by https://de.sentry.io/api/0: a DSN on ingest.de.sentry.io chooses it, otherwise set SENTRY_API_BASE."
            case 429: "Sentry's API rate limit for this token is used up (other tools share it): run the doctor again in a minute."
            default: "Sentry's API is failing: check status.sentry.io."
            }
            return CheckOutcome(.unknown, summary, evidence: evidence, hint: hint)
        case .invalidResponse:
            return CheckOutcome(.unknown, summary, evidence: evidence,
                                hint: "The answer is not Sentry's: if SENTRY_API_BASE is set, it points at something else; otherwise a proxy answered in Sentry's place.")
        }
    }
}
