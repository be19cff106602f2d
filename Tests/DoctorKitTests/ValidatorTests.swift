import Foundation
import Testing

@testable import DoctorKit

/// A password distinctive enough that any 4-character piece of it in an output is a leak.
private let password = "Zq7Xw9VkMnB4"

/// Every 4-character piece of `secret`.
private func fragments(_ secret: String) -> [String] {
    let characters = Array(secret)
    guard characters.count >= 4 else { return [secret] }
    return (0...(characters.count - 4)).map { String(characters[$0..<$0 + 4]) }
}

/// Expects that no piece of `secret` appears in the finding's message or display.
private func expectNoLeak(_ finding: VariableFinding, of secret: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    for piece in fragments(secret) {
        #expect(!finding.message.contains(piece), "message leaks \(piece)", sourceLocation: sourceLocation)
        #expect(!(finding.shown ?? "").contains(piece), "shown leaks \(piece)", sourceLocation: sourceLocation)
    }
}

private func validate(_ name: String, _ value: String, _ configuration: Configuration = Configuration()) -> VariableFinding {
    VariableValidators.validate(name, value, in: configuration)
}

@Suite("SecretMask")
struct SecretMaskTests {
    @Test func apiKeysShowTheirPrefixAndLastFour() {
        #expect(SecretMask.apiKey("sk_live_51HxQ9ZqLmNoPaBc4f2a") == "sk_live_…4f2a")
        #expect(SecretMask.apiKey("rk_test_51HxQ9ZqLmNoPaBc9x0z") == "rk_test_…9x0z")
        #expect(SecretMask.apiKey("rnd_Zq7Xw9VkMnB4ab12") == "rnd_…ab12")
        #expect(SecretMask.apiKey("whsec_Zq7Xw9VkMnB4Zq7Xw9VkMnB4abcd") == "whsec_…")
        #expect(SecretMask.apiKey("sk_test_abc") == "sk_test_…")
        #expect(SecretMask.apiKey("sk_test_abcdef") == "sk_test_…")
        #expect(SecretMask.apiKey("Zq7Xw9VkMnB4Zq7Xw9VkMnB4") == "…MnB4")
    }

    @Test func urlsHideThePasswordEvenWhenItIsMalformed() {
        #expect(
            SecretMask.url("postgresql://app:\(password)@db.example.com:5432/payments?schema=public")
                == "postgresql://app:****@db.example.com:5432/payments?schema=public")
        #expect(
            SecretMask.url("postgresql://app:Zq7@Xw#9/Vk?B4@db.example.com:5432/payments")
                == "postgresql://app:****@db.example.com:5432/payments")
        #expect(SecretMask.url("redis://:\(password)@cache:6379") == "redis://:****@cache:6379")
        #expect(SecretMask.url("postgresql://app:\(password)/payments") == "postgresql://app:****/payments")
        #expect(SecretMask.url("postgresql://app@db/payments") == "postgresql://app@db/payments")
        #expect(SecretMask.url("not a url \(password)") == "****")
        #expect(SecretMask.url("app:\(password)@db:5432/x") == "****@db:5432/x")
    }

    @Test func urlsHideAPIKeysInQueriesAndSentryKeys() {
        #expect(
            SecretMask.url("prisma://accelerate.prisma-data.net/?api_key=eyJ\(password)&x=1")
                == "prisma://accelerate.prisma-data.net/?api_key=****&x=1")
        #expect(SecretMask.url("https://abc\(password)@o123.ingest.sentry.io/456") == "https://****@o123.ingest.sentry.io/456")
        #expect(SecretMask.url("https://pk:sk@sentry.example.com/1") == "https://****@sentry.example.com/1")
        #expect(SecretMask.url("postgresql://a:b@h/d?sslpassword=\(password)") == "postgresql://a:****@h/d?sslpassword=****")
    }
}

