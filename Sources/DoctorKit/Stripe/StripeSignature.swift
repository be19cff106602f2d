import Foundation

/// Why a `Stripe-Signature` header did not verify, in the words of Stripe's own libraries.
public enum StripeSignatureError: Error, LocalizedError, Equatable, Sendable {
    /// The header value is empty or absent.
    case emptyHeader
    /// The header has no parsable `t=` timestamp.
    case noTimestamp
    /// The header carries no `v1` signature (only `v0` or unknown schemes).
    case noV1
    /// No `v1` signature matches the payload under the secret.
    case noMatch
    /// The signature matches but the timestamp is older than the tolerance allows.
    case tooOld(timestamp: Int)

    /// Stripe's message for this failure; never contains the secret.
    public var errorDescription: String? {
        switch self {
        case .emptyHeader: "No stripe-signature header value was provided."
        case .noTimestamp: "Unable to extract timestamp and signatures from header"
        case .noV1: "No signatures found with expected scheme v1"
        case .noMatch: "No signatures found matching the expected signature for payload"
        case .tooOld(let timestamp): "Timestamp outside the tolerance zone (\(timestamp))"
        }
    }
}

/// Stripe webhook signatures: computed, formatted, parsed and verified as Stripe's libraries do.
public enum StripeSignature {
    /// Stripe's default tolerance for a signature's age, in seconds.
    public static let defaultTolerance = 300

    /// The parts of a `Stripe-Signature` header that matter for verification.
    public struct Header: Sendable, Equatable {
        /// The `t=` value: when Stripe signed the payload, in Unix seconds.
        public var timestamp: Int?
        /// Every `v1=` value, in header order.
        public var v1: [String]
        /// Whether the header also carried a `v0` (test-mode decoy) signature.
        public var hasV0: Bool

        /// Creates a parsed header.
        public init(timestamp: Int?, v1: [String], hasV0: Bool = false) {
            self.timestamp = timestamp
            self.v1 = v1
            self.hasV0 = hasV0
        }
    }

    /// The lowercase hex HMAC-SHA256 of `"<timestamp>." + payload`, keyed with the whole secret
    /// (its `whsec_` prefix included, as Stripe does; unlike Svix, nothing is stripped or decoded).
    public static func compute(secret: String, timestamp: Int, payload: [UInt8]) -> String {
        HMACSHA256.hex(key: secret, message: signedPayload(timestamp: timestamp, payload: payload))
    }

    /// A header value `t=<timestamp>,v1=<signature>`, as stripe-node's `generateTestHeaderString`.
    public static func header(secret: String, timestamp: Int, payload: [UInt8]) -> String {
        "t=\(timestamp),v1=\(compute(secret: secret, timestamp: timestamp, payload: payload))"
    }

    /// Splits a header into its timestamp and `v1` signatures; other schemes are ignored.
    public static func parse(_ header: String) -> Header {
        var parsed = Header(timestamp: nil, v1: [])
        for item in header.split(separator: ",", omittingEmptySubsequences: true) {
            guard let equals = item.firstIndex(of: "=") else { continue }
            let key = item[..<equals].trimmingCharacters(in: .whitespaces)
            let value = item[item.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            switch key {
            case "t": parsed.timestamp = Int(value)
            case "v1": parsed.v1.append(value)
            case "v0": parsed.hasV0 = true
            default: continue  // Unknown schemes are ignored so a downgrade cannot be forced.
            }
        }
        return parsed
    }

    /// Verifies `header` for `payload` under `secret` at time `now` (Unix seconds).
    ///
    /// Like stripe-python: the signature is checked before the age, any `v1` may match (secret
    /// rolling), only timestamps older than `now - tolerance` fail (future ones pass), and a
    /// tolerance of 0 turns the age check off.
    public static func verify(
        payload: [UInt8], header: String, secret: String,
        tolerance: Int = defaultTolerance, now: Int
    ) throws(StripeSignatureError) {
        guard !header.trimmingCharacters(in: .whitespaces).isEmpty else { throw .emptyHeader }
        let parsed = parse(header)
        guard let timestamp = parsed.timestamp else { throw .noTimestamp }
        guard !parsed.v1.isEmpty else { throw .noV1 }
        let expected = compute(secret: secret, timestamp: timestamp, payload: payload)
        // Check every candidate rather than stopping at the first match, so timing does not
        // reveal which one matched.
        var matched = false
        for candidate in parsed.v1 where HMACSHA256.constantTimeEqual(expected, candidate) {
            matched = true
        }
        guard matched else { throw .noMatch }
        if tolerance > 0, timestamp < now - tolerance { throw .tooOld(timestamp: timestamp) }
    }

    /// Verifies against the current clock.
    public static func verify(
        payload: [UInt8], header: String, secret: String, tolerance: Int = defaultTolerance
    ) throws(StripeSignatureError) {
        try verify(
            payload: payload, header: header, secret: secret, tolerance: tolerance,
            now: Int(Date().timeIntervalSince1970))
    }

    static func signedPayload(timestamp: Int, payload: [UInt8]) -> [UInt8] {
        Array("\(timestamp).".utf8) + payload
    }
}
