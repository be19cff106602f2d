/// A short excerpt of an HTTP response body, for evidence and error messages.
///
/// The one place excerpts are made, so each is redacted the same way and before it is cut: a
/// secret cut in half is no longer recognised by the redactor a sink applies later.
public enum BodyExcerpt {
    /// The most characters an excerpt keeps (an ellipsis marks the cut).
    public static let limit = 300

    /// The start of `text` (only its first line when `firstLineOnly`) redacted by `redact`, on one line.
    public static func of(
        _ text: String, firstLineOnly: Bool = false, redactedBy redact: (String) -> String = Redactor.redactPatternsOnly
    ) -> String {
        let part = firstLineOnly ? text.split(whereSeparator: \.isNewline).first.map(String.init) ?? "" : text
        let flat = redact(part).split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).joined(separator: " ")
        return flat.count > limit ? String(flat.prefix(limit)) + "…" : flat
    }
}