@Suite("Database URL validation")
struct DatabaseURLValidatorTests {
    @Test func aGoodPrismaURLPassesAndIsShownWithoutItsPassword() {
        let url = "postgresql://app:\(password)@db.example.com:5432/payments?schema=public&connection_limit=5&sslmode=require"
        let finding = validate("DATABASE_URL", url)
        #expect(finding.status == .pass)
        #expect(finding.message.contains("payments") && finding.message.contains("db.example.com:5432"))
        #expect(finding.shown == "postgresql://app:****@db.example.com:5432/payments?schema=public&connection_limit=5&sslmode=require")
        expectNoLeak(finding, of: password)
    }

    @Test(arguments: [
        ("postgresql://app:Zq7X@w9VkMnB4@db.example.com:5432/payments", "%40"),
        ("postgresql://app:Zq7X#w9VkMnB4@db.example.com/payments", "%23"),
        ("postgresql://app:Zq7X/w9VkMnB4@db.example.com/payments", "%2F"),
        ("postgresql://app:Zq7X?w9VkMnB4@db.example.com/payments", "%3F"),
    ])
    func anUnescapedDelimiterInThePasswordIsNamed(url: String, encoding: String) {
        let finding = validate("DATABASE_URL", url)
        #expect(finding.status == .fail)
        #expect(finding.message.contains("the password contains an unescaped"))
        #expect(finding.message.contains(encoding))
        #expect(finding.shown == "postgresql://app:****@db.example.com" + url.split(separator: ".com").last!)
        expectNoLeak(finding, of: password)
    }

    @Test func theAtSignMessageIsTheOneUsersSee() {
        let finding = validate("DATABASE_URL", "postgres://app:p@ss@db/payments")
        #expect(finding.message == "the password contains an unescaped '@': percent-encode it as %40")
    }

    @Test func badPercentEncodingNamesThePartAndPosition() {
        let finding = validate("DATABASE_URL", "postgresql://app:Zq7%zzXw9VkMnB4@db.example.com/payments")
        #expect(finding.status == .fail)
        #expect(finding.message.contains("percent-encoding in the password at character 4"))
        expectNoLeak(finding, of: "Zq7%zzXw9VkMnB4")
    }

    @Test func structuralProblemsAreNamed() {
        #expect(validate("DATABASE_URL", "postgresql://app:pw@/payments").message.contains("missing host"))
        #expect(validate("DATABASE_URL", "postgresql://app:pw@db:54x2/payments").message.contains("port"))
        #expect(validate("DATABASE_URL", "postgresql://app:pw@db:70000/payments").message.contains("port"))
        let noAt = validate("DATABASE_URL", "postgresql://app:\(password)/payments")
        #expect(noAt.status == .fail)
        #expect(noAt.message.contains("'@host' part is missing"))
        expectNoLeak(noAt, of: password)
        let mysql = validate("DATABASE_URL", "mysql://app:\(password)@db/payments")
        #expect(mysql.message == "the URL must start with the protocol `postgresql://` or `postgres://` (found `mysql://`)")
        #expect(validate("DATABASE_URL", " postgresql://app@db/payments").message.contains("whitespace"))
    }

    @Test func prismaQueryParametersAreCheckedLikePrismaDoes() {
        let base = "postgresql://app:\(password)@db.example.com:5432/payments?"
        let limit = validate("DATABASE_URL", base + "connection_limit=abc")
        #expect(limit.status == .fail && limit.message.contains("connection_limit"))
        let bouncer = validate("DATABASE_URL", base + "pgbouncer=yes")
        #expect(bouncer.status == .fail && bouncer.message.contains("pgbouncer must be true or false"))
        let ssl = validate("DATABASE_URL", base + "sslmode=verify-full")
        #expect(ssl.status == .warn && ssl.message.contains("Prisma treats sslmode=verify-full as prefer"))
        let unknown = validate("DATABASE_URL", base + "foo=1")
        #expect(unknown.status == .warn && unknown.message == "Prisma ignores unknown parameter `foo`")
        #expect(validate("DATABASE_URL", base + "pgbouncer=true&pool_timeout=0&sslaccept=strict").status == .pass)
    }

    @Test func aMissingDatabaseNameIsAWarning() {
        let finding = validate("DATABASE_URL", "postgres://app:\(password)@pooled.db.prisma.io:5432/?sslmode=require")
        #expect(finding.status == .warn)
        #expect(finding.message == "no database name: PostgreSQL will use the user name")
    }

