import Foundation
import Testing

@testable import DoctorKit
@testable import DoctorSandbox

private let here = SourceLocation(file: "test.yml", line: 1, column: 1)
private func scalar(_ text: String) -> RunbookValue { .scalar(text, here, quoted: false) }

/// A `reconciliation` step from parameters and thresholds, as the loader would build it.
private func reconciliation(
    _ parameters: [(String, String)] = [], warn: String? = nil, fail: String? = nil
) throws -> any Check {
    let mapping = RunbookValue.mapping(parameters.map { (key: $0.0, keyLocation: here, value: scalar($0.1)) }, here)
    let reader = try ParameterReader(parameters.isEmpty ? nil : mapping, at: here)
    let step = StepSettings(id: "reconciliation", warn: warn.map(scalar), fail: fail.map(scalar), timeout: nil,
                            timeoutLocation: here, location: here)
    let check = try ReconciliationCheck.make(reader, step: step)
    try reader.finish(kind: ReconciliationCheck.name)
    return check
}

/// The sandbox's Stripe stand-in serving `payments` on a port of its own, counting the list requests.
private final class StripeStandIn {
    let key = "sk_test_Recon" + SandboxSecrets.random(20, from: SandboxSecrets.alphanumerics)
    let server: HTTPServer
    let listRequests = Locked<[String]>([])

    init(_ payments: [SandboxPayments.Payment]) throws {
        let api = SandboxStripeAPI(fault: nil, key: key, payments: SandboxPayments(payments))
        let seen = listRequests
        server = try HTTPServer(port: 0) { request in
            if request.path == "/v1/payment_intents" {
                seen.withLock { $0.append(request.queryItems.map { "\($0.0)=\($0.1)" }.joined(separator: "&")) }
            }
            return api.handle(request)
        }
    }

    var base: String { "http://127.0.0.1:\(server.port)" }

    deinit { server.stop() }
}

/// When each test row (`pi_1` … `pi_30`, one hour apart) was written, Unix seconds.
private func rowTimes() async throws -> [String: Int] {
    guard let url = DatabaseServers.url() else { return [:] }
    let connection = try await PostgresConnection.connect(PostgresConnectionInfo(url: try PostgresURL.parse(url)), deadline: .now + .seconds(10))
    defer { connection.close() }
    let result = try await connection.query(
        #"SELECT "stripePaymentIntentId", floor(extract(epoch FROM "createdAt"))::bigint::text FROM "Payment""#,
        deadline: .now + .seconds(10))
    return Dictionary(uniqueKeysWithValues: result.rows.compactMap { row in
        guard let id = row[0], let seconds = row[1].flatMap(Int.init) else { return nil }
        return (id, seconds)
    })
}

/// Stripe's side of the test rows: each payment created 2 s before its row was written.
private func succeededPayments(_ rows: [String: Int]) -> [SandboxPayments.Payment] {
    rows.map { SandboxPayments.Payment(id: $0.key, amount: 1000, status: "succeeded", created: $0.value - 2) }
}

private var now: Int { Int(Date().timeIntervalSince1970) }

@Suite("Reconciliation", .serialized)
struct ReconciliationCheckTests {
    @Test("every succeeded payment has its row: pass, with the webhook lag; other statuses, older payments and further pages handled")
    func allMatched() async throws {
        let rows = try await rowTimes()
        guard !rows.isEmpty, let url = DatabaseServers.url() else { return }
        // 23 of the 30 rows are within the day; 120 canceled intents push the list onto a second page.
        var payments = succeededPayments(rows)
        payments += (1...120).map { SandboxPayments.Payment(id: "pi_canceled_\($0)", amount: 500, status: "canceled", created: now - 600 - $0 * 60) }
        payments.append(.init(id: "pi_declined", amount: 700, status: "requires_payment_method", created: now - 7200))
        payments.append(.init(id: "pi_old_unrecorded", amount: 700, status: "succeeded", created: now - 40 * 3600))
        let stripe = try StripeStandIn(payments)
        let outcome = await runCheck(try reconciliation(), [
            "STRIPE_SECRET_KEY": stripe.key, "STRIPE_API_BASE": stripe.base, "DATABASE_URL": url,
        ])
        #expect(outcome.status == .pass, "\(outcome.summary)")
        #expect(outcome.summary.hasPrefix("all 23 succeeded payments of the last 24h (to 5m ago) have a row in \"Payment\"; webhook lag median "), "\(outcome.summary)")
        #expect(outcome.evidence["matched"] == .int(23) && outcome.evidence["missing"] == .int(0))
        #expect(outcome.evidence["discrepancy"] == .string("0.0%"))
        #expect(outcome.evidence["not_succeeded_not_compared"] == .object([("canceled", .int(120)), ("requires_payment_method", .int(1))]))
        let median = outcome.evidence["webhook_lag_median_ms"].flatMap { if case let .int(ms) = $0 { ms } else { nil } } ?? -1
        // Rows are written 2 s after whole-second creation times plus their milliseconds: 2.0-3.0 s.
        #expect((2000...3000).contains(median), "lag \(median) ms")
        // Stripe was asked for the window, 100 a page, and followed has_more with starting_after.
        let requests = stripe.listRequests.withLock { $0 }
        #expect(requests.count == 2, "\(requests)")
        #expect(requests.first?.contains("created[gte]=") == true && requests.first?.contains("created[lt]=") == true && requests.first?.contains("limit=100") == true)
        #expect(requests.last?.contains("starting_after=pi_") == true)
        #expect(!allText(outcome).contains(stripe.key) && !allText(outcome).contains(DatabaseServers.password))
    }

