import Foundation

/// Reads `.env` files the way the `dotenv` package does, so the doctor sees what the service sees.
///
/// Accepted: `KEY=value`, an optional `export ` prefix, `#` comment lines and blank lines, single
/// quotes (literal), double quotes (with `\n`, `\r`, `\t`, `\"` and `\\` escapes; may span lines) and
/// unquoted values, trimmed, with an inline ` #` comment removed. Errors name `file:line` and never
/// quote the line: a value may be a secret.
public enum DotEnv {
    /// Parses the text of an env file; `file` names it in errors. Later duplicates follow earlier ones.
    public static func parse(_ text: String, file: String) throws(ConfigurationError) -> [(String, String)] {
        var text = Substring(text)
        if text.hasPrefix("\u{FEFF}") { text = text.dropFirst() }
        // `\r\n` is a single Character, so splitting on `isNewline` handles both line endings.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        var result: [(String, String)] = []
        var index = 0
        while index < lines.count {
            let lineNumber = index + 1
            var rest = lines[index].drop(while: isBlank)
            index += 1
            if rest.isEmpty || rest.hasPrefix("#") { continue }

            func fail(_ problem: String) -> ConfigurationError {
                .malformedFile(path: file, line: lineNumber, problem: problem)
            }

            if rest.hasPrefix("export"), let next = rest.dropFirst(6).first, isBlank(next) {
                rest = rest.dropFirst(6).drop(while: isBlank)
            }
            guard let equals = rest.firstIndex(of: "=") else { throw fail("expected KEY=VALUE") }
            let key = trimBlanks(rest[..<equals])
            guard isValidKey(key) else {
                throw fail("invalid variable name before '=': use letters, digits and _, not starting with a digit")
            }
            let raw = rest[rest.index(after: equals)...].drop(while: isBlank)

            switch raw.first {
            case let quote? where quote == "\"" || quote == "'":
                let kind = quote == "\"" ? "double" : "single"
                var value = ""
                var segment = raw.dropFirst()
                var closedAt: Substring.Index?
                scan: while true {
                    var position = segment.startIndex
                    while position < segment.endIndex {
                        let character = segment[position]
                        if character == quote {
                            closedAt = position
                            break
                        }
                        if quote == "\"", character == "\\", segment.index(after: position) < segment.endIndex {
                            position = segment.index(after: position)
                            value += unescape(segment[position])
                        } else {
                            value.append(character)
                        }
                        position = segment.index(after: position)
                    }
                    if closedAt != nil { break scan }
                    guard index < lines.count else {
                        throw fail("unterminated \(kind) quote in the value of \(key)")
                    }
                    value.append("\n")
                    segment = lines[index]
                    index += 1
                }
                let trailing = segment[segment.index(after: closedAt!)...].drop(while: isBlank)
                guard trailing.isEmpty || trailing.hasPrefix("#") else {
                    throw fail("unexpected text after the closing \(kind) quote of \(key)")
                }
                result.append((key, value))
            default:
                result.append((key, unquoted(raw)))
            }
        }
        return result
    }

    /// Reads and parses the env file at `path`.
    /// The largest env file read: a service's variables are a few kilobytes, and a 10 MB line
    /// would take longer to parse than a run may last.
    public static let maxBytes = 1 << 20

    /// Reads and parses the env file at `path` (at most `maxBytes`; `/dev/null` is empty).
    public static func load(path: String) throws(ConfigurationError) -> [(String, String)] {
        let data: [UInt8]
        do {
            data = try BoundedFile.read(path, limit: maxBytes, pipes: true)
        } catch {
            throw .unreadableFile(path: path, reason: error.reason)
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw .unreadableFile(path: path, reason: "not UTF-8 text")
        }
        return try parse(text, file: path)
    }

    /// An unquoted value: a `#` after a blank starts a comment (`a#b` keeps its `#`, as in a shell).
    static func unquoted(_ raw: Substring) -> String {
        var previous: Character = " "
        var end = raw.endIndex
        for index in raw.indices {
            if raw[index] == "#", isBlank(previous) {
                end = index
                break
            }
            previous = raw[index]
        }
        return String(trimBlanks(raw[..<end]))
    }

    /// A variable name as dotenv and shells accept it.
    static func isValidKey(_ key: some StringProtocol) -> Bool {
        guard let first = key.first, first == "_" || (first.isASCII && first.isLetter) else { return false }
        return key.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }

    /// The text an escape in double quotes stands for; an unknown escape keeps its backslash.
    private static func unescape(_ character: Character) -> String {
        switch character {
        case "n": "\n"
        case "r": "\r"
        case "t": "\t"
        case "\"", "\\": String(character)
        default: "\\" + String(character)
        }
    }

    private static func isBlank(_ character: Character) -> Bool { character == " " || character == "\t" }

    private static func trimBlanks(_ text: Substring) -> String {
        String(text.drop(while: isBlank).reversed().drop(while: isBlank).reversed())
    }
}
