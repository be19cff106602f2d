import Foundation

/// One kind of secret: how to recognise it in free text and what of it may be shown.
///
/// `SecretKind.all` is the one list of kinds. The redactor's patterns, the history filter, the
/// displays (`Redactor.display`, `SecretMask.apiKey`) and a key's Stripe mode all derive from it,
/// so a kind added there is masked by every sink at once.
public struct SecretKind: Sendable {
    /// What may be shown of a value of a kind (docs/architecture.md, "Invariants").
    public enum Shown: Sendable, Equatable {
        /// The prefix and last four characters, as Stripe's dashboard shows an API key (`sk_live_…4f2a`).
        case prefixAndLastFour
        /// The prefix alone (`whsec_…`): even four characters of a signing secret are too many.
        case prefixOnly
        /// Nothing at all (`[redacted]`).
        case nothing
    }

    /// A made-up occurrence of the kind in free text, with the secret part of it.
    public struct Example: Sendable {
        /// A line as it could appear in a log, an error or a typed command.
        public let text: String
        /// The part of `text` that must never be shown in clear.
        public let secret: String
    }

    /// What the kind is, for people (`Stripe live secret key`).
    public let name: String
    /// How a bare value of this kind starts (`sk_live_`); nil for one recognised by its context (`Bearer …`).
    public let prefix: String?
    /// What may be shown of a value.
    public let shown: Shown
    /// `live` or `test` for a key that authenticates Stripe API calls in that mode; nil otherwise.
    public let stripeMode: String?
    /// A made-up occurrence, so tests can prove every sink masks the kind.
    public let example: Example
    /// Group 1 is context kept as it is (`Bearer `, `api_key=`, `https://user:`), group 2 the secret.
    let regex: NSRegularExpression
    /// ASCII text every match contains (`sk_live_`, `bearer`, `=`, `://`): a text without it is
    /// passed over without running the regex, as nearly every line the doctor writes is.
    let trigger: [UInt8]
    /// Whether `trigger` is compared without regard to ASCII case (`Bearer`, `BEARER`).
    let triggerIgnoresCase: Bool

    /// A kind found by `lead` (kept), then `body` (the secret), optionally only when `followedBy` comes next.
    init(
        _ name: String, prefix: String? = nil, shown: Shown, stripeMode: String? = nil,
        lead: String = "", body: String, followedBy: String? = nil, trigger: String, triggerIgnoresCase: Bool = false,
        example: Example
    ) {
        self.name = name
        self.trigger = Array((triggerIgnoresCase ? trigger.lowercased() : trigger).utf8)
        self.triggerIgnoresCase = triggerIgnoresCase
        self.prefix = prefix
        self.shown = shown
        self.stripeMode = stripeMode
        self.example = example
        let tail = followedBy.map { "(?=\($0))" } ?? ""
        regex = try! NSRegularExpression(pattern: "(\(lead))(\(body))\(tail)")
    }

    /// A prefixed API key: the prefix, then at least six key characters (underscores included, as in
    /// `sk_test_51Abc_Def…`), not glued to a word before it.
    static func apiKey(
        _ name: String, prefix: String, stripeMode: String? = nil, shown: Shown = .prefixAndLastFour,
        characters: String = "A-Za-z0-9_", example: String
    ) -> SecretKind {
        SecretKind(
            name, prefix: prefix, shown: shown, stripeMode: stripeMode, lead: "(?<![A-Za-z0-9])",
            body: NSRegularExpression.escapedPattern(for: prefix) + "[\(characters)]{6,}", trigger: prefix,
            example: Example(text: "request failed with \(example) (HTTP 401)", secret: example))
    }

    /// What may be shown of `value`, a secret of this kind.
    public func show(_ value: String) -> String {
        switch shown {
        case .prefixAndLastFour: SecretMask.prefixAndLastFour(value, prefix: prefix ?? "")
        case .prefixOnly: (prefix ?? "") + "…"
        case .nothing: Redactor.mask
        }
    }

    /// `text` with every occurrence of this kind replaced by what may be shown of it.
    func masking(in text: String) -> String {
        guard mayOccur(in: text) else { return text }
        let matches = regex.matches(in: text, range: NSRange(text.startIndex..., in: text))
        guard !matches.isEmpty else { return text }
        var result = text
        for match in matches.reversed() {
            guard let range = Range(match.range(at: 2), in: result) else { continue }
            result.replaceSubrange(range, with: show(String(result[range])))
        }
        return result
    }

    /// Whether `text` holds a secret of this kind.
    public func occurs(in text: String) -> Bool {
        guard mayOccur(in: text) else { return false }
        return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}

extension SecretKind {
    /// Whether `text` contains `trigger`, without which the regex cannot match.
    func mayOccur(in text: String) -> Bool {
        let needle = trigger
        guard let first = needle.first else { return true }
        let ignoresCase = triggerIgnoresCase
        @inline(__always) func folded(_ byte: UInt8) -> UInt8 {
            ignoresCase && (65...90).contains(byte) ? byte | 0x20 : byte
        }
        var text = text
        return text.withUTF8 { bytes in
            guard bytes.count >= needle.count else { return false }
            for start in 0...(bytes.count - needle.count) where folded(bytes[start]) == first {
                var offset = 1
                while offset < needle.count && folded(bytes[start + offset]) == needle[offset] { offset += 1 }
                if offset == needle.count { return true }
            }
            return false
        }
    }

    /// The kind a bare value belongs to by its prefix (`sk_live_…` is a Stripe live secret key).
    public static func kind(of value: String) -> SecretKind? {
        byPrefix.first { value.hasPrefix($0.prefix ?? "") }
    }

    /// Prefixed kinds, longest prefix first, so a prefix that extends another wins.
    private static let byPrefix = all.filter { $0.prefix != nil }.sorted { $0.prefix!.count > $1.prefix!.count }

    /// `text` with every secret of every kind replaced by what may be shown of it.
    public static func masking(in text: String) -> String {
        all.reduce(text) { $1.masking(in: $0) }
    }

    /// Whether `text` holds a secret of any kind.
    public static func occurs(in text: String) -> Bool {
        all.contains { $0.occurs(in: text) }
    }
}
