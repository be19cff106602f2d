import Foundation
import Testing

@testable import DoctorKit

private func ping(timeout: Duration = .seconds(10)) -> PostgresPingCheck.Ping {
    PostgresPingCheck.Ping(variable: "DATABASE_URL", warn: .milliseconds(250), fail: .seconds(2), timeout: timeout)
}

/// Asserts that neither the password nor its percent-encoded form appears in the outcome.
private func expectNoPassword(_ outcome: CheckOutcome, _ password: String = DatabaseServers.password, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    let text = allText(outcome)
    let encoded = password.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? password
    #expect(!text.contains(password), "the password leaked: \(text)", sourceLocation: sourceLocation)
    #expect(!text.contains(encoded), "the encoded password leaked: \(text)", sourceLocation: sourceLocation)
}

@Suite("PostgreSQL checks against a real server", .serialized)
struct PostgresCheckTests {
    @Test("healthy: ping, authenticated session, SELECT 1 round trip, version and TLS state")
    func healthy() async throws {
        guard let url = DatabaseServers.url() else { return }
        let outcome = await runCheck(ping(), ["DATABASE_URL": url])
        #expect(outcome.status == .pass, "\(outcome)")
        #expect(outcome.summary.contains("PostgreSQL 15"), "\(outcome.summary)")
        #expect(outcome.summary.contains("accepting connections"))
        #expect(outcome.summary.contains("SELECT 1 in"))
        #expect(outcome.evidence["tls"] == .string("not in use"))
        #expect(outcome.evidence["ping"] == .string("accepting connections"))
        expectNoPassword(outcome)
    }

    @Test("wrong password: P1000 naming the user, no password in the output")
    func wrongPassword() async throws {
        guard let url = DatabaseServers.url(password: "not-the-Password-42") else { return }
        let outcome = await runCheck(ping(), ["DATABASE_URL": url])
        #expect(outcome.status == .fail)
        #expect(outcome.summary.hasPrefix("P1000: Authentication failed"), "\(outcome.summary)")
        #expect(outcome.summary.contains("`payments`"))
        expectNoPassword(outcome, "not-the-Password-42")
        expectNoPassword(outcome)
    }

    @Test("missing database: P1003 naming the database")
    func missingDatabase() async throws {
        guard let url = DatabaseServers.url(database: "paymnets") else { return }
        let outcome = await runCheck(ping(), ["DATABASE_URL": url])
        #expect(outcome.status == .fail)
        #expect(outcome.summary.contains("P1003: Database `paymnets` does not exist"), "\(outcome.summary)")
        expectNoPassword(outcome)
    }

    @Test("server down: P1001 can't reach, quickly")
    func serverDown() async throws {
        let port = try closedLoopbackPort()
        let url = "postgresql://payments:\(DatabaseServers.password.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)@127.0.0.1:\(port)/payments"
        let start = ContinuousClock.now
        let outcome = await runCheck(ping(), ["DATABASE_URL": url])
        #expect(outcome.status == .fail)
        #expect(outcome.summary.contains("P1001: Can't reach database server at `127.0.0.1`:`\(port)`"), "\(outcome.summary)")
        #expect(outcome.summary.contains("refused"), "\(outcome.summary)")
        #expect(ContinuousClock.now - start < .seconds(2))
        expectNoPassword(outcome)
    }

    @Test("a server that accepts TCP and never speaks: P1002 within connect_timeout")
    func silentServer() async throws {
        let listener = SilentListener()
        let url = "postgresql://payments:secretpw@127.0.0.1:\(listener.port)/payments?connect_timeout=2"
        let start = ContinuousClock.now
        let outcome = await runCheck(ping(), ["DATABASE_URL": url])
        let elapsed = ContinuousClock.now - start
        #expect(outcome.status == .fail)
        #expect(outcome.summary.hasPrefix("P1002: The database server at `127.0.0.1`"), "\(outcome.summary)")
        #expect(elapsed < .seconds(4), "took \(elapsed)")
        #expect(!allText(outcome).contains("secretpw"))
    }