    @Test func accelerateURLsNeedAnAPIKeyAndADirectURL() {
        let key = "eyJhbGciOiJIUzI1NiJ9\(password)"
        let accelerate = "prisma://accelerate.prisma-data.net/?api_key=\(key)"
        let finding = validate("DATABASE_URL", accelerate)
        #expect(finding.status == .warn)
        #expect(finding.message.contains("2026-12-01") && finding.message.contains("DIRECT_URL"))
        #expect(finding.shown == "prisma://accelerate.prisma-data.net/?api_key=****")
        expectNoLeak(finding, of: key)

        var withDirect = Configuration()
        withDirect.set("DIRECT_URL", "postgresql://app:pw@db/payments", origin: .process)
        #expect(!validate("DATABASE_URL", accelerate, withDirect).message.contains("set DIRECT_URL"))

        let noKey = validate("DATABASE_URL", "prisma://accelerate.prisma-data.net/")
        #expect(noKey.status == .fail && noKey.message.contains("api_key"))
        #expect(validate("DIRECT_URL", accelerate).status == .fail)
        #expect(validate("DATABASE_URL", "prisma+postgres://localhost:51213/?api_key=\(key)").status == .pass)
    }

    @Test func postgresURLDecodesEveryPart() throws {
        let url = try PostgresURL.parse("postgres://us%40er:p%40ss%23w@[::1]:6543/my%2Fdb?sslmode=require&application_name=doctor")
        #expect(url.scheme == "postgres")
        #expect(url.user == "us@er")
        #expect(url.password == "p@ss#w")
        #expect(url.host == "[::1]")
        #expect(url.port == 6543)
        #expect(url.database == "my/db")
        #expect(url.parameter("application_name") == "doctor")
        #expect(!url.description.contains("p@ss"))

        let socket = try PostgresURL.parse("postgresql://app@/payments?host=/var/run/postgresql")
        #expect(socket.host == "" && socket.parameter("host") == "/var/run/postgresql")
        #expect(throws: DatabaseURLError.missingHost) { try PostgresURL.parse("postgresql://app@/payments") }
    }
}

@Suite("Stripe key validation")
struct StripeKeyValidatorTests {
    private let body = "51HxQ9\(password)Lm4f2a"

    @Test func secretAndRestrictedKeysReportTheirMode() {
        let test = validate("STRIPE_SECRET_KEY", "sk_test_\(body)")
        #expect(test.status == .pass)
        #expect(test.message == "test mode secret key (sk_test_…4f2a)")
        #expect(test.shown == "sk_test_…4f2a")
        expectNoLeak(test, of: String(body.dropLast(4)))
        #expect(validate("STRIPE_SECRET_KEY", "rk_live_\(body)").message == "live mode restricted key (rk_live_…4f2a)")
    }

    @Test func theWrongKindOfKeyIsNamed() {
        let publishable = validate("STRIPE_SECRET_KEY", "pk_live_\(body)")
        #expect(publishable.status == .fail)
        #expect(publishable.message == "this is a publishable key; the server needs the secret key (sk_…)")
        let webhook = validate("STRIPE_SECRET_KEY", "whsec_\(body)")
        #expect(webhook.message == "this is a webhook signing secret, not an API key")
        #expect(webhook.shown == "whsec_…")
        expectNoLeak(webhook, of: body)
        let other = validate("STRIPE_SECRET_KEY", "sk_prod_\(body)")
        #expect(other.status == .fail && other.message.contains("unexpected prefix sk_prod_"))
        expectNoLeak(other, of: String(body.dropLast(4)))
        #expect(validate("STRIPE_SECRET_KEY", password).message.contains("no recognisable prefix"))
    }

