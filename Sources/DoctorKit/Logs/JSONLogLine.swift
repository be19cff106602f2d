/// Byte-level reading of Render's JSON log lines (`{"id","timestamp","message","labels":[…]}`), so a
/// scan can search and place lines without parsing the JSON of every one.
enum JSONLogLine {
    /// The time of a JSON log line's `"timestamp"` field, read from the bytes without parsing the line.
    ///
    /// In valid JSON every quote inside a string is escaped, so the bytes `"timestamp"` followed by
    /// a colon can only be a key.
    static func timestamp(_ line: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard let base = line.baseAddress else { return nil }
        let key = Array("\"timestamp\"".utf8)
        var from = 0
        while from + key.count < line.count, let found = memchr(base + from, Int32(key[0]), line.count - from - key.count) {
            let at = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            var matched = true
            for index in 1..<key.count where line[at + index] != key[index] { matched = false; break }
            from = at + 1
            guard matched else { continue }
            var cursor = at + key.count
            while cursor < line.count, line[cursor] == 0x20 || line[cursor] == 0x09 { cursor += 1 }
            guard cursor < line.count, line[cursor] == UInt8(ascii: ":") else { continue }
            cursor += 1
            while cursor < line.count, line[cursor] == 0x20 || line[cursor] == 0x09 { cursor += 1 }
            guard cursor < line.count, line[cursor] == UInt8(ascii: "\"") else { return nil }
            return LogTimestamp.parse(UnsafeBufferPointer(rebasing: line[(cursor + 1)...]))
        }
        return nil
    }

    /// The byte strings whose presence in a raw JSON line is necessary for `text` to occur in the
    /// line's message or in one of its labels written `name=value`.
    ///
    /// A text inside a JSON string is written escaped, and encoders differ: quotes and backslashes
    /// always, control characters as `\n` or `\u00XX`, `<`, `>`, `&` as `\u003c` … (Go's default),
    /// `/` as `\/` (some PHP and Java encoders), non-ASCII as `\u` escapes (Python's default). Each
    /// way gives a key. A text holding `=` can also run across a label's name and value, which are
    /// separate strings in the JSON: then the part before the `=` (a label name's end) is a key too.
    /// Empty when no key can be made (the text is `=` alone): every line must then be decoded.
    static func candidateKeys(for text: String) -> [[UInt8]] {
        var keys: Set<[UInt8]> = []
        let scalars = Array(text.unicodeScalars)
        keys.insert(encode(scalars, html: false, slash: false, ascii: nil))
        keys.insert(encode(scalars, html: true, slash: false, ascii: nil))
        keys.insert(encode(scalars, html: false, slash: true, ascii: nil))
        keys.insert(encode(scalars, html: false, slash: false, ascii: .lower))
        keys.insert(encode(scalars, html: true, slash: false, ascii: .upper))
        if let equals = scalars.firstIndex(of: "=") {
            let name = scalars[..<equals]
            let value = scalars[(equals + 1)...]
            let identifier = name.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || "_.-".unicodeScalars.contains($0)) }
            if !name.isEmpty && identifier {
                keys.insert(Array(String(String.UnicodeScalarView(name)).utf8))
            } else if name.isEmpty && !value.isEmpty {
                keys.formUnion(candidateKeys(for: String(String.UnicodeScalarView(value))))
            } else if name.isEmpty {
                return []
            }
        }
        return keys.filter { !$0.isEmpty }.sorted { $0.lexicographicallyPrecedes($1) }
    }

    private enum HexCase { case lower, upper }

    /// `scalars` as they appear between a JSON string's quotes, written one of the common ways.
    private static func encode(_ scalars: [Unicode.Scalar], html: Bool, slash: Bool, ascii: HexCase?) -> [UInt8] {
        var out: [UInt8] = []
        func hex(_ value: UInt32) {
            let digits = Array((ascii == .upper ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
            out += Array("\\u".utf8)
            for shift in stride(from: 12, through: 0, by: -4) { out.append(digits[Int(value >> UInt32(shift) & 0xF)]) }
        }
        for scalar in scalars {
            switch scalar {
            case "\"": out += Array("\\\"".utf8)
            case "\\": out += Array("\\\\".utf8)
            case "\n": out += Array("\\n".utf8)
            case "\r": out += Array("\\r".utf8)
            case "\t": out += Array("\\t".utf8)
            default:
                if slash && scalar == "/" {
                    out += Array("\\/".utf8)
                } else if html && ["<", ">", "&", "\u{2028}", "\u{2029}"].contains(scalar) {
                    hex(scalar.value)
                } else if scalar.value < 0x20 {
                    hex(scalar.value)
                } else if scalar.value >= 0x80, ascii != nil {
                    if scalar.value > 0xFFFF {
                        let value = scalar.value - 0x10000
                        hex(0xD800 + (value >> 10))
                        hex(0xDC00 + (value & 0x3FF))
                    } else {
                        hex(scalar.value)
                    }
                } else {
                    out += Array(String(scalar).utf8)
                }
            }
        }
        return out
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
