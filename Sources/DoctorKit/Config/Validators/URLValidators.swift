/// Checks the service's base URL, Redis URL, Render identifiers and API base overrides.
enum URLValidators {
    static func apiURL(_ name: String, _ value: String) -> VariableFinding {
        var result = FindingBuilder(name: name, shown: value)
        guard let parts = httpParts(name, value, into: &result) else { return result.finding(passMessage: "") }
        if !parts.path.isEmpty && parts.path != "/" {
            let path = parts.path.count > 40 ? parts.path.prefix(40) + "…" : parts.path
            result.fail("\(name) must be the base URL without a path (found \(path)): the doctor adds /api/health itself")
        }
        if parts.query != nil || parts.fragment != nil {
            result.fail("\(name) must not have a query or fragment")
        }
        let host = parts.hostAndPort.host
        if parts.scheme.lowercased() == "http", !URLParts.isLocal(host) {
            result.warn("\(name) uses http:// on a public host: Stripe requires HTTPS for live webhooks")
        }
        return result.finding(passMessage: "base URL \(parts.scheme.lowercased())://\(parts.hostport)")
    }

    static func apiBase(_ name: String, _ value: String) -> VariableFinding {
        var result = FindingBuilder(name: name, shown: value)
        guard let parts = httpParts(name, value, into: &result) else { return result.finding(passMessage: "") }
        if parts.query != nil || parts.fragment != nil { result.fail("\(name) must not have a query or fragment") }
        if parts.scheme.lowercased() == "http", !URLParts.isLocal(parts.hostAndPort.host) {
            result.warn("\(name) uses http:// on a public host: API keys would travel unencrypted")
        }
        return result.finding(passMessage: "API base overridden to \(value)")
    }

    static func redisURL(_ name: String, _ value: String) -> VariableFinding {
        var result = FindingBuilder(name: name, shown: SecretMask.url(value))
        if value.containsWhitespace { result.fail("contains whitespace: a copy-paste error") }
        guard let parts = URLParts.split(value.trimmingWhitespace) else {
            result.fail("\(name) must start with redis:// or rediss://")
            return result.finding(passMessage: "")
        }
        let scheme = parts.scheme.lowercased()
        guard scheme == "redis" || scheme == "rediss" else {
            let found = parts.scheme.quotable.map { " (found \($0)://)" } ?? ""
            result.fail("\(name) must start with redis:// or rediss://\(found)")
            return result.finding(passMessage: "")
        }
        if let userinfo = parts.userinfo, let delimiter = "@/?#".first(where: { userinfo.contains($0) }) {
            result.fail(
                "the password contains an unescaped '\(delimiter)': percent-encode it as "
                    + URLParts.encoding(of: delimiter))
        }
        let (host, port) = parts.hostAndPort
        if host.isEmpty { result.fail("missing host") }
        if let port, !port.isEmpty, URLParts.port(port) == nil {
            result.fail("the port is not a number from 1 to 65535")
        }
        let database = parts.path.dropFirst()
        if !database.isEmpty && !database.allSatisfy({ $0.isASCII && $0.isNumber }) {
            result.fail("the path after the host must be a database number such as /0")
        }
        let tls = scheme == "rediss" ? " over TLS" : ""
        let number = database.isEmpty ? "" : ", database \(database)"
        return result.finding(passMessage: "Redis at \(parts.hostport)\(number)\(tls)")
    }

    static func renderServiceID(_ name: String, _ value: String) -> VariableFinding {
        var result = FindingBuilder(name: name, shown: value)
        if value.containsWhitespace { result.fail("contains whitespace: a copy-paste error") }
        let id = value.trimmingWhitespace
        if !id.hasPrefix("srv-") || id.count == 4 {
            result.fail("\(name) must be a service id such as srv-abc123 (from the service's dashboard URL)")
        } else if id.contains(where: { "\"'`\\".contains($0) }) {
            result.fail("a quote or backslash in the service id: a stray quote from copying it")
        } else if !id.dropFirst(4).allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
            // Only unusual: Render's ids are letters and digits today, but the API is the judge.
            result.warn("unusual characters after srv-: Render's service ids are letters and digits")
        }
        return result.finding(passMessage: "Render service \(id)")
    }

    static func renderAPIKey(_ name: String, _ value: String) -> VariableFinding {
        let shown = SecretMask.apiKey(value)
        var result = FindingBuilder(name: name, shown: shown)
        if value.containsWhitespace { result.fail("contains whitespace: a copy-paste error") }
        if !value.hasPrefix("rnd_") {
            result.warn("Render API keys usually start with rnd_; this one does not (check it is an API key, not a deploy hook)")
        }
        return result.finding(passMessage: "Render API key (\(shown))")
    }

    /// Checks the parts every http(s) base URL shares; nil when it cannot be read as one.
    private static func httpParts(_ name: String, _ value: String, into result: inout FindingBuilder) -> URLParts? {
        if value.containsWhitespace {
            result.fail("contains whitespace: a copy-paste error")
            return nil
        }
        guard let parts = URLParts.split(value) else {
            result.fail("\(name) must be an absolute URL such as https://NAME.onrender.com")
            return nil
        }
        let scheme = parts.scheme.lowercased()
        guard scheme == "http" || scheme == "https" else {
            result.fail("\(name) must use http:// or https://" + (parts.scheme.quotable.map { " (found \($0)://)" } ?? ""))
            return nil
        }
        if parts.userinfo != nil {
            result.shown = SecretMask.url(value)
            result.fail("\(name) must not contain a user name or password")
        }
        let (host, port) = parts.hostAndPort
        if host.isEmpty { result.fail("\(name) has no host") }
        if let port, URLParts.port(port) == nil { result.fail("the port of \(name) is not a number from 1 to 65535") }
        return result.hasFailure ? nil : parts
    }
}