    @Test("opening a session to a silent server gives up at connect_timeout, not at the later deadline")
    func connectHonoursConnectTimeout() async throws {
        let listener = SilentListener()
        let info = PostgresConnectionInfo(url: try PostgresURL.parse("postgresql://payments:pw@127.0.0.1:\(listener.port)/payments?connect_timeout=2"))
        let start = ContinuousClock.now
        await #expect(throws: PostgresError.self) {
            _ = try await PostgresConnection.connect(info, deadline: .now + .seconds(10))
        }
        #expect(ContinuousClock.now - start < .seconds(3))
        withExtendedLifetime(listener) {}
    }

    @Test("Prisma URL with every Prisma-only parameter connects; the parameters are reported, not sent")
    func prismaParameters() async throws {
        let query = "schema=public&connection_limit=5&pool_timeout=10&socket_timeout=5&pgbouncer=false&sslaccept=strict"
            + "&sslidentity=id.p12&sslpassword=idpw&statement_cache_size=100&max_connection_lifetime=0"
            + "&max_idle_connection_lifetime=300&connect_timeout=5&sslmode=disable&application_name=payments-api&unknown_thing=1"
        guard let url = DatabaseServers.url(query: query) else { return }
        let outcome = await runCheck(ping(), ["DATABASE_URL": url])
        #expect(outcome.status == .pass, "\(outcome)")
        guard case let .array(dropped)? = outcome.evidence["prisma_only_parameters"] else {
            Issue.record("no prisma_only_parameters evidence")
            return
        }
        #expect(Set(dropped.map(\.text)) == PostgresConnectionInfo.prismaOnly, "\(dropped)")
        #expect(outcome.evidence["ignored_parameters"] == .array([.string("unknown_thing")]))
        #expect(!allText(outcome).contains("idpw"))
    }

    @Test("an unescaped '@' in the password: unknown, the part named, nothing of the password shown")
    func unescapedAt() async throws {
        guard let cluster = DatabaseServers.cluster() else { return }
        let url = "postgresql://payments:pa@ss@127.0.0.1:\(cluster.port)/payments"
        let outcome = await runCheck(ping(), ["DATABASE_URL": url])
        #expect(outcome.status == .unknown)
        #expect(outcome.summary.contains("the password contains an unescaped '@'"), "\(outcome.summary)")
        #expect(outcome.summary.contains("P1013"))
        #expect(!allText(outcome).contains("pa@ss"))
    }

    @Test("Accelerate without DIRECT_URL skips with the reason; with DIRECT_URL it checks the database")
    func accelerate() async throws {
        guard let url = DatabaseServers.url() else { return }
        let accelerate = "prisma://accelerate.prisma-data.net/?api_key=eyJhbGciOiJIUzI1NiJ9.secretkey"
        let skipped = await runCheck(ping(), ["DATABASE_URL": accelerate])
        #expect(skipped.status == .skip)
        #expect(skipped.summary.contains("DIRECT_URL is not set"))
        let direct = await runCheck(ping(), ["DATABASE_URL": accelerate, "DIRECT_URL": url])
        #expect(direct.status == .pass, "\(direct)")
        #expect(!allText(direct).contains("secretkey"))
    }

    @Test("one session serves every step of a run, and it is read-only")
    func sharedReadOnlySession() async throws {
        guard let cluster = DatabaseServers.cluster(), DatabaseServers.url() != nil else { return }
        // A database of this test's own: work other tests left running on the shared cluster (a
        // cancelled step still connecting) cannot be counted as this run's sessions.
        let name = "shared_session_" + String(UUID().uuidString.prefix(8)).lowercased()
        try cluster.execute("CREATE DATABASE \(name) OWNER \(DatabaseServers.role)")
        let url = try #require(DatabaseServers.url(database: name))
        let resources = SharedResources()
        let first = await runCheck(ping(), ["DATABASE_URL": url], resources: resources)
        let second = await runCheck(PostgresPoolCheck.Pool(variable: "DATABASE_URL", connectionLimit: nil, instances: nil,
                                                           warn: 70, fail: 90, timeout: .seconds(5)),
                                    ["DATABASE_URL": url], resources: resources)
        let third = await runCheck(ping(), ["DATABASE_URL": url], resources: resources)
        #expect(first.evidence["session_reused"] == .bool(false))
        #expect(third.evidence["session_reused"] == .bool(true))
        #expect(second.status == .pass, "\(second)")
        let info = PostgresConnectionInfo(url: try PostgresURL.parse(url))
        let (connection, reused) = try await resources.postgres.connection(for: info, deadline: .now + .seconds(5))
        #expect(reused)
        let sessions = try await connection.query(
            // Established sessions only: PQping's probe connection may still be on its way out.
            "SELECT count(*)::text AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'doctor' AND state IN ('idle', 'active', 'idle in transaction')",
            [name], deadline: .now + .seconds(5))
        #expect(sessions.first("n") == "1")
        await #expect(throws: PostgresError.query(sqlState: "25006", message: "cannot execute CREATE TABLE in a read-only transaction")) {
            _ = try await connection.query("CREATE TABLE doctor_write (id int)", deadline: .now + .seconds(5))
        }
        resources.close()
    }

    @Test("a query that outlives its deadline ends: the session is closed, not waited on")
    func queryDeadline() async throws {
        guard let url = DatabaseServers.url() else { return }
        let connection = try await PostgresConnection.connect(PostgresConnectionInfo(url: try PostgresURL.parse(url)), deadline: .now + .seconds(5))
        let start = ContinuousClock.now
        await #expect(throws: PostgresError.self) {
            _ = try await connection.query("SELECT pg_sleep(3)", deadline: .now + .milliseconds(300))
        }
        #expect(ContinuousClock.now - start < .seconds(1))
        #expect(!connection.isOpen)
    }
}

