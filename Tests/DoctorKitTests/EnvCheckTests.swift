import Foundation
import Testing

@testable import DoctorKit

@Suite("Env check")
struct EnvCheckTests {
    private static let password = "Zq7Xw9VkMnB4"
    private static let location = DoctorKit.SourceLocation(file: "webhooks.yaml", line: 12, column: 7)

    /// The variables of a healthy service, as read from `.env`.
    private static let healthy: [(String, String)] = [
        ("API_URL", "https://pay.onrender.com"),
        ("STRIPE_SECRET_KEY", "sk_test_51HxQ9\(password)4f2a"),
        ("STRIPE_WEBHOOK_SECRET", "whsec_\(password)\(password)\(password)"),
        ("DATABASE_URL", "postgresql://app:\(password)@db.example.com:5432/payments"),
        ("SENTRY_DSN", "https://\(password)@o123.ingest.sentry.io/456"),
        ("RENDER_SERVICE_ID", "srv-abc123"),
    ]

    private func scalar(_ text: String, line: Int = 12) -> RunbookValue {
        .scalar(text, DoctorKit.SourceLocation(file: "webhooks.yaml", line: line, column: 9), quoted: false)
    }

    private func list(_ names: [String]) -> RunbookValue {
        .sequence(names.enumerated().map { scalar($1, line: 13 + $0) }, Self.location)
    }

    private func make(
        required: [String] = [], recommended: [String] = [], optional: [String] = [],
        extra: [(String, RunbookValue)] = [], warn: RunbookValue? = nil
    ) throws -> any Check {
        var members: [(key: String, keyLocation: DoctorKit.SourceLocation, value: RunbookValue)] = []
        for (key, names) in [("required", required), ("recommended", recommended), ("optional", optional)]
        where !names.isEmpty {
            members.append((key, Self.location, list(names)))
        }
        for (key, value) in extra { members.append((key, Self.location, value)) }
        let reader = try ParameterReader(.mapping(members, Self.location), at: Self.location)
        let step = StepSettings(
            id: "env-vars", warn: warn, fail: nil, timeout: nil, timeoutLocation: Self.location, location: Self.location)
        return try EnvCheck.make(reader, step: step)
    }

    private func run(_ check: any Check, _ variables: [(String, String)]) async -> CheckOutcome {
        let configuration = Configuration(process: [:], file: (".env", variables))
        let context = CheckContext(
            configuration: configuration, http: HTTPClient(), readOnly: false, deadline: .now + .seconds(5))
        return await check.run(in: context)
    }

    /// The evidence as JSON text, to search for leaked secrets.
    private func text(_ outcome: CheckOutcome) throws -> String {
        String(decoding: try JSONEncoder().encode(outcome.evidence), as: UTF8.self) + outcome.summary + (outcome.hint ?? "")
    }

    private var standard: any Check {
        get throws {
            try make(
                required: ["API_URL", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "DATABASE_URL"],
                recommended: ["SENTRY_DSN"], optional: ["RENDER_SERVICE_ID", "REDIS_URL"])
        }
    }

    @Test func aHealthyConfigurationPassesAndMentionsTheMissingRedis() async throws {
        let outcome = await run(try standard, Self.healthy)
        #expect(outcome.status == .pass)
        #expect(outcome.summary == "6 variables valid; REDIS_URL not set")
        #expect(outcome.hint == "the guide recommends Redis for caching (REDIS_URL): it reduces database queries by ~40%")
        #expect(outcome.evidence["REDIS_URL"]?["status"] == .string("missing"))
        let database = try #require(outcome.evidence["DATABASE_URL"])
        #expect(database["status"] == .string("pass"))
        #expect(database["shown"] == .string("postgresql://app:****@db.example.com:5432/payments"))
        #expect(database["origin"] == .string(".env"))
        #expect(outcome.evidence["STRIPE_SECRET_KEY"]?["shown"] == .string("sk_test_…4f2a"))
        let all = try text(outcome)
        for start in 0...(Self.password.count - 4) {
            let piece = String(Array(Self.password)[start..<start + 4])
            #expect(!all.contains(piece), "evidence leaks \(piece)")
        }
        #expect(EnvCheck.name == "env")
        #expect(try standard.timeout == .seconds(1))
    }