    @Test("a value that works never fails its format check: underscores pass, the unusual warns, only a definite error fails")
    func onlyDefiniteErrorsFail() {
        // Stripe's own fixtures and real keys carry underscores in their bodies.
        #expect(validate("STRIPE_WEBHOOK_SECRET", "whsec_test_secret").status == .warn)
        #expect(validate("STRIPE_WEBHOOK_SECRET", "whsec_test_secret_with_enough_length").status == .pass)
        let underscored = validate("STRIPE_SECRET_KEY", "sk_test_51Hx_\(body)_x9")
        #expect(underscored.status == .pass, "\(underscored.message)")
        #expect(validate("RENDER_SERVICE_ID", "srv-abc_123").status == .warn)
        #expect(validate("RENDER_SERVICE_ID", "srv-d0abc123xyz").status == .pass)
        // Merely unusual characters: at most a warning.
        let dotted = validate("STRIPE_SECRET_KEY", "sk_test_\(body).x")
        #expect(dotted.status == .warn && dotted.message.contains("unusual characters"))
        // Definite copy errors still fail: a stray quote inside, a control character, a cut-off body.
        let quoted = validate("STRIPE_SECRET_KEY", "sk_test_\(body)\"")
        #expect(quoted.status == .fail && quoted.message.contains("stray quote"))
        #expect(validate("STRIPE_WEBHOOK_SECRET", "whsec_\(body)'").status == .fail)
        #expect(validate("STRIPE_SECRET_KEY", "sk_test_\(body)\u{07}").status == .fail)
        #expect(validate("STRIPE_SECRET_KEY", "sk_live_").status == .fail)
        #expect(validate("RENDER_SERVICE_ID", "srv-\"abc\"").status == .fail)
    }

    @Test func whitespaceIsACopyPasteError() {
        let finding = validate("STRIPE_SECRET_KEY", "sk_test_\(body)\n")
        #expect(finding.status == .fail)
        #expect(finding.message.contains("contains whitespace: a copy-paste error"))
    }

    @Test func quotesKeptFromADashboardAreNamed() {
        let finding = validate("STRIPE_SECRET_KEY", "\"sk_test_\(body)\"")
        #expect(finding.status == .fail && finding.message.contains("wrapped in quotes"))
        #expect(finding.shown == "sk_test_…4f2a")
        #expect(validate("LOG_LEVEL", "'debug'").status == .pass)
    }

    @Test func webhookSecretsAreNeverShownBeyondTheirPrefix() {
        let good = validate("STRIPE_WEBHOOK_SECRET", "whsec_\(body)\(password)")
        #expect(good.status == .pass)
        #expect(good.shown == "whsec_…")
        expectNoLeak(good, of: body + password)
        // Short is only unusual: Stripe's own fixture `whsec_test_secret` works.
        let short = validate("STRIPE_WEBHOOK_SECRET", "whsec_abc123")
        #expect(short.status == .warn && short.message.contains("cut off?"))
        #expect(validate("STRIPE_WEBHOOK_SECRET", "whsec_").status == .fail)
        let apiKey = validate("STRIPE_WEBHOOK_SECRET", "sk_test_\(body)")
        #expect(apiKey.status == .fail && apiKey.message.contains("API key"))
        let unprefixed = validate("STRIPE_WEBHOOK_SECRET", password + password)
        #expect(unprefixed.status == .fail && unprefixed.message.contains("whsec_"))
        expectNoLeak(unprefixed, of: password)
        #expect(validate("STRIPE_WEBHOOK_SECRET", "whsec_\(body)\(password) ").message.contains("whitespace"))
    }
}

@Suite("Sentry DSN validation")
struct SentryDSNValidatorTests {
    @Test func aGoodDSNNamesItsProjectAndHidesItsKey() {
        let finding = validate("SENTRY_DSN", "https://\(password)@o123.ingest.sentry.io/456")
        #expect(finding.status == .pass)
        #expect(finding.message.contains("project 456") && finding.message.contains("org 123"))
        #expect(finding.shown == "https://****@o123.ingest.sentry.io/456")
        expectNoLeak(finding, of: password)
    }

