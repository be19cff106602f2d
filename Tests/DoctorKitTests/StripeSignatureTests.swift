import DoctorKit
import Testing

@Suite("Stripe webhook signatures")
struct StripeSignatureTests {
    static let secret = "whsec_test_secret"
    static let payload = Array(#"{"id":"evt_test_webhook","object":"event"}"#.utf8)
    static let t = 1_700_000_000

    @Test("matches the independently computed vectors byte for byte")
    func vectors() {
        #expect(StripeSignature.compute(secret: Self.secret, timestamp: Self.t, payload: Self.payload)
            == "d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990")
        #expect(StripeSignature.compute(secret: Self.secret, timestamp: Self.t, payload: [])
            == "316b9ab98c15bfa039d243f3196acee619cf29749a91a634e6a8154e2f7b6727")
        #expect(StripeSignature.compute(secret: "test_secret", timestamp: Self.t, payload: Self.payload)
            == "9a61facb110a7a0b8d9c2708494d20b0106824ae1ce6a08210268808700c151f")
    }

    @Test("a signature made with the whsec_ prefix stripped does not verify")
    func strippedPrefixDoesNotMatch() {
        let header = "t=\(Self.t),v1=9a61facb110a7a0b8d9c2708494d20b0106824ae1ce6a08210268808700c151f"
        #expect(throws: StripeSignatureError.noMatch) {
            try StripeSignature.verify(payload: Self.payload, header: header, secret: Self.secret, now: Self.t)
        }
    }

    @Test("a generated header verifies, and names its timestamp and signature")
    func roundTrip() throws {
        let header = StripeSignature.header(secret: Self.secret, timestamp: Self.t, payload: Self.payload)
        #expect(header == "t=1700000000,v1=d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990")
        try StripeSignature.verify(payload: Self.payload, header: header, secret: Self.secret, now: Self.t + 10)
    }

    @Test("one changed body byte breaks the signature")
    func tamperedBody() {
        let header = StripeSignature.header(secret: Self.secret, timestamp: Self.t, payload: Self.payload)
        var tampered = Self.payload
        tampered[tampered.count - 2] ^= 0x01
        #expect(throws: StripeSignatureError.noMatch) {
            try StripeSignature.verify(payload: tampered, header: header, secret: Self.secret, now: Self.t)
        }
    }

    @Test("any v1 may match, as while a secret is being rolled")
    func multipleV1() throws {
        let good = StripeSignature.compute(secret: Self.secret, timestamp: Self.t, payload: Self.payload)
        try StripeSignature.verify(
            payload: Self.payload, header: "t=\(Self.t),v1=bad_signature,v1=\(good),v0=6ffbb59b2300aae63f",
            secret: Self.secret, now: Self.t)
        try StripeSignature.verify(
            payload: Self.payload, header: "t=\(Self.t),v1=\(good),v1=bad_signature",
            secret: Self.secret, now: Self.t)
    }

    @Test("a v0-only header has no v1 signature, even when v0 holds the right MAC")
    func v0Only() {
        let good = StripeSignature.compute(secret: Self.secret, timestamp: Self.t, payload: Self.payload)
        #expect(throws: StripeSignatureError.noV1) {
            try StripeSignature.verify(
                payload: Self.payload, header: "t=\(Self.t),v0=\(good)", secret: Self.secret, now: Self.t)
        }
    }

    @Test("a header without a timestamp is malformed", arguments: [
        "v1=abc", "garbage", "t=notanumber,v1=abc", "t=,v1=abc",
    ])
    func malformed(header: String) {
        #expect(throws: StripeSignatureError.noTimestamp) {
            try StripeSignature.verify(payload: Self.payload, header: header, secret: Self.secret, now: Self.t)
        }
    }

    @Test("an empty header is reported as missing")
    func emptyHeader() {
        #expect(throws: StripeSignatureError.emptyHeader) {
            try StripeSignature.verify(payload: Self.payload, header: "", secret: Self.secret, now: Self.t)
        }
    }

    @Test("a signature older than the tolerance is rejected after the MAC check")
    func tooOld() {
        let header = StripeSignature.header(secret: Self.secret, timestamp: Self.t, payload: Self.payload)
        #expect(throws: StripeSignatureError.tooOld(timestamp: Self.t)) {
            try StripeSignature.verify(
                payload: Self.payload, header: header, secret: Self.secret, tolerance: 300, now: Self.t + 301)
        }
        // At exactly the tolerance it still passes: only t < now - tolerance fails.
        #expect(throws: Never.self) {
            try StripeSignature.verify(
                payload: Self.payload, header: header, secret: Self.secret, tolerance: 300, now: Self.t + 300)
        }
        // A bad signature that is also old is reported as a bad signature, as stripe-python does.
        #expect(throws: StripeSignatureError.noMatch) {
            try StripeSignature.verify(
                payload: Self.payload, header: "t=\(Self.t),v1=00", secret: Self.secret, now: Self.t + 10_000)
        }
    }

    @Test("a timestamp in the future passes; tolerance 0 turns the age check off")
    func futureAndNoTolerance() throws {
        let future = StripeSignature.header(secret: Self.secret, timestamp: Self.t + 3_600, payload: Self.payload)
        try StripeSignature.verify(payload: Self.payload, header: future, secret: Self.secret, now: Self.t)
        let ancient = StripeSignature.header(secret: Self.secret, timestamp: 12_345, payload: Self.payload)
        try StripeSignature.verify(payload: Self.payload, header: ancient, secret: Self.secret, tolerance: 0, now: Self.t)
    }

    @Test("messages are Stripe's own words and never contain the secret")
    func messages() {
        let cases: [(StripeSignatureError, String)] = [
            (.noTimestamp, "Unable to extract timestamp and signatures from header"),
            (.noV1, "No signatures found with expected scheme v1"),
            (.noMatch, "No signatures found matching the expected signature for payload"),
            (.tooOld(timestamp: 42), "Timestamp outside the tolerance zone (42)"),
            (.emptyHeader, "No stripe-signature header value was provided."),
        ]
        for (error, message) in cases {
            #expect(error.errorDescription == message)
            #expect(!(error.errorDescription ?? "").contains("whsec_"))
        }
    }

    @Test("HMAC helper: lowercase hex and constant-time comparison")
    func hmacHelpers() {
        // RFC 4231 test case 2.
        #expect(HMACSHA256.hex(key: "Jefe", message: Array("what do ya want for nothing?".utf8))
            == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(HMACSHA256.hex(key: [UInt8](), message: []).count == 64)
        #expect(HMACSHA256.constantTimeEqual("abc", "abc"))
        #expect(!HMACSHA256.constantTimeEqual("abc", "abd"))
        #expect(!HMACSHA256.constantTimeEqual("abc", "abcd"))
    }
}
