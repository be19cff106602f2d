/// A YAML value of a runbook with the place each part came from, so any later check can point at it.
public indirect enum RunbookValue: Sendable {
    /// A scalar, kept as written (YAML 1.1 would read `on` as a boolean; the reader decides).
    case scalar(String, SourceLocation, quoted: Bool)
    /// A sequence of values.
    case sequence([RunbookValue], SourceLocation)
    /// A mapping, in file order.
    case mapping([(key: String, keyLocation: SourceLocation, value: RunbookValue)], SourceLocation)

    /// Where the value starts.
    public var location: SourceLocation {
        switch self {
        case let .scalar(_, location, _), let .sequence(_, location), let .mapping(_, location): location
        }
    }

    /// The value as JSON, for reports (scalars that look numeric or boolean become numbers or booleans).
    public var json: JSONValue {
        switch self {
        case let .scalar(text, _, quoted):
            if quoted { return .string(text) }
            if let i = Int(text) { return .int(i) }
            if let d = Double(text), text.contains(".") { return .double(d) }
            if text == "true" { return .bool(true) }
            if text == "false" { return .bool(false) }
            if text == "~" || text == "null" { return .null }
            return .string(text)
        case let .sequence(items, _): return .array(items.map(\.json))
        case let .mapping(members, _): return .object(members.map { ($0.key, $0.value.json) })
        }
    }

    /// A short name of the value's YAML type, for messages.
    var typeName: String {
        switch self {
        case .scalar: "a scalar"
        case .sequence: "a list"
        case .mapping: "a mapping"
        }
    }
}
