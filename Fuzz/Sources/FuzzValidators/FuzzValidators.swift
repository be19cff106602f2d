// Every variable validator over arbitrary values. Input: one byte choosing the variable, then its
// value; a 0 byte, when present, ends the value and starts a second variable's (DATABASE_URL for
// DIRECT_URL and the other way round) so the validators that look at related variables run too.
import DoctorKit
import Foundation

let names = VariableValidators.validated.sorted() + ["SENTRY_AUTH_TOKEN", "PORT"]
/// Secrets without a URL's shape: their value must never appear whole in what a finding says.
let opaqueSecrets: Set<String> = ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "RENDER_API_KEY", "SENTRY_AUTH_TOKEN"]

/// One input: libFuzzer's LLVMFuzzerTestOneInput.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let selector = bytes.first else { return 0 }
    let name = names[Int(selector) % names.count]
    let rest = bytes.dropFirst()
    let cut = rest.firstIndex(of: 0) ?? rest.endIndex
    let value = String(decoding: rest[..<cut], as: UTF8.self)
    let other = cut < rest.endIndex ? String(decoding: rest[(cut + 1)...], as: UTF8.self) : nil

    var configuration = Configuration()
    configuration.set(name, value, origin: .process)
    if let other {
        configuration.set(name == "DATABASE_URL" ? "DIRECT_URL" : "DATABASE_URL", other, origin: .process)
    }
    let finding = VariableValidators.validate(name, value, in: configuration)
    precondition(finding.name == name)
    // A value with a scheme before `://` is a URL and is masked as one (host shown); any other
    // secret must not appear whole.
    let scheme = value.range(of: "://").map { value[..<$0.lowerBound] } ?? ""
    let urlShaped = scheme.first.map { $0.isASCII && $0.isLetter } == true
        && scheme.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }
    if opaqueSecrets.contains(name), value.count >= 12, !urlShaped {
        precondition(!finding.message.contains(value), "\(name)'s value is in the message")
        precondition(!(finding.shown ?? "").contains(value), "\(name)'s value is shown whole")
    }
    _ = VariableValidators.display(name, value)
    return 0
}
