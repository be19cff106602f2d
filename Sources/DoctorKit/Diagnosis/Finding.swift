import Foundation

/// One distinct problem a run found: a step result that did not pass, once, however many runbooks
/// share the step, with the runbooks it belongs to and what it explains or is explained by.
public struct Finding: Sendable, Equatable, Encodable {
    /// Where a finding was seen: one runbook's step.
    public struct StepRef: Sendable, Equatable, Hashable, Encodable {
        /// The runbook id.
        public var runbook: String
        /// The step id within it.
        public var step: String

        /// `runbook/step`.
        public var path: String { "\(runbook)/\(step)" }
    }

    /// The finding's id: its step's id, or `runbook/step` when two findings share a step id.
    public var id: String
    /// The status of its step.
    public var status: Status
    /// The step's title.
    public var title: String
    /// What was found, in one line.
    public var summary: String
    /// Every runbook step that reported it.
    public var steps: [StepRef]
    /// The finding that explains this one (its likely cause), if any.
    public var explainedBy: String?
    /// The findings this one explains.
    public var explains: [String] = []
    /// A change since the last good run in this finding's area: its likely cause when nothing in
    /// the run explains it.
    public var likelyChange: String?
    /// The next action, in the guide's words.
    public var hint: String?
    /// The check kind that found it.
    public var kind: String
    /// The structured facts behind the summary.
    public var evidence: Evidence
    /// Where in the chain of causes it sits.
    public var layer: Layer

    enum CodingKeys: String, CodingKey {
        case id, status, title, summary, steps, hint, explains
        case explainedBy = "explained_by"
        case likelyChange = "likely_change"
    }

    /// Encodes the stable fields; `explained_by` and `hint` are null when absent, never missing.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(status, forKey: .status)
        try container.encode(title, forKey: .title)
        try container.encode(summary, forKey: .summary)
        try container.encode(steps, forKey: .steps)
        try container.encode(explainedBy, forKey: .explainedBy)
        try container.encode(explains, forKey: .explains)
        try container.encode(hint, forKey: .hint)
        try container.encodeIfPresent(likelyChange, forKey: .likelyChange)
    }

    /// The runbook ids that share it, in run order.
    public var runbooks: [String] { steps.map(\.runbook) }

    /// What makes two step results the same finding: the same step and check with the same outcome.
    ///
    /// A step shared by several runbooks runs once per run (one fingerprint, one outcome), so its
    /// copies differ only in runbook; two different steps that happen to read alike ("cancelled",
    /// "API_URL is not set") stay apart by their ids.
    public static func identity(of result: StepResult) -> String {
        "\(result.id)\u{1F}\(result.kind)\u{1F}\(result.status.rawValue)\u{1F}\(result.summary)\u{1F}"
            + result.evidence.entries.map { "\($0.key)=\($0.value.text)" }.joined(separator: "\u{1E}")
    }
}

extension Finding {
    /// Where a finding sits in the chain from cause to symptom; a lower layer can explain a higher one.
    public enum Layer: Int, Sendable, Comparable {
        /// Render cannot deploy the service.
        case deploy = 0
        /// The service does not answer, or Render has it suspended.
        case service
        /// The database does not answer.
        case database
        /// A variable, key, secret or endpoint is wrong.
        case configuration
        /// What follows from a cause: latency, undelivered events, missing rows, error logs.
        case symptom

        /// The layer a check kind reports at, given its result.
        public static func of(_ result: StepResult) -> Layer {
            switch result.kind {
            case "render-deploys": return .deploy
            case "render-service": return .service
            // The service's host clock: what it breaks is signature checks, not the service's answers.
            case "clock-skew": return .service
            case "http" where Self.isHealthCheck(result): return .service
            case "postgres-ping": return .database
            // A failed migrate deploy: the schema the service expects is not there.
            case "prisma-migrations": return .database
            case "env", "render-env", "render-alerts", "webhook-secret", "stripe-endpoint", "stripe-api", "redis-ping",
                 "prisma-accelerate", "postgres-schema":
                return .configuration
            default: return .symptom
            }
        }

        /// A request to the service's health route.
        static func isHealthCheck(_ result: StepResult) -> Bool {
            result.evidence["url"]?.text.hasSuffix("/api/health") ?? false
        }

        /// Deeper layers (causes) order first.
        public static func < (lhs: Layer, rhs: Layer) -> Bool { lhs.rawValue < rhs.rawValue }
    }
}
