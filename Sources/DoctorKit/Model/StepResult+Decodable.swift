import Foundation

extension StepResult: Decodable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try container.decode(String.self, forKey: .id),
            kind: try container.decode(String.self, forKey: .kind),
            title: try container.decode(String.self, forKey: .title),
            status: try container.decode(Status.self, forKey: .status),
            durationMs: try container.decode(Int.self, forKey: .durationMs),
            summary: try container.decode(String.self, forKey: .summary),
            hint: try container.decodeIfPresent(String.self, forKey: .hint),
            evidence: try container.decodeIfPresent(Evidence.self, forKey: .evidence) ?? Evidence(),
            startedAt: try container.decode(Date.self, forKey: .startedAt))
        proves = try container.decodeIfPresent([String].self, forKey: .proves)
    }
}

extension Evidence: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        if case let .object(members) = try JSONValue(from: decoder) {
            for (key, value) in members { self[key] = value }
        }
    }
}
