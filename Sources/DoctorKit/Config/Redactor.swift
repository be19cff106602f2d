import Foundation

/// Removes secrets from text before it reaches any sink: terminal, JSON, files, error messages.
///
/// Built from the configuration (every secret value, and the forms a secret takes inside URLs,
/// headers and JSON) plus the patterns of `SecretKind.all` for secrets the configuration does not
/// know about.
public struct Redactor: Sendable {
    /// Each secret form and what replaces it; forms with percent-escapes match in either case.
    private var literals: [(form: String, replacement: String, anyCase: Bool)] = []

    /// The replacement for a secret with no safe display.
    public static let mask = "[redacted]"

    /// A redactor for every secret in `configuration`.
    public init(_ configuration: Configuration) {
        for name in configuration.names where Configuration.isSecret(name) {
            guard let value = configuration.value(name) else { continue }
            add(value)
            // The password inside a connection URL travels on its own too (error texts, libpq).
            if let password = Self.urlPassword(value) {
                add(password)
                add(password.removingPercentEncoding ?? password)
            }
            // A URL whose user name is its only credential (a Sentry DSN's `https://KEY@host`, or
            // `https://KEY:@host`): the key travels alone too (`sentry_key=KEY`, the bare key).
            if let user = Self.urlCredentialUser(value) { add(user) }
            for name in SecretKind.credentialParameters {
                if let credential = Self.queryValue(value, name) { add(credential) }
            }
        }
        // Longest first, so a secret that contains another is replaced whole.
        literals.sort { $0.form.utf8.count > $1.form.utf8.count }
    }