    @Test("payments without a row: warn up to 5 %, fail above, the ids listed; runbook thresholds override")
    func missingRows() async throws {
        let rows = try await rowTimes()
        guard !rows.isEmpty, let url = DatabaseServers.url() else { return }
        // One reading of the clock: the expected evidence below must name the same second.
        let lostAt = now - 3 * 3600
        let lost = [SandboxPayments.Payment(id: "pi_lost_1", amount: 4999, status: "succeeded", created: lostAt),
                    SandboxPayments.Payment(id: "pi_lost_2", amount: 1250, status: "succeeded", created: now - 9 * 3600)]
        let one = try StripeStandIn(succeededPayments(rows) + lost.prefix(1))
        let warned = await runCheck(try reconciliation(), [
            "STRIPE_SECRET_KEY": one.key, "STRIPE_API_BASE": one.base, "DATABASE_URL": url,
        ])
        #expect(warned.status == .warn, "\(warned.summary)")
        #expect(warned.summary == "1 of 24 succeeded payments of the last 24h (to 5m ago) have no row in \"Payment\" (4.2%): pi_lost_1")
        #expect(warned.hint?.contains("Stripe had a payment you didn't track (webhook missed it)") == true)
        #expect(warned.hint?.contains("🔄 Starting payment reconciliation...") == true)
        #expect(warned.hint?.contains("Database connection error") == true)

        let two = try StripeStandIn(succeededPayments(rows) + lost)
        let environment = ["STRIPE_SECRET_KEY": two.key, "STRIPE_API_BASE": two.base, "DATABASE_URL": url]
        let failed = await runCheck(try reconciliation([("max_listed", "1")]), environment)
        #expect(failed.status == .fail, "\(failed.summary)")
        #expect(failed.summary.hasPrefix("2 of 25 succeeded payments") && failed.summary.contains("(8.0%): pi_lost_1, pi_lost_2"), "\(failed.summary)")
        #expect(failed.evidence["missing_ids"] == .array([.string("pi_lost_1 " + iso(lostAt) + " 49.99 USD")]))
        #expect(failed.evidence["missing_not_listed"] == .int(1))
        #expect(failed.evidence["matched"] == .int(23))

        let relaxed = await runCheck(try reconciliation(warn: "1%", fail: "10%"), environment)
        #expect(relaxed.status == .warn, "\(relaxed.summary)")
    }

    @Test("a payment newer than `settle` is not judged yet; with a shorter settle it is")
    func settleWindow() async throws {
        let rows = try await rowTimes()
        guard !rows.isEmpty, let url = DatabaseServers.url() else { return }
        let inFlight = SandboxPayments.Payment(id: "pi_in_flight", amount: 2000, status: "succeeded", created: now - 60)
        let stripe = try StripeStandIn(succeededPayments(rows) + [inFlight])
        let environment = ["STRIPE_SECRET_KEY": stripe.key, "STRIPE_API_BASE": stripe.base, "DATABASE_URL": url]
        let settled = await runCheck(try reconciliation(), environment)
        #expect(settled.status == .pass, "\(settled.summary)")
        #expect(settled.evidence["succeeded"] == .int(23))
        let impatient = await runCheck(try reconciliation([("settle", "30s")]), environment)
        #expect(impatient.status == .warn && impatient.summary.contains("pi_in_flight"), "\(impatient.summary)")
    }

