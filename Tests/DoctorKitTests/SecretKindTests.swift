import Foundation
import Testing
@testable import DoctorKit

/// Issue 10 point 6: every secret kind is listed once, in `SecretKind.all`, and every sink (the
/// redactor, the history filter, the displays, a key's mode) derives from that list.
@Suite("Secret kinds")
struct SecretKindTests {
    /// A redactor that knows no secret: only the table's patterns can catch anything.
    let unconfigured = Redactor(Configuration())

    func historyKeeps(_ line: String) -> Bool {
        HistoryFilter.allows(line, redactor: unconfigured, previous: nil)
    }

    @Test("keys with underscores in their body are masked in free text and kept out of the history, configured or not")
    func underscoredKeys() {
        let shown = [
            "sk_live_abc_defGHIJ1234": "sk_live_…1234",
            "rk_test_x_y_zzzz9999": "rk_test_…9999",
            "whsec_test_secret_value": "whsec_…",
            "rnd_ab_cdEFGH5678": "rnd_…5678",
        ]
        for (key, display) in shown {
            #expect(unconfigured.redact("error: \(key) was refused") == "error: \(display) was refused")
            #expect(unconfigured.redact("{\"key\":\"\(key)\"}") == "{\"key\":\"\(display)\"}")
            #expect(!historyKeeps("note rotated \(key) today"), "\(key)")
            #expect(!historyKeeps("set API_URL=https://x.onrender.com/?k=\(key)"), "\(key)")
        }
        // The signing secret shows nothing of its body, not even its last four.
        #expect(!unconfigured.redact("whsec_test_secret_value").contains("alue"))
    }

    @Test("the literal a kind needs never hides a match: any case of a URL scheme or of Bearer is still masked")
    func triggersNeverHideAMatch() {
        let cases = [
            "connect POSTGRESQL://payments:Hx7pLq29vN@db.internal:5432/payments failed": "Hx7pLq29vN",
            "Redis at Rediss://default:Qw3rTy9uIo@cache:6380": "Qw3rTy9uIo",
            "SENTRY_DSN=HTTPS://0123456789abcdef0123456789abcdef@o1.ingest.sentry.io/42": "0123456789abcdef0123456789abcdef",
            "Authorization: BEARER eyJhbGciOiJIUzI1NiJ9.c2VjcmV0": "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0",
            "GET /v1/report?TOKEN=Zx81kLm0qPw&day=2": "Zx81kLm0qPw",
        ]
        for (text, secret) in cases {
            #expect(!unconfigured.redact(text).contains(secret), "\(text)")
            #expect(SecretKind.occurs(in: text), "\(text)")
        }
        // Every kind's own example still matches with its regex alone, so the literal is in each.
        for kind in SecretKind.all {
            #expect(kind.mayOccur(in: kind.example.text), "\(kind.name)")
        }
        #expect(!SecretKind.all.contains { $0.mayOccur(in: "[✓] The API answers its health check: HTTP 200 in 182ms") })
    }

    @Test("every kind in the table is masked by the redactor, refused by the history and shown only as it allows")
    func everyKindReachesEverySink() {
        #expect(SecretKind.all.count >= 12)
        for kind in SecretKind.all {
            let example = kind.example
            #expect(example.text.contains(example.secret), "\(kind.name): the example must hold its secret")
            #expect(kind.occurs(in: example.text), "\(kind.name): the pattern must find its own example")

            // The redactor, unconfigured and configured with the value.
            let redacted = unconfigured.redact(example.text)
            expectMasked(redacted, kind, "unconfigured redactor")
            var configuration = Configuration()
            configuration.set("SOME_SECRET", example.secret, origin: .process)
            expectMasked(Redactor(configuration).redact(example.text), kind, "configured redactor")
            expectMasked(Redactor.redactPatternsOnly(example.text), kind, "pattern-only redaction")

            // The history filter.
            #expect(!historyKeeps(example.text), "\(kind.name): kept in the history")
            #expect(!historyKeeps("note " + example.secret) || kind.prefix == nil, "\(kind.name): bare value kept")

            // The displays.
            let display = Redactor.display(example.secret)
            #expect(!display.contains(example.secret), "\(kind.name)")
            if let prefix = kind.prefix {
                #expect(SecretKind.kind(of: example.secret)?.name == kind.name)
                #expect(display == kind.show(example.secret))
                #expect(SecretMask.apiKey(example.secret) == display)
                #expect(display.hasPrefix(prefix + "…"), "\(kind.name): \(display)")
                #expect(SecretMask.stripeMode(ofKey: example.secret) == kind.stripeMode)
            } else {
                #expect(display == Redactor.mask)
            }
        }
    }

    /// `text` holds nothing of the secret beyond what its kind may show.
    func expectMasked(_ text: String, _ kind: SecretKind, _ sink: String) {
        let secret = kind.example.secret
        #expect(!text.contains(secret), "\(sink) leaks \(kind.name): \(text)")
        switch kind.shown {
        case .prefixAndLastFour:
            let prefix = kind.prefix ?? ""
            #expect(text.contains(prefix + "…" + secret.suffix(4)), "\(sink), \(kind.name): \(text)")
            #expect(!text.contains(secret.dropFirst(prefix.count).dropLast(4)), "\(sink), \(kind.name): \(text)")
        case .prefixOnly:
            let body = Array(secret.dropFirst((kind.prefix ?? "").count))
            for start in 0...(body.count - 4) where text.contains(String(body[start..<start + 4])) {
                Issue.record("\(sink) shows part of \(kind.name): \(text)")
            }
        case .nothing:
            #expect(text.contains(Redactor.mask), "\(sink), \(kind.name): \(text)")
        }
    }

    @Test("the Stripe mode of a key comes from its kind; publishable keys and other secrets have none")
    func keyModes() {
        #expect(SecretMask.stripeMode(ofKey: "sk_live_abc_defGHIJ1234") == "live")
        #expect(SecretMask.stripeMode(ofKey: "rk_test_x_y_zzzz9999") == "test")
        #expect(SecretMask.stripeMode(ofKey: "pk_live_51Pub_LiveKey1357") == nil)
        #expect(SecretMask.stripeMode(ofKey: "whsec_test_secret_value") == nil)
        #expect(SecretMask.stripeMode(ofKey: "sk_prod_abcdefgh1234") == nil)
    }

    @Test("the history keeps ordinary lines, mentions of prefixes and masked keys, and refuses named credentials")
    func historyLines() {
        #expect(historyKeeps("run webhooks-not-arriving"))
        #expect(historyKeeps("set API_URL=http://127.0.0.1:9"))
        #expect(historyKeeps("note the live key starts with sk_live_ and the secret with whsec_"))
        #expect(historyKeeps("note the key sk_live_…1234 was rotated"))
        #expect(!historyKeeps("note the db password: hunter2"))
        #expect(!historyKeeps("set STRIPE_SECRET_KEY"))
        #expect(!historyKeeps(" env"))
        #expect(!HistoryFilter.allows("env", redactor: unconfigured, previous: "env"))
    }

    @Test("Stripe's own starred display of a rejected key is reduced to prefix and last four")
    func starredKey() {
        #expect(unconfigured.redact("Invalid API Key provided: sk_test_************************KEYZ")
            == "Invalid API Key provided: sk_test_…KEYZ")
        #expect(unconfigured.redact("Authorization: Bearer sk_live_abc_defGHIJ1234") == "Authorization: Bearer sk_live_…1234")
    }
}
