/// A small JSON path (`$.a.b[0].c`) for runbook expectations on response bodies.
public struct JSONPath: Sendable, Equatable, CustomStringConvertible {
    enum Component: Sendable, Equatable {
        case key(String)
        case index(Int)
    }

    let components: [Component]
    /// The path as written.
    public let description: String

    /// Parses `$.key`, `$.key[2].other`, `$["odd key"]`; nil when it is not such a path.
    public init?(_ text: String) {
        guard text.hasPrefix("$") else { return nil }
        description = text
        var parts: [Component] = []
        var rest = Substring(text.dropFirst())
        while !rest.isEmpty {
            if rest.hasPrefix(".") {
                rest = rest.dropFirst()
                let key = rest.prefix { $0 != "." && $0 != "[" }
                guard !key.isEmpty else { return nil }
                parts.append(.key(String(key)))
                rest = rest.dropFirst(key.count)
            } else if rest.hasPrefix("[") {
                guard let close = rest.firstIndex(of: "]") else { return nil }
                let inner = rest[rest.index(after: rest.startIndex)..<close]
                if let index = Int(inner), index >= 0 {
                    parts.append(.index(index))
                } else if inner.count >= 2, let quote = inner.first, quote == "\"" || quote == "'", inner.last == quote {
                    parts.append(.key(String(inner.dropFirst().dropLast())))
                } else {
                    return nil
                }
                rest = rest[rest.index(after: close)...]
            } else {
                return nil
            }
        }
        components = parts
    }

    /// The value at this path in `value`, or nil when the path leads nowhere.
    public func evaluate(_ value: JSONValue) -> JSONValue? {
        var current = value
        for component in components {
            switch (component, current) {
            case let (.key(key), .object):
                guard let next = current[key] else { return nil }
                current = next
            case let (.index(index), .array(items)):
                guard items.indices.contains(index) else { return nil }
                current = items[index]
            default:
                return nil
            }
        }
        return current
    }
}
