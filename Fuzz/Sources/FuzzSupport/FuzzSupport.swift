import CFuzz
import Foundation

/// Hands the process to libFuzzer, which calls the target's `LLVMFuzzerTestOneInput`.
///
/// SwiftPM links an executable's entry point under another name (`--defsym main=<Target>_main`),
/// so libFuzzer's own `main` never runs: each target's main.swift calls this instead.
public func runFuzzer() -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput))
}