@Suite("PostgreSQL schema and pool against a real server", .serialized)
struct PostgresSchemaPoolTests {
    private func schema() -> PostgresSchemaCheck.Schema {
        PostgresSchemaCheck.Schema(variable: "DATABASE_URL", tables: PostgresSchemaCheck.defaultTables, timeColumn: "createdAt",
                                   window: .seconds(86_400), timeout: .seconds(10))
    }

    @Test("the service's tables exist: estimates, rows in the window, newest row")
    func tablesPresent() async throws {
        guard let url = DatabaseServers.url() else { return }
        let outcome = await runCheck(schema(), ["DATABASE_URL": url])
        #expect(outcome.status == .pass, "\(outcome)")
        #expect(outcome.summary.contains("Payment (~30 rows, 23 in"), "\(outcome.summary)")
        // The seed rows were written when the cluster started and age while the suite runs.
        #expect(outcome.summary.contains("Payment (~30 rows, 23 in 24h, newest 1h"), "\(outcome.summary)")
        #expect(outcome.summary.contains("AiEvent (~1 rows, 1 in"), "\(outcome.summary)")
    }

    @Test("missing tables fail with Prisma's P2021, and a lower-case look-alike is named")
    func tablesMissing() async throws {
        guard let url = DatabaseServers.url(database: "empty") else { return }
        let outcome = await runCheck(schema(), ["DATABASE_URL": url])
        #expect(outcome.status == .fail)
        #expect(outcome.summary.contains("table public.\"Payment\" does not exist, but public.payment does"), "\(outcome.summary)")
        #expect(outcome.summary.contains("table public.\"AiEvent\" does not exist (Prisma P2021)"), "\(outcome.summary)")
        #expect(outcome.hint?.contains("without quotes") == true)
    }

    @Test("a missing column fails with P2022")
    func columnMissing() async throws {
        guard let url = DatabaseServers.url() else { return }
        let check = PostgresSchemaCheck.Schema(variable: "DATABASE_URL", tables: [("Payment", ["id", "status"])],
                                               timeColumn: "createdAt", window: .seconds(3600), timeout: .seconds(10))
        let outcome = await runCheck(check, ["DATABASE_URL": url])
        #expect(outcome.status == .fail)
        #expect(outcome.summary.contains("lacks column \"status\" (Prisma P2022)"), "\(outcome.summary)")
    }

    @Test("pool near its limit: 4 of 5 warns, 5 of 5 fails, the doctor's own session not counted")
    func poolNearLimit() async throws {
        guard let url = DatabaseServers.url(query: "connection_limit=5") else { return }
        let info = PostgresConnectionInfo(url: try PostgresURL.parse(url), applicationName: "payments-api")
        var held: [PostgresConnection] = []
        defer { held.forEach { $0.close() } }
        for _ in 0..<4 { held.append(try await PostgresConnection.connect(info, deadline: .now + .seconds(5))) }
        let pool = PostgresPoolCheck.Pool(variable: "DATABASE_URL", connectionLimit: nil, instances: nil, warn: 70, fail: 90, timeout: .seconds(5))
        let warned = await runCheck(pool, ["DATABASE_URL": url])
        #expect(warned.status == .warn, "\(warned)")
        #expect(warned.summary.contains("pool: 4 of 5 connections of payments open (80%)"), "\(warned.summary)")
        held.append(try await PostgresConnection.connect(info, deadline: .now + .seconds(5)))
        let failed = await runCheck(pool, ["DATABASE_URL": url])
        #expect(failed.status == .fail, "\(failed)")
        #expect(failed.summary.contains("5 of 5"), "\(failed.summary)")
        #expect(failed.hint?.contains("P2024") == true)
        let twoInstances = PostgresPoolCheck.Pool(variable: "DATABASE_URL", connectionLimit: nil, instances: 2, warn: 70, fail: 90, timeout: .seconds(5))
        let spread = await runCheck(twoInstances, ["DATABASE_URL": url])
        #expect(spread.status == .pass, "\(spread)")
        #expect(spread.summary.contains("5 of 10"), "\(spread.summary)")
        #expect(spread.summary.contains("server: "), "\(spread.summary)")
    }
}
