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

    @Test("a 1 MiB body (the HTTP read cap) is excerpted at once, and a secret across the cut is still masked")
    func largeBody() {
        // Letters without an end: the shape that made the redactor's patterns crawl over a whole body.
        let body = String(repeating: "a", count: 1 << 20)
        let clock = ContinuousClock()
        let start = clock.now
        let excerpt = BodyExcerpt.of(body)
        #expect(clock.now - start < .seconds(1), "took \(clock.now - start)")
        #expect(excerpt == String(repeating: "a", count: BodyExcerpt.limit) + "…")

        let secret = String(repeating: "b", count: BodyExcerpt.limit - 10) + " sk_live_" + String(repeating: "Z", count: 40) + "9x8y"
        let masked = BodyExcerpt.of(secret + " " + String(repeating: "c", count: 1 << 20), firstLineOnly: true)
        #expect(!masked.contains("ZZZZ"))
        #expect(masked.hasSuffix("…"))
    }
}
