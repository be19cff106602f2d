import Testing
@testable import DoctorKit

/// Issue 10 point 6: one helper makes every response-body excerpt, redacted before it is cut.
@Suite("Body excerpts")
struct BodyExcerptTests {
    @Test("an excerpt is redacted before it is cut, so a secret at the cut does not leak in part")
    func redactedBeforeCut() {
        // The password starts before the cut and ends after it.
        let padding = String(repeating: "x", count: BodyExcerpt.limit - 30)
        let body = padding + " postgresql://payments:LongPassword123@db.internal/payments\nnext line"
        let excerpt = BodyExcerpt.of(body)
        #expect(!excerpt.contains("LongPa"))
        #expect(excerpt.hasSuffix("…"))
        #expect(excerpt.count == BodyExcerpt.limit + 1)

        var configuration = Configuration()
        configuration.set("DATABASE_PASSWORD", "Zq7XplainSecret", origin: .process)
        let nearCut = String(repeating: "y", count: BodyExcerpt.limit - 5) + " Zq7XplainSecret"
        let known = BodyExcerpt.of(nearCut, redactedBy: Redactor(configuration).redact)
        #expect(!known.contains("Zq7X"))
    }

    @Test("an excerpt is one line; the first-line form keeps only the first")
    func oneLine() {
        let body = "Webhook Error: No signatures found\r\nat verify (stripe.js:12)\nsk_live_abc_defGHIJ1234"
        #expect(BodyExcerpt.of(body) == "Webhook Error: No signatures found at verify (stripe.js:12) sk_live_…1234")
        #expect(BodyExcerpt.of(body, firstLineOnly: true) == "Webhook Error: No signatures found")
        #expect(BodyExcerpt.of("") == "")
    }
}
