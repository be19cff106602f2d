extension SecretKind {
    /// Every kind of secret the doctor recognises, in the order the redactor applies them.
    ///
    /// API keys come before bearer tokens, so `Bearer sk_live_…4f2a` keeps the key's safe display.
    public static let all: [SecretKind] = [
        // Stripe shows a rejected key as its prefix, stars and last four: `*` is a key character here.
        .apiKey("Stripe live secret key", prefix: "sk_live_", stripeMode: "live", characters: "A-Za-z0-9_*",
                example: "sk_live_abc_defGHIJ1234"),
        .apiKey("Stripe test secret key", prefix: "sk_test_", stripeMode: "test", characters: "A-Za-z0-9_*",
                example: "sk_test_51Abc_DefGhiJkl5678"),
        .apiKey("Stripe live restricted key", prefix: "rk_live_", stripeMode: "live", characters: "A-Za-z0-9_*",
                example: "rk_live_51Qrs_TuvWxyZ0246"),
        .apiKey("Stripe test restricted key", prefix: "rk_test_", stripeMode: "test", characters: "A-Za-z0-9_*",
                example: "rk_test_x_y_zzzz9999"),
        // Publishable keys are public by design, but one typed where a secret key belongs says too much.
        .apiKey("Stripe live publishable key", prefix: "pk_live_", characters: "A-Za-z0-9_*",
                example: "pk_live_51Pub_LiveKey1357"),
        .apiKey("Stripe test publishable key", prefix: "pk_test_", characters: "A-Za-z0-9_*",
                example: "pk_test_51Pub_TestKey8642"),
        SecretKind(
            "Stripe webhook signing secret", prefix: "whsec_", shown: .prefixOnly,
            lead: "(?<![A-Za-z0-9])", body: "whsec_[A-Za-z0-9+/=_-]+", trigger: "whsec_",
            example: Example(text: "verifying with whsec_test_secret_value failed", secret: "whsec_test_secret_value")),
        // A payment's client secret (a canary's answer holds one): the intent's id stays readable.
        SecretKind(
            "Stripe client secret", shown: .nothing, lead: "(?<![A-Za-z0-9])(?:pi|seti)_[A-Za-z0-9]+", body: "_secret_[A-Za-z0-9]+",
            trigger: "_secret_",
            example: Example(text: "confirmed pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_YrKJUKribcBjcG8HVhfZluoGH", secret: "_secret_YrKJUKribcBjcG8HVhfZluoGH")),
        .apiKey("Render API key", prefix: "rnd_", example: "rnd_ab_cdEFGH5678"),
        // Sentry's auth tokens: organization tokens carry base64 (`+/=`) and an `_` before their
        // signature, user tokens are hex. Nothing of either is shown: a token reads a whole project.
        .apiKey("Sentry organization auth token", prefix: "sntrys_", shown: .prefixOnly, characters: "A-Za-z0-9_+/=",
                example: "sntrys_eyJpYXQiOjE3MDAwMDAwMDB9_Zk9xQ2hT3mP0a+Lw/8="),
        .apiKey("Sentry user auth token", prefix: "sntryu_", shown: .prefixOnly, characters: "A-Fa-f0-9",
                example: "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"),
        // Possessive, and not before `…`: a key masked above stays as it is shown.
        SecretKind(
            "bearer token", shown: .nothing, lead: #"(?i:\bbearer\s+)"#, body: "[A-Za-z0-9._~+/=-]{6,}+", followedBy: "[^…]|$",
            trigger: "bearer", triggerIgnoresCase: true,
            example: Example(text: "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.c2VjcmV0",
                             secret: "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0")),
        SecretKind(
            "credential query value", shown: .nothing,
            lead: #"(?i:\b(?:"# + credentialParameters.joined(separator: "|") + ")=)", body: #"[^&\s"']+"#, trigger: "=",
            example: Example(text: "GET /v1/report?day=2&token=Zx81kLm0qPw", secret: "Zx81kLm0qPw")),
        SecretKind(
            "password in a URL", shown: .nothing, lead: #"(?i:[a-z][a-z0-9+.-]*)://[^:/@\s]*:"#, body: #"[^@\s]+"#,
            followedBy: "@", trigger: "://",
            example: Example(text: "connect postgresql://payments:Hx7pLq29vN@db.internal:5432/payments failed",
                             secret: "Hx7pLq29vN")),
        SecretKind(
            "Sentry DSN key", shown: .nothing, lead: "(?i:https?)://", body: "[0-9a-fA-F]{16,}", followedBy: "@", trigger: "://",
            example: Example(text: "SENTRY_DSN=https://0123456789abcdef0123456789abcdef@o1.ingest.sentry.io/42",
                             secret: "0123456789abcdef0123456789abcdef")),
    ]

    /// Query parameters whose value is a credential (`?api_key=…`, `&token=…`), longest first so
    /// `access_token` is not read as `token`.
    static let credentialParameters = ["client_secret", "access_token", "api_key", "password", "apikey", "passwd", "secret", "token"]
}
