/// A URL split by hand into raw (still percent-encoded) parts.
///
/// Written for diagnosis rather than for use: it tolerates the mistakes people make in connection
/// strings (an unescaped `@`, `/`, `?` or `#` in a password) and records them, where a strict parser
/// would silently read the rest of the password as a path, a query or a fragment.
struct URLParts: Sendable {
    /// The scheme as written, without `://`.
    var scheme: Substring
    /// Everything before the `@` that ends the userinfo, if any.
    var userinfo: Substring?
    /// Host and optional port.
    var hostport: Substring
    /// The path, starting with `/`, or empty.
    var path: Substring
    /// The query without its `?`.
    var query: Substring?
    /// The fragment without its `#`.
    var fragment: Substring?

    /// Splits `text`; nil when it does not start with `scheme://`.
    static func split(_ text: String) -> URLParts? {
        guard let separator = text.range(of: "://") else { return nil }
        let scheme = text[..<separator.lowerBound]
        guard let first = scheme.first, first.isASCII, first.isLetter,
            scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+.-".contains($0)) })
        else { return nil }
        let rest = text[separator.upperBound...]

        // The userinfo ends at the last '@' that is not inside a query value: a password may hold
        // unescaped delimiters, while `?application_name=me@host` holds an '@' of its own.
        var userinfo: Substring?
        var afterUserinfo = rest
        var candidate = rest.endIndex
        while let at = rest[..<candidate].lastIndex(of: "@") {
            let before = rest[..<at]
            let inQuery = before.firstIndex(of: "?").map { before[$0...].contains("=") } ?? false
            if !inQuery {
                userinfo = before
                afterUserinfo = rest[rest.index(after: at)...]
                break
            }
            candidate = at
        }

        let hostEnd = afterUserinfo.firstIndex { "/?#".contains($0) } ?? afterUserinfo.endIndex
        var parts = URLParts(
            scheme: scheme, userinfo: userinfo, hostport: afterUserinfo[..<hostEnd], path: "", query: nil,
            fragment: nil)
        var tail = afterUserinfo[hostEnd...]
        if let hash = tail.firstIndex(of: "#") {
            parts.fragment = tail[tail.index(after: hash)...]
            tail = tail[..<hash]
        }
        if let question = tail.firstIndex(of: "?") {
            parts.query = tail[tail.index(after: question)...]
            tail = tail[..<question]
        }
        parts.path = tail
        return parts
    }

    /// The user name and password parts of the userinfo, split at its first `:`.
    var credentials: (user: Substring, password: Substring?)? {
        guard let userinfo else { return nil }
        guard let colon = userinfo.firstIndex(of: ":") else { return (userinfo, nil) }
        return (userinfo[..<colon], userinfo[userinfo.index(after: colon)...])
    }

    /// The host (IPv6 literals keep their brackets) and the text after its `:`, if any.
    var hostAndPort: (host: Substring, port: Substring?) {
        if hostport.hasPrefix("["), let close = hostport.firstIndex(of: "]") {
            let host = hostport[...close]
            let after = hostport[hostport.index(after: close)...]
            if after.isEmpty { return (host, nil) }
            return (host, after.hasPrefix(":") ? after.dropFirst() : after)
        }
        guard let colon = hostport.firstIndex(of: ":") else { return (hostport, nil) }
        return (hostport[..<colon], hostport[hostport.index(after: colon)...])
    }

    /// A TCP port number, when `text` is one from 1 to 65535.
    static func port(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.count <= 5, text.allSatisfy({ $0.isASCII && $0.isNumber }),
            let number = Int(text), (1...65535).contains(number)
        else { return nil }
        return number
    }

    /// Whether `host` is this machine or a private development name, where plain http is normal.
    static func isLocal(_ host: some StringProtocol) -> Bool {
        let host = host.lowercased()
        return host == "localhost" || host.hasSuffix(".localhost") || host.hasPrefix("127.")
            || host == "[::1]" || host == "::1" || host == "0.0.0.0" || host == "host.docker.internal"
    }

    /// The characters that end a userinfo early when left unescaped, with their percent-encodings.
    static let delimiterEncodings: [(Character, String)] = [("@", "%40"), ("#", "%23"), ("/", "%2F"), ("?", "%3F")]

    /// The percent-encoding of a URL delimiter.
    static func encoding(of character: Character) -> String {
        delimiterEncodings.first { $0.0 == character }?.1 ?? "%"
    }

    /// Percent-decodes `text`; `.failure` carries the 1-based position of the first bad `%` escape,
    /// or 0 when the bytes are not UTF-8.
    static func percentDecode(_ text: some StringProtocol) -> Result<String, PercentDecodingError> {
        let characters = Array(text)
        var bytes: [UInt8] = []
        var index = 0
        while index < characters.count {
            if characters[index] == "%" {
                guard index + 2 < characters.count,
                    let high = characters[index + 1].hexDigitValue, let low = characters[index + 2].hexDigitValue,
                    characters[index + 1].isASCII, characters[index + 2].isASCII
                else { return .failure(PercentDecodingError(position: index + 1)) }
                bytes.append(UInt8(high << 4 | low))
                index += 3
            } else {
                bytes.append(contentsOf: characters[index].utf8)
                index += 1
            }
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            return .failure(PercentDecodingError(position: 0))
        }
        return .success(decoded)
    }
}
/// Where percent-decoding failed: the 1-based character position of a bad `%` escape, or 0 for bytes
/// that are not UTF-8.
struct PercentDecodingError: Error, Sendable {
    var position: Int
}
