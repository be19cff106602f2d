/// Structured key/values a step gathered, in the order it gathered them.
public struct Evidence: Sendable, Equatable, Encodable {
    /// The entries, in insertion order.
    public private(set) var entries: [(key: String, value: JSONValue)] = []

    /// An empty evidence record.
    public init() {}

    /// Sets `key`, replacing an earlier value of the same key in place.
    public subscript(key: String) -> JSONValue? {
        get { entries.first { $0.key == key }?.value }
        set {
            if let index = entries.firstIndex(where: { $0.key == key }) {
                if let newValue { entries[index].value = newValue } else { entries.remove(at: index) }
            } else if let newValue {
                entries.append((key, newValue))
            }
        }
    }

    /// Whether no entry was recorded.
    public var isEmpty: Bool { entries.isEmpty }

    /// The evidence as a JSON object.
    public var json: JSONValue { .object(entries.map { ($0.key, $0.value) }) }

    public static func == (lhs: Evidence, rhs: Evidence) -> Bool { lhs.json == rhs.json }

    public func encode(to encoder: any Encoder) throws { try json.encode(to: encoder) }

    /// Returns a copy with every string passed through `transform` (used by redaction).
    public func mapStrings(_ transform: (String) -> String) -> Evidence {
        var copy = Evidence()
        for (key, value) in entries { copy[key] = value.mapStrings(transform) }
        return copy
    }
}

extension JSONValue {
    /// Returns a copy with every object key passed through `transform`.
    public func mappingKeys(_ transform: (String) -> String) -> JSONValue {
        switch self {
        case let .array(a): .array(a.map { $0.mappingKeys(transform) })
        case let .object(o): .object(o.map { (transform($0.0), $0.1.mappingKeys(transform)) })
        default: self
        }
    }

    /// Returns a copy with every string (not keys) passed through `transform`.
    public func mapStrings(_ transform: (String) -> String) -> JSONValue {
        switch self {
        case let .string(s): .string(transform(s))
        case let .array(a): .array(a.map { $0.mapStrings(transform) })
        case let .object(o): .object(o.map { ($0.0, $0.1.mapStrings(transform)) })
        default: self
        }
    }
}