    @Test func aMissingRequiredVariableMakesTheStepUnknown() async throws {
        let outcome = await run(try standard, Self.healthy.filter { $0.0 != "DATABASE_URL" })
        #expect(outcome.status == .unknown)
        #expect(outcome.summary == "DATABASE_URL is not set")
        #expect(outcome.evidence["DATABASE_URL"]?["status"] == .string("missing"))
        #expect(outcome.hint?.contains("DATABASE_URL") == true)
    }

    @Test func aStripeKeyWithoutTheWebhookSecretCountsAsMissingRequired() async throws {
        let check = try make(required: ["API_URL", "STRIPE_SECRET_KEY"])
        let outcome = await run(check, Self.healthy.filter { $0.0 != "STRIPE_WEBHOOK_SECRET" })
        #expect(outcome.status == .unknown)
        #expect(outcome.summary == "STRIPE_WEBHOOK_SECRET is not set")
        #expect(outcome.hint?.contains("signing secret") == true)
    }

    @Test func anInvalidValueFailsAndNamesTheFix() async throws {
        var variables = Self.healthy
        variables[3] = ("DATABASE_URL", "postgresql://app:Zq7X@w9VkMnB4@db.example.com:5432/payments")
        let outcome = await run(try standard, variables)
        #expect(outcome.status == .fail)
        #expect(outcome.summary == "DATABASE_URL invalid: the password contains an unescaped '@': percent-encode it as %40")
        #expect(outcome.hint == "Fix DATABASE_URL in .env: the password contains an unescaped '@': percent-encode it as %40")
        #expect(outcome.evidence["DATABASE_URL"]?["status"] == .string("fail"))
        #expect(!(try text(outcome)).contains("w9Vk"))
    }

    @Test func aFailureWinsOverAMissingRequiredVariable() async throws {
        var variables = Self.healthy.filter { $0.0 != "API_URL" }
        variables[0] = ("STRIPE_SECRET_KEY", "pk_test_51HxQ9\(Self.password)4f2a")
        let outcome = await run(try standard, variables)
        #expect(outcome.status == .fail)
        #expect(outcome.summary.contains("STRIPE_SECRET_KEY invalid: this is a publishable key"))
        #expect(outcome.summary.contains("API_URL is not set"))
    }

    @Test func aMissingRecommendedVariableWarns() async throws {
        let outcome = await run(try standard, Self.healthy.filter { $0.0 != "SENTRY_DSN" })
        #expect(outcome.status == .warn)
        #expect(outcome.summary.contains("SENTRY_DSN is not set: errors are not reported to Sentry"))
        #expect(outcome.evidence["SENTRY_DSN"]?["status"] == .string("missing"))
    }

    @Test func aLiveKeyWithAPlainHTTPAPIURLWarns() async throws {
        let check = try make(required: ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"])
        var variables = Self.healthy
        variables[0] = ("API_URL", "http://pay.example.com")
        variables[1] = ("STRIPE_SECRET_KEY", "sk_live_51HxQ9\(Self.password)4f2a")
        let outcome = await run(check, variables)
        #expect(outcome.status == .warn)
        #expect(outcome.summary.contains("live Stripe key"))
        variables[0] = ("API_URL", "https://pay.example.com")
        #expect(await run(check, variables).status == .pass)
    }

    @Test func parametersAreValidatedAtLoadTime() throws {
        do {
            _ = try make(required: ["API_URL", "stripe_key"])
            Issue.record("expected an error")
        } catch let error as RunbookError {
            #expect(error.location.line == 14)
            #expect(error.message.contains("variable names"))
        }
        #expect(throws: RunbookError.self) { try make(required: ["API_URL"], optional: ["API_URL"]) }
        #expect(throws: RunbookError.self) { try make(required: ["API_URL"], extra: [("requird", scalar("X"))]) }
        #expect(throws: RunbookError.self) { try make(required: ["API_URL"], warn: scalar("1s")) }
        #expect(throws: RunbookError.self) { try make() }
        #expect(try make(required: ["API_URL"]).timeout == .seconds(1))
    }
}
