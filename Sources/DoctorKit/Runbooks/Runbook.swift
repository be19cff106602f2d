import Foundation

/// Which support summary a runbook's findings feed.
public enum Escalation: String, Sendable, Codable, CaseIterable {
    case stripe, render
}

/// A validated runbook: a symptom and the steps that diagnose it.
public struct Runbook: Sendable {
    /// The format version; only 1 exists.
    public var version: Int
    /// The runbook's id, equal to its file's base name.
    public var id: String
    /// A short title.
    public var title: String
    /// The symptom the runbook is for, in the words an on-call engineer would use.
    public var symptom: String
    /// The support summary the runbook feeds, if any.
    public var escalation: Escalation?
    /// The section of the operations guide the runbook covers, e.g. "Webhooks Not Arriving".
    public var guide: String?
    /// The steps, in file order.
    public var steps: [Step]
    /// The path the runbook was loaded from.
    public var file: String
    /// Where the runbook's `id` is written, for errors found after loading (e.g. a clash between files).
    public var idLocation: SourceLocation

    /// A runbook with the given parts.
    public init(
        version: Int = 1, id: String, title: String, symptom: String, escalation: Escalation? = nil,
        guide: String? = nil, steps: [Step], file: String, idLocation: SourceLocation? = nil
    ) {
        self.version = version
        self.id = id
        self.title = title
        self.symptom = symptom
        self.escalation = escalation
        self.guide = guide
        self.steps = steps
        self.file = file
        self.idLocation = idLocation ?? SourceLocation(file: file, line: 1, column: 1)
    }

    /// The step with the given id.
    public func step(_ id: String) -> Step? {
        steps.first { $0.id == id }
    }
}

extension Runbook: Encodable {
    enum CodingKeys: String, CodingKey {
        case version, id, title, symptom, escalation, guide, steps, file
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(version, forKey: .version)
        try container.encode(id, forKey: .id)
        try container.encode(title, forKey: .title)
        try container.encode(symptom, forKey: .symptom)
        try container.encodeIfPresent(escalation, forKey: .escalation)
        try container.encodeIfPresent(guide, forKey: .guide)
        try container.encode(steps, forKey: .steps)
        try container.encode(file, forKey: .file)
    }
}

/// One step of a runbook: a check built from its kind and parameters, with what to do when it does not pass.
public struct Step: Sendable {
    /// The step id, unique within its runbook.
    public var id: String
    /// A short title.
    public var title: String
    /// The check kind's name (the `check:` value).
    public var kind: String
    /// The check, built and validated by its kind.
    public var check: any Check
    /// Ids of the steps that must pass before this one runs.
    public var needs: [String]
    /// What to do when the step does not pass.
    public var hint: String?
    /// The guide's own words of advice for this step, shown by the REPL's `why`.
    public var guide: String?
    /// The `with:` mapping as JSON.
    public var parameters: JSONValue
    /// The `thresholds:` mapping (`warn`, `fail`) as JSON, when the step has one.
    public var thresholds: JSONValue?
    /// How long the step may take (the check's timeout).
    public var timeout: Duration
    /// Where the step starts in its file.
    public var location: SourceLocation
    /// Identifies the same step across runbooks, so a session runs it once.
    public var fingerprint: String

    /// A step with the given parts; the timeout is the check's and the fingerprint is derived.
    public init(
        id: String, title: String, kind: String, check: any Check, needs: [String] = [], hint: String? = nil,
        guide: String? = nil, parameters: JSONValue = .object([]), thresholds: JSONValue? = nil,
        location: SourceLocation
    ) {
        self.id = id
        self.title = title
        self.kind = kind
        self.check = check
        self.needs = needs
        self.hint = hint
        self.guide = guide
        self.parameters = parameters
        self.thresholds = thresholds
        self.timeout = check.timeout
        self.location = location
        self.fingerprint = Step.fingerprint(
            kind: kind, parameters: parameters, thresholds: thresholds, timeout: check.timeout)
    }

    /// What makes two steps the same diagnostic: kind, parameters, thresholds and timeout, not the wording.
    public static func fingerprint(
        kind: String, parameters: JSONValue, thresholds: JSONValue?, timeout: Duration
    ) -> String {
        "\(kind) \(parameters.canonical) \(thresholds?.canonical ?? "null") \(timeout.milliseconds)ms"
    }
}

extension Step: Encodable {
    enum CodingKeys: String, CodingKey {
        case id, title, kind, needs, hint, guide, parameters, thresholds, line
        case timeoutMs = "timeout_ms"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(title, forKey: .title)
        try container.encode(kind, forKey: .kind)
        try container.encode(needs, forKey: .needs)
        try container.encodeIfPresent(hint, forKey: .hint)
        try container.encodeIfPresent(guide, forKey: .guide)
        try container.encode(parameters, forKey: .parameters)
        try container.encodeIfPresent(thresholds, forKey: .thresholds)
        try container.encode(Int(timeout.milliseconds), forKey: .timeoutMs)
        try container.encode(location.line, forKey: .line)
    }
}

extension JSONValue {
    /// Compact JSON with object keys sorted at every level, so equal values have equal text.
    var canonical: String {
        switch self {
        case .null: return "null"
        case let .bool(b): return b ? "true" : "false"
        case let .int(i): return String(i)
        case let .double(d): return d.isFinite ? String(d) : "0"
        case let .string(s): return Self.quoted(s)
        case let .array(items): return "[" + items.map(\.canonical).joined(separator: ",") + "]"
        case let .object(members):
            let sorted = members.sorted { $0.0 < $1.0 }
            return "{" + sorted.map { Self.quoted($0.0) + ":" + $0.1.canonical }.joined(separator: ",") + "}"
        }
    }

    private static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