    @Test("ids are a bound parameter: an id full of SQL is just an id without a row")
    func idsNeverBecomeSQL() async throws {
        let rows = try await rowTimes()
        guard !rows.isEmpty, let url = DatabaseServers.url() else { return }
        let hostile = #"pi_x"'); DROP TABLE "Payment"; --\"#
        let stripe = try StripeStandIn(succeededPayments(rows) + [.init(id: hostile, amount: 1, status: "succeeded", created: now - 3600)])
        let outcome = await runCheck(try reconciliation(), [
            "STRIPE_SECRET_KEY": stripe.key, "STRIPE_API_BASE": stripe.base, "DATABASE_URL": url,
        ])
        #expect(outcome.status == .warn && outcome.evidence["missing"] == .int(1), "\(outcome.summary)")
        #expect(try await rowTimes().count == 30)
        #expect(PaymentLookup.arrayLiteral([#"a"b"#, #"c\d"#, "e,f"]) == #"{"a\"b","c\\d","e,f"}"#)
    }

    @Test("no Stripe key or no DATABASE_URL: skipped with the reason")
    func missingInputs() async throws {
        let noKey = await runCheck(try reconciliation(), ["DATABASE_URL": "postgresql://payments:pw@127.0.0.1:5432/payments"])
        #expect(noKey.status == .skip && noKey.summary.contains("STRIPE_SECRET_KEY is not set"), "\(noKey.summary)")
        let noDatabase = await runCheck(try reconciliation(), ["STRIPE_SECRET_KEY": "sk_test_abcdefghijklmnop1234"])
        #expect(noDatabase.status == .skip && noDatabase.summary.contains("DATABASE_URL is not set"), "\(noDatabase.summary)")
    }

    @Test("wrong database password: P1000, no password; wrong Stripe key: Stripe's AuthenticationError, no key; missing table: P2021")
    func failures() async throws {
        guard let url = DatabaseServers.url() else { return }
        let stripe = try StripeStandIn([])
        let wrongPassword = "Wr0ng-p@ss-\(UUID().uuidString.prefix(6))"
        let denied = await runCheck(try reconciliation(), [
            "STRIPE_SECRET_KEY": stripe.key, "STRIPE_API_BASE": stripe.base,
            "DATABASE_URL": DatabaseServers.url(password: wrongPassword) ?? "",
        ])
        #expect(denied.status == .fail && denied.evidence["prisma_code"] == .string("P1000"), "\(denied.summary)")
        #expect(denied.summary.contains("Authentication failed"), "\(denied.summary)")
        #expect(!allText(denied).contains(wrongPassword) && !allText(denied).contains(stripe.key))

        let wrongKey = "sk_test_NotTheKey" + SandboxSecrets.random(16, from: SandboxSecrets.alphanumerics)
        let rejected = await runCheck(try reconciliation(), ["STRIPE_SECRET_KEY": wrongKey, "STRIPE_API_BASE": stripe.base, "DATABASE_URL": url])
        #expect(rejected.status == .fail && rejected.summary.contains("Stripe rejected STRIPE_SECRET_KEY"), "\(rejected.summary)")
        #expect(!allText(rejected).contains(wrongKey) && !allText(rejected).contains(DatabaseServers.password))

        let noTable = await runCheck(try reconciliation([("table", "Payments")]), [
            "STRIPE_SECRET_KEY": stripe.key, "STRIPE_API_BASE": stripe.base, "DATABASE_URL": url,
        ])
        #expect(noTable.status == .fail && noTable.summary.contains("\"public\".\"Payments\" does not exist (Prisma P2021)"), "\(noTable.summary)")
        let noColumn = await runCheck(try reconciliation([("id_column", "stripe_id")]), [
            "STRIPE_SECRET_KEY": stripe.key, "STRIPE_API_BASE": stripe.base, "DATABASE_URL": url,
        ])
        #expect(noColumn.status == .fail && noColumn.summary.contains("no column \"stripe_id\" (Prisma P2022)"), "\(noColumn.summary)")
    }

    @Test("parameters: window bounded to 720h, settle shorter than the window, warn not above fail")
    func parameters() throws {
        #expect(throws: RunbookError.self) { try reconciliation([("window", "800h")]) }
        #expect(throws: RunbookError.self) { try reconciliation([("window", "1h"), ("settle", "2h")]) }
        #expect(throws: RunbookError.self) { try reconciliation(warn: "10%", fail: "5%") }
        #expect(throws: RunbookError.self) { try reconciliation([("max_payments", "5")]) }
        #expect(throws: RunbookError.self) { try reconciliation([("colour", "blue")]) }
        #expect(throws: Never.self) { try reconciliation([("window", "720h"), ("settle", "0s")], warn: "1%", fail: "2%") }
    }
}

