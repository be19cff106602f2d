import Yams

/// Turns YAML text into a `RunbookValue` tree whose every part knows its `file:line:column`.
///
/// Yams composes a `Node` tree with no type rules (`Resolver.basic`), so scalars stay as written:
/// `on`, `no` and `1:30` reach the validators as text, and each validator decides what it accepts.
enum YAMLReader {
    /// Reads the single document of `yaml`; nil when the text holds no document at all.
    static func read(_ yaml: String, file: String) throws(RunbookError) -> RunbookValue? {
        try YAMLGuard.check(yaml, file: file)
        let root: Node?
        do {
            // The default resolver matches every scalar against YAML 1.1's regular expressions
            // (through Foundation's NSRegularExpression) when Yams hashes mapping keys to find
            // duplicates: a quarter of loading the runbooks, for tags nothing here reads.
            root = try Yams.compose(yaml: yaml, .basic)
        } catch let error as YamlError {
            throw runbookError(from: error, yaml: yaml, file: file)
        } catch {
            throw RunbookError(SourceLocation(file: file, line: 1, column: 1), "cannot parse YAML: \(error)")
        }
        guard let root else { return nil }
        return try value(of: root, file: file)
    }

    private static func value(of node: Node, file: String) throws(RunbookError) -> RunbookValue {
        let location = self.location(of: node, file: file)
        switch node {
        case let .scalar(scalar):
            let quoted = scalar.style == .singleQuoted || scalar.style == .doubleQuoted
            return .scalar(scalar.string, location, quoted: quoted)
        case let .sequence(sequence):
            var items: [RunbookValue] = []
            for item in sequence { items.append(try value(of: item, file: file)) }
            return .sequence(items, location)
        case let .mapping(mapping):
            var members: [(key: String, keyLocation: SourceLocation, value: RunbookValue)] = []
            for (key, value) in mapping {
                let keyLocation = self.location(of: key, file: file)
                guard case let .scalar(scalar) = key else {
                    throw RunbookError(keyLocation, "a mapping key must be a plain word, not a list or mapping")
                }
                members.append((scalar.string, keyLocation, try self.value(of: value, file: file)))
            }
            return .mapping(members, location)
        case .alias:
            // The composer resolves aliases to their anchored node, so this only guards future Yams versions.
            throw RunbookError(location, "YAML aliases are not supported in runbooks")
        }
    }

    private static func location(of node: Node, file: String) -> SourceLocation {
        // Yams' marks are already 1-based (libyaml's 0-based marks plus one).
        SourceLocation(file: file, line: max(1, node.mark?.line ?? 1), column: max(1, node.mark?.column ?? 1))
    }

    /// A Yams error as a one-line runbook error at the place libyaml stopped.
    static func runbookError(from error: YamlError, yaml: String, file: String) -> RunbookError {
        func at(_ mark: (line: Int, column: Int)) -> SourceLocation {
            SourceLocation(file: file, line: max(1, mark.line), column: max(1, mark.column))
        }
        func message(_ problem: String, _ context: YamlError.Context?) -> String {
            let base = "invalid YAML: \(problem)"
            guard let context else { return base }
            return "\(base) (\(context.text) at line \(context.mark.line))"
        }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
            let .composer(context, problem, mark, _):
            return RunbookError(at((mark.line, mark.column)), message(problem, context))
        case let .reader(problem, offset, _, _):
            return RunbookError(at(mark(atCharacterOffset: offset ?? 0, in: yaml)), "cannot read the file: \(problem)")
        case let .duplicatedKeysInMapping(duplicates, context):
            let key = duplicates.first ?? ""
            let first = (line: context.mark.line, column: context.mark.column)
            if let line = lineOfSecondOccurrence(of: key, after: first, in: yaml) {
                return RunbookError(at((line, first.column)), "duplicate key `\(key)` (first at line \(first.line))")
            }
            return RunbookError(at(first), "duplicate key `\(key)` in this mapping")
        default:
            return RunbookError(SourceLocation(file: file, line: 1, column: 1), "cannot parse YAML: \(error)")
        }
    }

    private static func mark(atCharacterOffset offset: Int, in yaml: String) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for character in yaml.prefix(offset) {
            if character == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (line, column)
    }

    /// Finds the repeated key of a block mapping, so the error points at the line to remove.
    ///
    /// Yams reports only the first occurrence. Keys of one block mapping share a column, so the next
    /// line with the same key at that column, before the mapping ends (a line indented less), is it.
    /// Flow mappings (`{ a: 1, a: 2 }`) are not searched; the caller falls back to the first key.
    private static func lineOfSecondOccurrence(
        of key: String, after first: (line: Int, column: Int), in yaml: String
    ) -> Int? {
        // Unicode scalars, as libyaml counts columns (and so `\r\n` is not one character).
        let lines = yaml.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false)
        guard first.line >= 1, first.line <= lines.count else { return nil }
        let column = first.column - 1
        let spellings = [key, "\"\(key)\"", "'\(key)'"]
        for index in first.line..<lines.count {
            let scalars = Array(lines[index])
            let indent = scalars.prefix { $0 == " " }.count
            if indent == scalars.count || scalars[indent] == "#" { continue }
            if indent < column { return nil }  // the mapping ended (or the next list item began)
            if indent > column { continue }
            let rest = String(String.UnicodeScalarView(scalars[column...]))
            for spelling in spellings where rest.hasPrefix(spelling) {
                let after = rest.dropFirst(spelling.count).drop { $0 == " " }
                if after.hasPrefix(":") { return index + 1 }
            }
        }
        return nil
    }
}
