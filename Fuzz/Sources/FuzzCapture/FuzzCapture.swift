// The capture-file parser (`doctor` reads a captured webhook delivery: HTTP head or JSON) and the
// body's alternative layouts, over arbitrary bytes.
import DoctorKit

/// One input: libFuzzer's LLVMFuzzerTestOneInput.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do throws(CapturedDeliveryError) {
        let capture = try CapturedDelivery.parse(bytes, path: "fuzz.capture")
        _ = StripeSignature.parse(capture.header)
        for alternative in capture.alternatives { _ = alternative.body.count }
    } catch {
        _ = error.errorDescription
    }
    return 0
}
