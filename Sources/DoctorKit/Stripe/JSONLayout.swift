/// A JSON document kept byte for byte (key order, number and string spellings), so that it can be
/// laid out again in the forms a web framework would produce when it re-serialises a body.
///
/// The webhook-secret check uses it to tell a body that was re-serialised (a signature that fits
/// another layout of the same JSON) from a wrong secret.
indirect enum JSONLayout: Equatable {
    /// An object with its members in the order written; keys keep their quotes and escapes.
    case object([(key: [UInt8], value: JSONLayout)])
    /// An array.
    case array([JSONLayout])
    /// A string, number, `true`, `false` or `null`, as written.
    case scalar([UInt8])

    static func == (lhs: JSONLayout, rhs: JSONLayout) -> Bool {
        switch (lhs, rhs) {
        case let (.object(a), .object(b)): a.map(\.key) == b.map(\.key) && a.map(\.value) == b.map(\.value)
        case let (.array(a), .array(b)): a == b
        case let (.scalar(a), .scalar(b)): a == b
        default: false
        }
    }

    /// Parses `bytes`; nil when they are not one JSON value.
    init?(_ bytes: [UInt8]) {
        var parser = Parser(bytes: bytes)
        guard let value = parser.value() else { return nil }
        parser.skipWhitespace()
        guard parser.index == bytes.count else { return nil }
        self = value
    }

    /// Without any whitespace, as `JSON.stringify(value)` writes it.
    var compact: [UInt8] {
        var out: [UInt8] = []
        write(into: &out, indent: nil, depth: 0)
        return out
    }

    /// Indented by `indent` spaces, as `JSON.stringify(value, null, indent)` writes it (Stripe
    /// sends its events this way with 2).
    func pretty(indent: Int) -> [UInt8] {
        var out: [UInt8] = []
        write(into: &out, indent: indent, depth: 0)
        return out
    }

    /// The same document with every object's keys in the order Stripe writes them: `id` and
    /// `object` first, then the rest alphabetically. A body whose keys were reordered (stored in a
    /// `jsonb` column, say) gets Stripe's order back this way.
    var stripeKeyOrder: JSONLayout {
        func rank(_ key: [UInt8]) -> Int {
            key == Array("\"id\"".utf8) ? 0 : key == Array("\"object\"".utf8) ? 1 : 2
        }
        switch self {
        case let .object(members):
            return .object(members.map { ($0.key, $0.value.stripeKeyOrder) }.sorted { a, b in
                rank(a.key) != rank(b.key) ? rank(a.key) < rank(b.key) : a.key.lexicographicallyPrecedes(b.key)
            })
        case let .array(items): return .array(items.map(\.stripeKeyOrder))
        case .scalar: return self
        }
    }

    private func write(into out: inout [UInt8], indent: Int?, depth: Int) {
        func newline(_ depth: Int) {
            guard let indent else { return }
            out.append(UInt8(ascii: "\n"))
            out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * depth))
        }
        switch self {
        case let .scalar(bytes):
            out.append(contentsOf: bytes)
        case let .array(items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                newline(depth + 1)
                item.write(into: &out, indent: indent, depth: depth + 1)
            }
            if !items.isEmpty { newline(depth) }
            out.append(UInt8(ascii: "]"))
        case let .object(members):
            out.append(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                newline(depth + 1)
                out.append(contentsOf: member.key)
                out.append(UInt8(ascii: ":"))
                if indent != nil { out.append(UInt8(ascii: " ")) }
                member.value.write(into: &out, indent: indent, depth: depth + 1)
            }
            if !members.isEmpty { newline(depth) }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// A recursive-descent reader that keeps every token's bytes.
    private struct Parser {
        let bytes: [UInt8]
        var index = 0
        var depth = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func skipWhitespace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func value() -> JSONLayout? {
            skipWhitespace()
            guard index < bytes.count, depth < 512 else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "{"): return object()
            case UInt8(ascii: "["): return array()
            case UInt8(ascii: "\""): return string().map { .scalar($0) }
            default: return bare().map { .scalar($0) }
            }
        }

        mutating func object() -> JSONLayout? {
            index += 1
            depth += 1
            defer { depth -= 1 }
            var members: [(key: [UInt8], value: JSONLayout)] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\""), let key = string() else { return nil }
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
                index += 1
                guard let value = value() else { return nil }
                members.append((key, value))
                skipWhitespace()
                guard index < bytes.count else { return nil }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
                return nil
            }
        }

        mutating func array() -> JSONLayout? {
            index += 1
            depth += 1
            defer { depth -= 1 }
            var items: [JSONLayout] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(items)
            }
            while true {
                guard let item = value() else { return nil }
                items.append(item)
                skipWhitespace()
                guard index < bytes.count else { return nil }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
                return nil
            }
        }

        /// A string token with its quotes and escapes as written.
        mutating func string() -> [UInt8]? {
            let start = index
            index += 1
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "\\"): index += 2
                case UInt8(ascii: "\""):
                    index += 1
                    return Array(bytes[start..<index])
                case 0x00..<0x20: return nil
                default: index += 1
                }
            }
            return nil
        }

        /// A number, `true`, `false` or `null`.
        mutating func bare() -> [UInt8]? {
            let start = index
            while index < bytes.count, !",]} \t\r\n".utf8.contains(bytes[index]) { index += 1 }
            let token = Array(bytes[start..<index])
            guard !token.isEmpty else { return nil }
            if ["true", "false", "null"].contains(where: { Array($0.utf8) == token }) { return token }
            return Double(String(decoding: token, as: UTF8.self)) != nil ? token : nil
        }
    }
}
