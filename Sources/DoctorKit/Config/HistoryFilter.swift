import Foundation

/// Decides which lines typed in the interactive session may be kept in its history: never one that
/// could hold a secret.
///
/// The decision is made before a line reaches libedit's history (not when saving), so a secret
/// never sits in memory that is later written out. It lives here rather than in the executable so
/// it derives from the same `SecretKind.all` as the redactor, and tests can reach it.
public enum HistoryFilter {
    /// Whether `line` may be recorded, given the redactor of the session's secrets and the line before.
    public static func allows(_ line: String, redactor: Redactor, previous: String?) -> Bool {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed != previous else { return false }
        // A leading space keeps a line out of the history, as in bash's ignorespace.
        if line.first == " " { return false }
        let words = trimmed.split(separator: " ", maxSplits: 1).map(String.init)
        if words.first == "set", words.count == 2 {
            let name = String(words[1].prefix { $0 != "=" && $0 != " " })
            if Configuration.isSecret(name) { return false }
        }
        // Anything a redactor would change holds a known secret, a secret-shaped token or personal data.
        return redactor.redact(line) == line && !looksSecret(line)
    }

    /// Whether `line` holds a secret of any kind, or names a credential and gives it a value.
    static func looksSecret(_ line: String) -> Bool {
        SecretKind.occurs(in: line) || line.range(of: namedCredential, options: .regularExpression) != nil
    }

    /// `password: hunter2`, `secret = x`: what an operator types in a note. Not a `SecretKind`: in
    /// the doctor's own output `STRIPE_WEBHOOK_SECRET: must start with whsec_` is no secret.
    private static let namedCredential = #"(?i)(api_key|token|secret|password|passwd)\s*[=:]\s*\S+"#
}
