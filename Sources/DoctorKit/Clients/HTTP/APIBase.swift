import Foundation

/// The base URL of an API the doctor calls (Stripe's, Render's, or an override for tests).
enum APIBase {
    /// `text` without surrounding spaces or trailing slashes, when it is an absolute http(s) URL
    /// with a host; nil otherwise, so a client refuses it before sending a key anywhere.
    static func normalized(_ text: String) -> String? {
        var base = text.trimmingCharacters(in: .whitespaces)
        while base.hasSuffix("/") { base.removeLast() }
        return Origin(base) == nil ? nil : base
    }
}