    @Test func sentryPythonsMessagesAreUsed() {
        #expect(validate("SENTRY_DSN", "https://o123.ingest.sentry.io/456").message == "Missing public key")
        #expect(validate("SENTRY_DSN", "ftp://key@o1.ingest.sentry.io/1").message == "Unsupported scheme 'ftp'")
        #expect(validate("SENTRY_DSN", "https://key@/1").message.contains("Missing hostname"))
        #expect(validate("SENTRY_DSN", "https://key@sentry.io/bam/abc").message == "Invalid project in DSN ('bam/abc')")
        #expect(validate("SENTRY_DSN", "https://key@sentry.io/bam/123").status == .pass)
    }

    @Test func aLegacySecretIsAWarningAndStaysHidden() {
        let finding = validate("SENTRY_DSN", "https://abcdef:\(password)@sentry.example.com/7")
        #expect(finding.status == .warn && finding.message.contains("legacy private DSN"))
        expectNoLeak(finding, of: password)
    }
}

@Suite("URL and identifier validation")
struct URLValidatorTests {
    @Test func apiURLIsABaseURL() {
        #expect(validate("API_URL", "https://pay.onrender.com").status == .pass)
        #expect(validate("API_URL", "https://pay.onrender.com/").status == .pass)
        #expect(validate("API_URL", "http://localhost:3000").status == .pass)
        let path = validate("API_URL", "https://pay.onrender.com/api")
        #expect(path.status == .fail)
        #expect(path.message == "API_URL must be the base URL without a path (found /api): the doctor adds /api/health itself")
        let http = validate("API_URL", "http://pay.onrender.com")
        #expect(http.status == .warn && http.message.contains("HTTPS"))
        #expect(validate("API_URL", "pay.onrender.com").message.contains("absolute URL"))
        #expect(validate("API_URL", "https://pay.onrender.com?x=1").message.contains("query"))
        #expect(validate("API_URL", "ftp://pay.onrender.com").status == .fail)
        let credentials = validate("API_URL", "https://admin:\(password)@pay.onrender.com")
        #expect(credentials.status == .fail)
        expectNoLeak(credentials, of: password)
    }

    @Test func redisURLs() {
        let good = validate("REDIS_URL", "rediss://default:\(password)@cache.internal:6379/0")
        #expect(good.status == .pass)
        #expect(good.shown == "rediss://default:****@cache.internal:6379/0")
        #expect(good.message.contains("TLS"))
        expectNoLeak(good, of: password)
        #expect(validate("REDIS_URL", "http://cache:6379").message.contains("redis://"))
        #expect(validate("REDIS_URL", "redis://:\(password)@cache:63a9").message.contains("port"))
        #expect(validate("REDIS_URL", "redis://cache:6379/abc").message.contains("database number"))
        let unescaped = validate("REDIS_URL", "redis://:Zq7X/w9VkMnB4@cache:6379")
        #expect(unescaped.status == .fail && unescaped.message.contains("%2F"))
        expectNoLeak(unescaped, of: "Zq7X/w9VkMnB4")
    }

    @Test func renderIdentifiers() {
        #expect(validate("RENDER_SERVICE_ID", "srv-abc123").status == .pass)
        #expect(validate("RENDER_SERVICE_ID", "abc123").message.contains("srv-"))
        let key = validate("RENDER_API_KEY", "rnd_\(password)ab12")
        #expect(key.status == .pass && key.shown == "rnd_…ab12")
        expectNoLeak(key, of: password)
        #expect(validate("RENDER_API_KEY", "\(password)ab12").status == .warn)
    }

    @Test func apiBasesAndUnknownVariables() {
        #expect(validate("STRIPE_API_BASE", "http://127.0.0.1:12111").status == .pass)
        #expect(validate("RENDER_API_BASE", "https://api.render.com/v1").status == .pass)
        #expect(validate("STRIPE_API_BASE", "ftp://x").status == .fail)
        let plain = validate("LOG_LEVEL", "debug")
        #expect(plain.status == .pass && plain.shown == "debug")
        let token = validate("SENTRY_AUTH_TOKEN", "sntrys_\(password)")
        #expect(token.status == .pass)
        expectNoLeak(token, of: String(password.dropLast(4)))
        #expect(validate("ADMIN_PASSWORD", password).shown == "****")
    }
}
