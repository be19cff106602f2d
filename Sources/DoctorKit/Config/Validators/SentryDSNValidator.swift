/// Checks `SENTRY_DSN` with sentry-python's rules and messages (api-facts section 4), so the
/// doctor rejects exactly what the SDK would.
enum SentryDSNValidator {
    static func validate(_ name: String, _ value: String) -> VariableFinding {
        var result = FindingBuilder(name: name, shown: SecretMask.url(value))
        if value.containsWhitespace { result.fail("contains whitespace: a copy-paste error") }
        let dsn = value.trimmingWhitespace
        guard let parts = URLParts.split(dsn) else {
            result.fail("Unsupported scheme '': a DSN looks like https://KEY@HOST/PROJECT")
            return result.finding(passMessage: "")
        }
        let scheme = parts.scheme.lowercased()
        guard scheme == "http" || scheme == "https" else {
            result.fail("Unsupported scheme '\(parts.scheme.quotable ?? "")'")
            return result.finding(passMessage: "")
        }
        let (host, port) = parts.hostAndPort
        if host.isEmpty {
            result.fail("Missing hostname")
        } else if let port, URLParts.port(port) == nil {
            result.fail("Invalid port in DSN: not a number from 1 to 65535")
        }
        let credentials = parts.credentials
        if credentials?.user.isEmpty ?? true { result.fail("Missing public key") }
        if let secret = credentials?.password, !secret.isEmpty {
            result.warn("legacy private DSN: the ':secret' part is deprecated since Sentry 9; use the DSN without it")
        }
        let projectID = parts.path.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
        if projectID.isEmpty || !projectID.allSatisfy({ $0.isASCII && $0.isNumber }) {
            let path = parts.path.dropFirst().prefix(60)
            result.fail("Invalid project in DSN ('\(path)')")
        }
        if parts.query != nil || parts.fragment != nil {
            result.warn("the DSN has a query or fragment, which the SDK ignores")
        }
        let org = organization(host).map { " (org \($0))" } ?? ""
        return result.finding(passMessage: "Sentry DSN for project \(projectID)\(org) on \(host)")
    }

    /// The organisation id in an ingest host such as `o1234.ingest.sentry.io`.
    static func organization(_ host: Substring) -> Substring? {
        guard host.hasPrefix("o"), let dot = host.firstIndex(of: ".") else { return nil }
        let digits = host[host.index(after: host.startIndex)..<dot]
        return !digits.isEmpty && digits.allSatisfy({ $0.isASCII && $0.isNumber }) ? digits : nil
    }
}
