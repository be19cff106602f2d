import Foundation
import Testing

@testable import DoctorKit
import DoctorSandbox

@Suite("Demo database", .serialized)
struct DemoDatabaseTests {
    @Test("the healthy demo runs the database steps against its own PostgreSQL and passes")
    func healthy() throws {
        guard TemporaryPostgres.binDirectory != nil else {
            if DatabaseServers.isCI { Issue.record("PostgreSQL server binaries are required under CI=true") }
            return
        }
        let result = try DoctorProcess.run(["demo", "missing-db-records,high-latency", "--verbose"])
        #expect(result.exitCode == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("sandbox: PostgreSQL at 127.0.0.1:"))
        #expect(result.stdout.contains("[✓] The database accepts the service's credentials and answers: PostgreSQL 15"))
        #expect(result.stdout.contains("[✓] The Payment and AiEvent tables exist and receive rows: Payment (~40 rows, 30 in 24h"))
        #expect(result.stdout.contains("[✓] The connection pool has room"))
        #expect(result.stdout.contains("[-] Redis answers quickly (when REDIS_URL is set): REDIS_URL is not set"))
    }

    @Test("db-down: the database step fails with P1001, the steps that need it are skipped, exit 2")
    func databaseDown() throws {
        let result = try DoctorProcess.run(["demo", "missing-db-records", "--fault", "db-down"])
        #expect(result.exitCode == 2, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("[✗] The database accepts the service's credentials and answers: P1001: Can't reach database server at `127.0.0.1`"))
        // The steps it kept from running are named under the finding, not listed one by one.
        #expect(result.stdout.contains("kept from running: migrations (missing-db-records), db-tables (missing-db-records), webhook-e2e (missing-db-records), reconciliation (missing-db-records)"), "\(result.stdout)")
        #expect(!result.stdout.contains("postgresql://payments:"), "a URL with its password was printed")
    }
}