@Suite("Sandbox Stripe payment intents", .serialized)
struct SandboxPaymentIntentTests {
    @Test("GET /v1/payment_intents: Stripe's list shape, created[...] filters, pages by starting_after, the sandbox's key only")
    func listShape() async throws {
        let sandbox = Sandbox(fault: .paymentsMissing)
        try sandbox.start()
        defer { sandbox.stop() }
        let http = HTTPClient()
        defer { http.close() }
        let client = try StripeClient(key: sandbox.environment["STRIPE_SECRET_KEY"]!, base: sandbox.apiURL, http: http)
        let page = try await client.get("/v1/payment_intents", query: [("limit", "2")], deadline: .now + .seconds(5))
        #expect(page.json["object"] == .string("list") && page.json["url"] == .string("/v1/payment_intents"))
        #expect(page.json["has_more"] == .bool(true))
        guard case let .array(items)? = page.json["data"], let first = items.first else {
            Issue.record("no data: \(page.json)")
            return
        }
        #expect(items.count == 2)
        for key in ["id", "object", "amount", "currency", "status", "created", "livemode"] {
            #expect(first[key] != nil, "payment intent lacks \(key)")
        }
        #expect(first["object"] == .string("payment_intent"))
        #expect(page.requestID?.hasPrefix("req_") == true)

        // A day to five minutes ago: the 30 succeeded of the day, a declined and a canceled one; not the one in flight.
        let now = Int(Date().timeIntervalSince1970)
        let day = try await client.list(
            "/v1/payment_intents", query: [("created[gte]", String(now - 86_400)), ("created[lt]", String(now - 300))],
            pageSize: 7, deadline: .now + .seconds(5))
        let intents = day.items.compactMap(StripePaymentIntent.init)
        #expect(day.pages == 5 && intents.count == 32, "\(day.pages) pages, \(intents.count) intents")
        #expect(Set(intents.map(\.id)).count == 32)
        #expect(intents.filter { $0.status == "succeeded" }.count == 30)
        #expect(intents.map(\.created) == intents.map(\.created).sorted(by: >))
        #expect(!intents.contains { $0.id == "pi_sandbox_inflight" })
        // payments-missing takes rows away, not Stripe's payments.
        #expect(intents.contains { $0.id == "pi_sandbox_11" })
        #expect(sandbox.payments.payments.filter { $0.rowLagMilliseconds == nil && $0.status == "succeeded" }.map(\.id).sorted()
            == ["pi_sandbox_11", "pi_sandbox_19", "pi_sandbox_3", "pi_sandbox_inflight"])

        let other = try StripeClient(key: "sk_test_" + SandboxSecrets.random(24, from: SandboxSecrets.alphanumerics), base: sandbox.apiURL, http: http)
        await #expect(throws: StripeAPIError.self) { _ = try await other.get("/v1/payment_intents", deadline: .now + .seconds(5)) }
    }
}

private func iso(_ seconds: Int) -> String { ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(seconds))) }

@Suite("Reconciliation demo", .serialized)
struct ReconciliationDemoTests {
    @Test("demo: the healthy sandbox reconciles with no discrepancy; payments-missing names the three ids and fails")
    func demo() throws {
        guard TemporaryPostgres.binDirectory != nil else {
            if DatabaseServers.isCI { Issue.record("PostgreSQL server binaries are required under CI=true") }
            return
        }
        let healthy = try DoctorProcess.run(["demo", "missing-db-records", "--no-color", "-v"])
        #expect(healthy.exitCode == 0, "\(healthy.stdout)\n\(healthy.stderr)")
        #expect(healthy.stdout.contains("[✓] Every payment Stripe saw succeed is in the database: all 30 succeeded payments of the last 24h (to 5m ago) have a row in \"Payment\"; webhook lag median"), "\(healthy.stdout)")

        let faulty = try DoctorProcess.run(["demo", "missing-db-records", "--fault", "payments-missing", "--no-color", "--format", "json"])
        #expect(faulty.exitCode == 2, "\(faulty.stdout)\n\(faulty.stderr)")
        let report = JSONValue.parse(Data(faulty.stdout.utf8))
        let steps: [JSONValue] = {
            guard case let .array(runbooks)? = report?["runbooks"], case let .array(steps)? = runbooks.first?["steps"] else { return [] }
            return steps
        }()
        let step = steps.first { $0["id"] == .string("reconciliation") }
        #expect(step?["status"] == .string("fail"))
        #expect(step?["summary"] == .string("3 of 30 succeeded payments of the last 24h (to 5m ago) have no row in \"Payment\" (10.0%): pi_sandbox_3, pi_sandbox_11, pi_sandbox_19"))
        #expect(step?["evidence"]?["missing"] == .int(3))
        // The sandbox's key at most as prefix and last four, its database password nowhere.
        #expect(faulty.stdout.range(of: #"sk_test_[A-Za-z0-9]"#, options: .regularExpression) == nil)
        #expect(faulty.stdout.range(of: #"postgresql://payments:[^\[]"#, options: .regularExpression) == nil)

        let faults = try DoctorProcess.run(["demo", "--list-faults"])
        #expect(faults.stdout.contains("payments-missing"))
    }
}
