import Foundation

/// What `doctor runbooks --format json` prints: the runbooks found and their steps, without the
/// checks' parameters (`doctor lint` and the runbook files themselves have those).
///
/// `{"runbooks":[{"id","title","symptom","escalation","file","steps":[{"id","kind","title","needs"}]}]}`;
/// `escalation` is `null` for a runbook that feeds no support summary, so every entry has the same keys.
public struct RunbookListing: Encodable, Sendable {
    /// One runbook of the listing.
    public struct Entry: Encodable, Sendable {
        public var id: String
        public var title: String
        public var symptom: String
        public var escalation: Escalation?
        public var file: String
        public var steps: [StepEntry]

        enum CodingKeys: String, CodingKey {
            case id, title, symptom, escalation, file, steps
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(title, forKey: .title)
            try container.encode(symptom, forKey: .symptom)
            // `encode`, not `encodeIfPresent`: an explicit null rather than a missing key.
            try container.encode(escalation, forKey: .escalation)
            try container.encode(file, forKey: .file)
            try container.encode(steps, forKey: .steps)
        }
    }

    /// One step of a listed runbook.
    public struct StepEntry: Encodable, Sendable {
        public var id: String
        public var kind: String
        public var title: String
        public var needs: [String]
    }

    /// The runbooks, in the order given (the loader's: by file name).
    public var runbooks: [Entry]

    /// The listing of `runbooks`.
    public init(_ runbooks: [Runbook]) {
        self.runbooks = runbooks.map { runbook in
            Entry(id: runbook.id, title: runbook.title, symptom: runbook.symptom, escalation: runbook.escalation,
                  file: runbook.file,
                  steps: runbook.steps.map { StepEntry(id: $0.id, kind: $0.kind, title: $0.title, needs: $0.needs) })
        }
    }

    /// The listing as the doctor's JSON (pretty-printed, keys sorted, as `--check --format json`).
    public var json: String { JSONRenderer.render(encodable: self) }
}