    private mutating func add(_ secret: String) {
        guard secret.count >= 4 else { return }
        // Literal matching no longer equates canonically equivalent spellings: add both.
        var forms: Set<String> = [secret, secret.precomposedStringWithCanonicalMapping, secret.decomposedStringWithCanonicalMapping]
        if let encoded = secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics) { forms.insert(encoded) }
        if let encoded = secret.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) { forms.insert(encoded) }
        forms.insert(Data(secret.utf8).base64EncodedString())
        if let json = try? JSONEncoder().encode(secret), let text = String(data: json, encoding: .utf8) {
            forms.insert(String(text.dropFirst().dropLast()))
            forms.insert(text.dropFirst().dropLast().replacingOccurrences(of: "/", with: "\\/"))
        }
        for form in forms where form.count >= 4 {
            literals.append((form, Self.display(secret), form.contains("%")))
        }
    }

    /// What may be shown of a secret value: what its kind in `SecretKind.all` allows, else nothing.
    static func display(_ secret: String) -> String {
        SecretKind.kind(of: secret)?.show(secret) ?? mask
    }

    /// `text` with every known secret and every secret-shaped token replaced.
    public func redact(_ text: String) -> String {
        // Literal (UTF-16 unit by unit), not by characters: a secret followed by a combining mark
        // forms another grapheme with its last letter, and a character-wise search misses it.
        var result = text
        for literal in literals {
            let options: String.CompareOptions = literal.anyCase ? [.literal, .caseInsensitive] : .literal
            guard result.range(of: literal.form, options: options) != nil else { continue }
            result = result.replacingOccurrences(of: literal.form, with: literal.replacement, options: options)
        }
        return Self.redactPatterns(result)
    }

    /// E-mail addresses in log excerpts (the guide's audit advice): personal data rather than a
    /// secret, so masked here and not listed as a `SecretKind`. Not after "//" or ":", so URL user
    /// names stay readable.
    private static let email = try! NSRegularExpression(
        pattern: #"(?<![/:A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b"#)

    static func redactPatterns(_ text: String) -> String {
        let result = SecretKind.masking(in: text)
        let range = NSRange(result.startIndex..., in: result)
        return maskCardNumbers(email.stringByReplacingMatches(in: result, range: range, withTemplate: "[email]"))
    }

    /// Card numbers start with 3-6 (Amex, Visa, Mastercard, Discover) and have 13-19 digits.
    private static let cardCandidate = try! NSRegularExpression(pattern: #"\b[3-6](?:[ -]?\d){12,18}\b"#)

    /// Card-like numbers (13-19 digits passing the Luhn check) become `[card …1234]` (PCI).
    static func maskCardNumbers(_ text: String) -> String {
        let matches = cardCandidate.matches(in: text, range: NSRange(text.startIndex..., in: text))
        guard !matches.isEmpty else { return text }
        var result = text
        for match in matches.reversed() {
            guard let range = Range(match.range, in: result) else { continue }
            let digits = result[range].filter(\.isNumber)
            guard luhn(digits) else { continue }
            result.replaceSubrange(range, with: "[card …\(digits.suffix(4))]")
        }
        return result
    }

    static func luhn<S: StringProtocol>(_ digits: S) -> Bool {
        var sum = 0
        for (index, character) in digits.reversed().enumerated() {
            guard var digit = character.wholeNumberValue else { return false }
            if index % 2 == 1 {
                digit *= 2
                if digit > 9 { digit -= 9 }
            }
            sum += digit
        }
        return sum % 10 == 0
    }

    /// Every string of a report passed through `redact`.
    public func redact(_ report: RunReport) -> RunReport {
        var copy = report
        copy.notices = report.notices.map(redact)
        copy.target = report.target.map(redact)
        copy.runbooks = report.runbooks.map { runbook in
            var runbook = runbook
            runbook.steps = runbook.steps.map(redact)
            return runbook
        }
        return copy
    }

    /// Every string of a step result passed through `redact`, with control characters made
    /// visible: a result carries what servers, logs and databases said, and a hostile or broken
    /// one must not be able to move the cursor or recolour what the operator reads.
    public func redact(_ step: StepResult) -> StepResult {
        var copy = step
        copy.summary = Self.escapingControls(redact(step.summary))
        copy.hint = step.hint.map { Self.escapingControls(redact($0)) }
        var evidence = Evidence()
        // Keys can come from outside too (a Stripe event type counted under its own name).
        for (key, value) in step.evidence.entries {
            evidence[Self.escapingControls(key)] = value.mapStrings { Self.escapingControls(redact($0), keepingLines: true) }
                .mappingKeys { Self.escapingControls($0) }
        }
        copy.evidence = evidence
        return copy
    }

    /// `text` with every control character (C0, DEL, C1) written as `\x1b`-style escapes; newline
    /// and tab stay where a multi-line excerpt needs them.
    public static func escapingControls(_ text: String, keepingLines: Bool = false) -> String {
        func isControl(_ scalar: Unicode.Scalar) -> Bool {
            scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
        }
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if !isControl(scalar) || (keepingLines && (scalar == "\n" || scalar == "\t")) {
                result.append(scalar)
            } else {
                result.append(contentsOf: String(format: "\\x%02x", scalar.value).unicodeScalars)
            }
        }
        return String(result)
    }

    static func urlPassword(_ value: String) -> String? {
        guard let scheme = value.range(of: "://") else { return nil }
        let rest = value[scheme.upperBound...]
        guard let at = rest.lastIndex(of: "@") else { return nil }
        let userinfo = rest[..<at]
        guard let colon = userinfo.firstIndex(of: ":") else { return nil }
        let password = String(userinfo[userinfo.index(after: colon)...])
        return password.isEmpty ? nil : password
    }

    /// The user name of a URL that has no password (or an empty one): then it is the credential.
    static func urlCredentialUser(_ value: String) -> String? {
        // Only web URLs carry a key as the user (a DSN): `postgresql://postgres@localhost` names a
        // user, and masking it would blank every "postgres" in the output.
        guard let scheme = value.range(of: "://"),
              ["http", "https"].contains(value[..<scheme.lowerBound].lowercased()) else { return nil }
        let rest = value[scheme.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard let at = rest.lastIndex(of: "@") else { return nil }
        let userinfo = rest[..<at]
        if let colon = userinfo.firstIndex(of: ":") {
            guard userinfo[userinfo.index(after: colon)...].isEmpty else { return nil }
            return String(userinfo[..<colon]).nilIfEmpty
        }
        return String(userinfo).nilIfEmpty
    }

    static func queryValue(_ value: String, _ key: String) -> String? {
        guard let range = value.range(of: "\(key)=") else { return nil }
        return String(value[range.upperBound...].prefix { $0 != "&" && $0 != "#" })
    }
}

extension Redactor {
    /// Pattern-based redaction alone, for text written before the configuration is known.
    public static func redactPatternsOnly(_ text: String) -> String { redactPatterns(text) }
}

extension String {
    /// nil for the empty string.
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}
