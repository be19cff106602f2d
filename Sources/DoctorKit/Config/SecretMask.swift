/// Safe displays of secret values: enough to tell which key or server is configured, nothing to use.
///
/// docs/architecture.md, "Invariants": an API key may be shown as its prefix and last four characters, as Stripe's
/// dashboard does; passwords and the webhook secret never, not even in part.
public enum SecretMask {
    /// The placeholder that stands for a hidden part.
    public static let hidden = "****"

    /// An API key as its prefix and last four characters (`sk_live_…4f2a`).
    ///
    /// A key of a kind in `SecretKind.all` is shown as that kind allows (a webhook secret only as
    /// `whsec_…`); a key of another shape keeps its type prefix and last four.
    public static func apiKey(_ key: String) -> String {
        let key = key.filter { !$0.isWhitespace }
        if let kind = SecretKind.kind(of: key) { return kind.show(key) }
        return prefixAndLastFour(key, prefix: prefix(of: key))
    }

    /// `prefix…` and the last four characters; the prefix alone for a key shorter than 12 characters
    /// (or with fewer than 8 after its prefix), whose tail would give away a large part of it.
    static func prefixAndLastFour(_ key: String, prefix: String) -> String {
        if key.count < 12 || key.count - prefix.count < 8 { return prefix + "…" }
        return prefix + "…" + key.suffix(4)
    }

    /// `live` or `test` from a Stripe key's prefix (`sk_`/`rk_`); nil for a key of another shape.
    public static func stripeMode(ofKey key: String) -> String? {
        SecretKind.kind(of: key)?.stripeMode
    }

    /// The key's type prefix: a short lowercase word and `_`, then `live_` or `test_` when present.
    static func prefix(of key: String) -> String {
        guard let underscore = key.firstIndex(of: "_") else { return "" }
        let word = key[..<underscore]
        guard (1...6).contains(word.count), word.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber) })
        else { return "" }
        let afterWord = key[key.index(after: underscore)...]
        for mode in ["live_", "test_"] where afterWord.hasPrefix(mode) {
            return String(word) + "_" + mode
        }
        return String(word) + "_"
    }

    /// A connection URL with its password, credential query values and DSN-style keys replaced by `****`.
    ///
    /// Works on malformed input: everything from the first `:` of the userinfo to the last `@` is
    /// hidden, so a password with an unescaped `@`, `/` or `#` is hidden whole. When in doubt, more is
    /// hidden rather than less.
    public static func url(_ url: String) -> String {
        // Only an RFC 3986 scheme makes what comes before `://` safe to show: in a token that
        // merely contains `://` (found by fuzzing), that part is the secret.
        guard let separator = url.range(of: "://"), isScheme(url[..<separator.lowerBound]) else {
            // Not a URL: it may be a bare secret. Keep only what follows an '@', which names a host.
            if let at = url.lastIndex(of: "@") { return hidden + url[at...] }
            return hidden
        }
        let scheme = url[..<separator.lowerBound].lowercased()
        let rest = url[separator.upperBound...]
        var result = String(url[..<separator.upperBound])
        var tail = rest
        if let at = rest.lastIndex(of: "@") {
            let userinfo = rest[..<at]
            let keepsUser = ["postgres", "postgresql", "redis", "rediss"].contains(scheme)
            if keepsUser, let colon = userinfo.firstIndex(of: ":") {
                result += userinfo[..<colon] + ":" + hidden
            } else if scheme.hasPrefix("postgres"), !userinfo.isEmpty {
                result += userinfo
            } else {
                // An http(s) user name is a Sentry DSN key or a credential; a lone Redis user may be a password.
                result += hidden
            }
            result += "@"
            tail = rest[rest.index(after: at)...]
        } else {
            // No '@': a "host:port" whose port is not a number is probably "user:password" without a host.
            let authorityEnd = rest.firstIndex { "/?#".contains($0) } ?? rest.endIndex
            let authority = rest[..<authorityEnd]
            if let colon = authority.firstIndex(of: ":"),
                !authority[authority.index(after: colon)...].allSatisfy({ $0.isASCII && $0.isNumber })
            {
                result += authority[..<colon] + ":" + hidden
                tail = rest[authorityEnd...]
            }
        }
        return result + maskingQuery(tail)
    }

    /// Whether `text` is a URL scheme: a letter, then letters, digits, `+`, `-` or `.`.
    static func isScheme(_ text: Substring) -> Bool {
        guard let first = text.first, first.isASCII, first.isLetter else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }
    }

    /// The host, path, query and fragment with credential-like query values and any fragment hidden.
    private static func maskingQuery(_ tail: Substring) -> String {
        var body = tail
        var fragment = ""
        if let hash = tail.firstIndex(of: "#") {
            body = tail[..<hash]
            fragment = tail.index(after: hash) < tail.endIndex ? "#" + hidden : "#"
        }
        guard let question = body.firstIndex(of: "?") else { return String(body) + fragment }
        let pairs = body[body.index(after: question)...].split(separator: "&", omittingEmptySubsequences: false)
        let masked = pairs.map { pair -> String in
            guard let equals = pair.firstIndex(of: "=") else { return String(pair) }
            let key = pair[..<equals]
            return isCredentialName(key) ? key + "=" + hidden : String(pair)
        }
        return body[...question] + masked.joined(separator: "&") + fragment
    }

    /// Whether a query parameter (`api_key`, `sslpassword`, `token`, …) carries a credential.
    static func isCredentialName(_ name: some StringProtocol) -> Bool {
        let lower = name.lowercased()
        return ["key", "secret", "token", "pass", "auth", "signature", "sig", "credential"].contains {
            lower.contains($0)
        }
    }
}
