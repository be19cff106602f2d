import Foundation
import Testing
@testable import DoctorKit
@testable import DoctorSandbox

/// `prisma-migrations`: a `_prisma_migrations` row that started and never finished (and was not
/// rolled back) is a failed `prisma migrate deploy`, named in `deploy` and `missing-db-records`
/// (issue 19, item 6). Against a real PostgreSQL, through the sandbox.
@Suite("Prisma migrations", .serialized)
struct PrismaMigrationsTests {
    func requirePostgres() -> Bool {
        guard TemporaryPostgres.binDirectory != nil else {
            if DatabaseServers.isCI { Issue.record("PostgreSQL server binaries are required under CI=true") }
            return false
        }
        return true
    }

    @Test("demo deploy --fault migration-failed names the migration, when it started and Prisma's error; the healthy demo names the newest applied one")
    func demo() throws {
        guard requirePostgres() else { return }
        let failed = try DoctorProcess.run(["demo", "deploy", "--fault", "migration-failed", "--no-color", "-v"])
        #expect(failed.exitCode == 2, "\(failed.stdout)")
        #expect(failed.stdout.contains("migration 20261207093000_payment_refund_reason started 20"), "\(failed.stdout)")
        #expect(failed.stdout.contains("and never finished: a failed prisma migrate deploy (Error: P3018)"), "\(failed.stdout)")
        #expect(failed.stdout.contains("npx prisma migrate resolve --rolled-back 20261207093000_payment_refund_reason"))

        let healthy = try DoctorProcess.run(["demo", "missing-db-records", "--no-color", "-v"])
        #expect(healthy.exitCode == 0, "\(healthy.stdout)")
        #expect(healthy.stdout.contains("[✓] Every Prisma migration the last deploy started has finished: every migration in \"public\".\"_prisma_migrations\" finished (2 applied; newest 20261117120000_ai_event_log"), "\(healthy.stdout)")
    }

    @Test("a database without _prisma_migrations is skipped, saying its schema is not managed by prisma migrate")
    func notManaged() async throws {
        guard requirePostgres(), let url = DatabaseServers.url() else { return }
        let runbook = try RunbookLoader(registry: .standard).load(yaml: """
            version: 1
            id: m
            title: M
            symptom: test
            steps:
              - { id: migrations, title: Migrations, check: prisma-migrations }
            """, file: "m.yml")
        var configuration = Configuration()
        configuration.set("DATABASE_URL", url, origin: .process)
        let http = HTTPClient()
        defer { http.close() }
        let report = await Runner(configuration: configuration, http: http, options: RunOptions(timeout: .seconds(20))).run([runbook])
        let step = report.runbooks[0].steps[0]
        #expect(step.status == .skip, "\(step.summary)")
        #expect(step.summary.contains("not managed by prisma migrate"), "\(step.summary)")
    }
}
