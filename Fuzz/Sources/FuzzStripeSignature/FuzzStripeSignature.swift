// The Stripe-Signature parser and verifier over arbitrary headers. Input: the header, then after a
// newline (when present) the payload. Checks that a header naming the right signature among any
// junk still verifies, whatever the parser made of the rest.
import DoctorKit
import Foundation

let secret = "whsec_fuzz_0123456789abcdef"

/// One input: libFuzzer's LLVMFuzzerTestOneInput.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let cut = bytes.firstIndex(of: 0x0A) ?? bytes.endIndex
    let header = String(decoding: bytes[..<cut], as: UTF8.self)
    let payload = cut < bytes.endIndex ? Array(bytes[(cut + 1)...]) : []

    let parsed = StripeSignature.parse(header)
    do throws(StripeSignatureError) {
        try StripeSignature.verify(payload: payload, header: header, secret: secret, tolerance: 300, now: 1_700_000_000)
        // Verified: then there is a timestamp and one v1 is the real signature.
        let timestamp = parsed.timestamp!
        precondition(parsed.v1.contains(StripeSignature.compute(secret: secret, timestamp: timestamp, payload: payload)))
    } catch {
        _ = error.errorDescription
    }
    // A good signature put before any ASCII header (real ones are ASCII) still verifies, unless the
    // header has a `t` of its own, which wins as in Stripe's libraries.
    let ownT = header.split(separator: ",").contains {
        $0.split(separator: "=", maxSplits: 1).first?.trimmingCharacters(in: .whitespaces) == "t" && $0.contains("=")
    }
    if header.utf8.allSatisfy({ $0 < 0x80 }), !ownT {
        let good = StripeSignature.header(secret: secret, timestamp: 1_700_000_000, payload: payload)
        let combined = good + "," + header
        do throws(StripeSignatureError) {
            try StripeSignature.verify(payload: payload, header: combined, secret: secret, tolerance: 300, now: 1_700_000_000)
        } catch {
            preconditionFailure("a valid signature before \(header.debugDescription) did not verify: \(error)")
        }
    }
    return 0
}
