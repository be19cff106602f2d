/// A short excerpt of an HTTP response body, for evidence and error messages.
///
/// The one place excerpts are made, so each is redacted the same way and before it is cut: a
/// secret cut in half is no longer recognised by the redactor a sink applies later.
public enum BodyExcerpt {
    /// The most characters an excerpt keeps (an ellipsis marks the cut).
    public static let limit = 300

    /// How far past the cut the redactor looks, so a secret that starts before the cut and ends
    /// after it is still recognised whole. Redacting only this window keeps an excerpt cheap: the
    /// redactor's patterns run over a 1 MiB body (the HTTP read cap) for the better part of a minute.
    static let redactionWindow = limit + 4096

    /// The start of `text` (only its first line when `firstLineOnly`) redacted by `redact`, on one line.
    public static func of(
        _ text: String, firstLineOnly: Bool = false, redactedBy redact: (String) -> String = Redactor.redactPatternsOnly
    ) -> String {
        let start = firstLineOnly ? text.drop(while: \.isNewline).prefix { !$0.isNewline } : Substring(text)
        let part = String(start.prefix(redactionWindow))
        let flat = redact(part).split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).joined(separator: " ")
        return flat.count > limit ? String(flat.prefix(limit)) + "…" : flat
    }
}
