// The runbook loader over arbitrary bytes: YAML parsing, the model, every check kind's decoder.
import DoctorKit

/// One input: libFuzzer's LLVMFuzzerTestOneInput.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let yaml = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let loader = RunbookLoader(registry: .standard)
    do {
        let runbook = try loader.load(yaml: yaml, file: "fuzz.yml")
        _ = runbook.steps.count
    } catch {
        // Errors must describe themselves (file:line:column) without trapping.
        _ = error.description
    }
    return 0
}
