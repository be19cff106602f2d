/// Reads a step's `with:` mapping during loading, with typed accessors whose errors point at the value.
///
/// Every key read is remembered; `finish()` rejects the keys no accessor asked for, so a typo such as
/// `expect_stauts` is an error instead of a silently ignored setting.
public final class ParameterReader {
    private let members: [(key: String, keyLocation: SourceLocation, value: RunbookValue)]
    private var used: Set<String> = []
    /// Where the `with:` mapping starts (or the step, when it has none).
    public let location: SourceLocation

    /// A reader over `value`, which must be a mapping or absent.
    public init(_ value: RunbookValue?, at location: SourceLocation) throws(RunbookError) {
        self.location = value?.location ?? location
        switch value {
        case nil: members = []
        case let .mapping(members, _)?: self.members = members
        case let other?: throw RunbookError(other.location, "`with` must be a mapping, found \(other.typeName)")
        }
    }

    /// The raw value of `key`, if present.
    public func value(_ key: String) -> RunbookValue? {
        used.insert(key)
        return members.first { $0.key == key }?.value
    }

    /// A required scalar string.
    public func string(_ key: String) throws(RunbookError) -> String {
        guard let value = try optionalString(key) else {
            throw RunbookError(location, "missing parameter `\(key)`")
        }
        return value
    }

    /// An optional scalar string.
    public func optionalString(_ key: String) throws(RunbookError) -> String? {
        guard let value = value(key) else { return nil }
        guard case let .scalar(text, _, _) = value else {
            throw RunbookError(value.location, "`\(key)` must be a scalar, found \(value.typeName)")
        }
        return text
    }

    /// An optional list of strings; a single scalar counts as a list of one.
    public func stringList(_ key: String) throws(RunbookError) -> [String]? {
        guard let value = value(key) else { return nil }
        switch value {
        case let .scalar(text, _, _): return [text]
        case let .sequence(items, _):
            var result: [String] = []
            for item in items {
                guard case let .scalar(text, _, _) = item else {
                    throw RunbookError(item.location, "`\(key)` items must be scalars, found \(item.typeName)")
                }
                result.append(text)
            }
            return result
        case .mapping:
            throw RunbookError(value.location, "`\(key)` must be a list, found a mapping")
        }
    }

    /// An optional integer within `range`.
    public func int(_ key: String, in range: ClosedRange<Int>) throws(RunbookError) -> Int? {
        guard let text = try optionalString(key) else { return nil }
        guard let number = Int(text), range.contains(number) else {
            throw RunbookError(
                value(key)!.location,
                "`\(key)` must be an integer from \(range.lowerBound) to \(range.upperBound), found \"\(text)\"")
        }
        return number
    }

    /// An optional boolean (`true` or `false` only: YAML 1.1's `yes`/`on` are rejected as ambiguous).
    public func bool(_ key: String) throws(RunbookError) -> Bool? {
        guard let text = try optionalString(key) else { return nil }
        switch text {
        case "true": return true
        case "false": return false
        default: throw RunbookError(value(key)!.location, "`\(key)` must be true or false, found \"\(text)\"")
        }
    }

    /// An optional duration such as `500ms` or `10s`.
    public func duration(_ key: String) throws(RunbookError) -> Duration? {
        guard let text = try optionalString(key) else { return nil }
        guard let duration = Duration(parsing: text) else {
            throw RunbookError(value(key)!.location, "`\(key)` must be a duration such as 500ms or 10s, found \"\(text)\"")
        }
        return duration
    }

    /// An optional mapping of string keys to string values (e.g. HTTP headers).
    public func stringMap(_ key: String) throws(RunbookError) -> [(String, String)]? {
        guard let value = value(key) else { return nil }
        guard case let .mapping(members, _) = value else {
            throw RunbookError(value.location, "`\(key)` must be a mapping, found \(value.typeName)")
        }
        var result: [(String, String)] = []
        for member in members {
            guard case let .scalar(text, _, _) = member.value else {
                throw RunbookError(member.value.location, "`\(key).\(member.key)` must be a scalar")
            }
            result.append((member.key, text))
        }
        return result
    }

    /// Rejects every key that no accessor read.
    public func finish(kind: String) throws(RunbookError) {
        for member in members where !used.contains(member.key) {
            let known = used.sorted().joined(separator: ", ")
            throw RunbookError(
                member.keyLocation, "unknown parameter `\(member.key)` for check `\(kind)` (known: \(known))")
        }
    }

    /// The whole mapping as JSON, for reports and for recognising the same step in several runbooks.
    public var json: JSONValue { .object(members.map { ($0.key, $0.value.json) }) }
}
