/// Checks `STRIPE_SECRET_KEY` and `STRIPE_WEBHOOK_SECRET` by their shape, never quoting them.
enum StripeKeyValidator {
    /// The secret and restricted key prefixes, with the mode and kind each stands for.
    static let secretPrefixes: [(prefix: String, description: String)] = [
        ("sk_live_", "live mode secret key"), ("sk_test_", "test mode secret key"),
        ("rk_live_", "live mode restricted key"), ("rk_test_", "test mode restricted key"),
    ]

    /// Whether `key` is a live-mode secret or restricted key.
    static func isLive(_ key: String) -> Bool { key.hasPrefix("sk_live_") || key.hasPrefix("rk_live_") }

    static func secretKey(_ name: String, _ value: String) -> VariableFinding {
        let shown = SecretMask.apiKey(value)
        var result = FindingBuilder(name: name, shown: shown)
        if value.containsWhitespace {
            result.fail("contains whitespace: a copy-paste error")
        }
        let key = value.filter { !$0.isWhitespace }
        if key.hasPrefix("whsec_") {
            result.shown = "whsec_…"
            result.fail("this is a webhook signing secret, not an API key")
        } else if key.hasPrefix("pk_") {
            result.fail("this is a publishable key; the server needs the secret key (sk_…)")
        } else if let match = secretPrefixes.first(where: { key.hasPrefix($0.prefix) }) {
            let body = key.dropFirst(match.prefix.count)
            if body.isEmpty {
                result.fail("nothing after \(match.prefix): the key is cut off")
            } else {
                checkBody(body, after: match.prefix, into: &result)
            }
            return result.finding(passMessage: "\(match.description) (\(shown))")
        } else {
            let found = foundPrefix(key).map { "unexpected prefix \($0)" } ?? "no recognisable prefix"
            result.fail("\(found): a secret key starts with sk_live_ or sk_test_ (restricted keys: rk_live_, rk_test_)")
        }
        return result.finding(passMessage: "")
    }

    static func webhookSecret(_ name: String, _ value: String) -> VariableFinding {
        var result = FindingBuilder(name: name, shown: "whsec_…")
        if value.containsWhitespace { result.fail("contains whitespace: a copy-paste error") }
        let secret = value.filter { !$0.isWhitespace }
        if secret.hasPrefix("sk_") || secret.hasPrefix("rk_") || secret.hasPrefix("pk_") {
            result.shown = SecretMask.apiKey(secret)
            result.fail("this is a Stripe API key, not the endpoint's signing secret (whsec_…)")
        } else if !secret.hasPrefix("whsec_") {
            result.shown = SecretMask.hidden
            result.fail("must start with whsec_: copy the endpoint's signing secret from the Stripe dashboard")
        } else {
            let body = secret.dropFirst("whsec_".count)
            if body.isEmpty {
                result.fail("nothing after whsec_: the signing secret is cut off")
            } else {
                checkBody(body, after: "whsec_", into: &result)
                // Stripe's own secrets have 32 characters after the prefix, but its test fixtures
                // (`whsec_test_secret`) are shorter and work: a short body is only unusual.
                if body.count < usualBodyLength {
                    result.warn("only \(body.count) characters after whsec_, fewer than Stripe's signing secrets have (cut off?)")
                }
            }
        }
        return result.finding(passMessage: "webhook signing secret (whsec_…)")
    }

    /// Below this many characters after `whsec_` a signing secret is unusual (Stripe issues 32).
    static let usualBodyLength = 16

    /// Judges the characters after a key's prefix by the rule of issue 10: only a definite copy
    /// error fails (a quote, a backslash, a control character); letters, digits and `_` are what
    /// Stripe's keys and fixtures hold; anything else is unusual, a warning at most.
    static func checkBody(_ body: Substring, after prefix: String, into result: inout FindingBuilder) {
        if body.contains(where: { "\"'`\\".contains($0) }) {
            result.fail("a quote or backslash after \(prefix): a stray quote from copying the value")
        } else if body.contains(where: { $0.isASCII && ($0.asciiValue! < 0x20 || $0.asciiValue! == 0x7f) }) {
            result.fail("a control character after \(prefix): a copy-paste error")
        } else if !body.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) {
            result.warn("unusual characters after \(prefix) (Stripe's are letters, digits and _): check the value was copied whole")
        }
    }

    /// The prefix of an unrecognised key up to its second `_` (`sk_prod_`), when it is short and
    /// plain enough not to be key material.
    static func foundPrefix(_ key: String) -> String? {
        let segments = key.split(separator: "_", maxSplits: 2, omittingEmptySubsequences: false)
        func isWord(_ text: Substring, letters: Bool) -> Bool {
            (1...8).contains(text.count)
                && text.allSatisfy { $0.isASCII && ($0.isLetter || (!letters && $0.isNumber)) }
        }
        guard segments.count >= 2, isWord(segments[0], letters: false) else { return nil }
        let prefix = segments.count == 3 && isWord(segments[1], letters: true)
            ? segments[0] + "_" + segments[1] + "_" : segments[0] + "_"
        // A value that is nothing but "prefix" would be echoed whole (found by fuzzing).
        return prefix.count < key.count ? String(prefix) : nil
    }
}
