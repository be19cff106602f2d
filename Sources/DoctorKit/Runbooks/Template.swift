/// A string with `${VAR}` references, validated when the runbook loads and expanded when a step runs.
///
/// Secret variables can never be expanded: a runbook from an untrusted folder must not be able to
/// put a key into a URL or header that goes to a host of its choosing.
public struct Template: Sendable, Equatable {
    /// The text as written.
    public let text: String
    /// The variables it names, in order of appearance.
    public let variables: [String]
    /// Where the runbook writes it: a value that expands to something unusable at run time is
    /// traced back to its line.
    public let location: SourceLocation

    /// Parses `text`; errors point at `location`.
    public init(_ text: String, at location: SourceLocation) throws(RunbookError) {
        self.text = text
        self.location = location
        var names: [String] = []
        var rest = Substring(text)
        while let open = rest.range(of: "${") {
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                throw RunbookError(location, "unterminated ${ in \"\(text)\"")
            }
            let name = String(rest[open.upperBound..<close])
            guard Self.isVariableName(name) else {
                throw RunbookError(location, "\"${\(name)}\" is not a variable name (use ${API_URL})")
            }
            guard !Configuration.isSecret(name) else {
                throw RunbookError(location, "${\(name)} is a secret and cannot be expanded into a request; the clients add credentials themselves")
            }
            names.append(name)
            rest = rest[rest.index(after: close)...]
        }
        variables = names
    }

    static func isVariableName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.properties.isUppercase || first == "_" else { return false }
        return name.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    /// The text with every variable replaced, or the names of the variables that are not set.
    public func expand(_ configuration: Configuration) -> Result<String, MissingVariables> {
        let missing = variables.filter { configuration.value($0) == nil }
        guard missing.isEmpty else { return .failure(MissingVariables(names: missing)) }
        var result = text
        for name in Set(variables) {
            var value = configuration.value(name)!
            // A base URL written with a trailing slash must not double the slash of the path after it.
            if result.contains("${\(name)}/"), value.hasSuffix("/") { value.removeLast() }
            result = result.replacingOccurrences(of: "${\(name)}", with: value)
        }
        return .success(result)
    }
}

/// Variables a template needs that are not set.
public struct MissingVariables: Error, Sendable, Equatable {
    /// Their names.
    public let names: [String]

    /// "API_URL is not set" or "A and B are not set".
    public var message: String {
        names.count == 1 ? "\(names[0]) is not set" : "\(names.joined(separator: " and ")) are not set"
    }
}

import Foundation
