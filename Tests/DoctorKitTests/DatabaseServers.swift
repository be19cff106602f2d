import Foundation
import Testing

@testable import DoctorKit
@testable import DoctorSandbox

/// The real PostgreSQL and Redis servers the database tests run against, started once per test
/// process and stopped at exit. Under `CI=true` a missing server fails the tests that need it.
enum DatabaseServers {
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

    /// The service's role and database in the shared cluster, with a password full of URL delimiters.
    static let role = "payments"
    static let password = "s3cr@t/p#ss?w0rd-\(UUID().uuidString.prefix(6))"
    static let database = "payments"

    /// The cluster, or why there is none.
    static let postgres: Result<TemporaryPostgres, TemporaryPostgresError> = {
        do throws(TemporaryPostgresError) {
            let cluster = try TemporaryPostgres(settings: ["max_connections": "40"])
            let quoted = password.replacingOccurrences(of: "'", with: "''")
            try cluster.execute("CREATE ROLE \(role) LOGIN PASSWORD '\(quoted)'")
            try cluster.execute("CREATE DATABASE \(database) OWNER \(role)")
            try cluster.execute("CREATE DATABASE empty OWNER \(role)")
            try cluster.execute("""
                CREATE TABLE "Payment" (id text PRIMARY KEY, "stripePaymentIntentId" text UNIQUE, amount int,
                  "createdAt" timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP);
                CREATE INDEX ON "Payment" ("createdAt");
                CREATE TABLE "AiEvent" (id text PRIMARY KEY, type text, "createdAt" timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP);
                INSERT INTO "Payment" (id, "stripePaymentIntentId", amount, "createdAt")
                  SELECT 'pay_' || g, 'pi_' || g, 1000, (now() at time zone 'utc') - g * interval '1 hour' FROM generate_series(1, 30) g;
                INSERT INTO "AiEvent" (id, type) VALUES ('evt_1', 'payment_intent.succeeded');
                ALTER TABLE "Payment" OWNER TO \(role); ALTER TABLE "AiEvent" OWNER TO \(role);
                ANALYZE;
                """, database: database)
            try cluster.execute("CREATE TABLE payment (id text)", database: "empty")
            atexit { if case let .success(cluster) = DatabaseServers.postgres { cluster.stop() } }
            return .success(cluster)
        } catch {
            return .failure(error)
        }
    }()

    /// The cluster, recording an issue under CI when it cannot start (nil: skip the test).
    static func cluster() -> TemporaryPostgres? {
        switch postgres {
        case let .success(cluster): return cluster
        case let .failure(error):
            if isCI { Issue.record("PostgreSQL is required under CI=true: \(error)") }
            return nil
        }
    }

    /// The service's URL on the shared cluster.
    static func url(database: String = database, password: String = password, query: String = "") -> String? {
        cluster()?.url(user: role, password: password, database: database, query: query)
    }

    /// A redis-server on a free port with a password, or why there is none.
    static let redisPassword = "r3dis#pw-\(UUID().uuidString.prefix(6))"
    static let redis: Result<(watchdog: Watchdog, port: UInt16), TemporaryPostgresError> = {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/redis-server") else {
            return .failure(.failed("redis-server not found (apt-get install redis-server)"))
        }
        let port = TemporaryPostgres.freePort()
        // Started by a watchdog, so it ends with this process even when `kill -9` ends that:
        // SIGKILL, as nothing is persisted and nothing can be lost.
        let watchdog: Watchdog
        do {
            watchdog = try Watchdog(
                setUp: #""$@" </dev/null & server=$!"#, cleanUp: #"kill -KILL "$server"; wait "$server""#,
                arguments: ["/usr/bin/redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "",
                            "--appendonly", "no", "--requirepass", redisPassword, "--daemonize", "no"])
        } catch {
            return .failure(.failed("cannot start redis-server: \(error)"))
        }
        atexit { if case let .success(server) = DatabaseServers.redis { server.watchdog.release() } }
        // Ready when the port accepts a connection.
        for _ in 0..<100 {
            if let fd = loopbackConnection(port) {
                close(fd)
                return .success((watchdog, port))
            }
            usleep(20_000)
        }
        return .failure(.failed("redis-server did not start listening"))
    }()

    /// The Redis port, recording an issue under CI when there is none.
    static func redisPort() -> UInt16? {
        switch redis {
        case let .success(server): return server.port
        case let .failure(error):
            if isCI { Issue.record("Redis is required under CI=true: \(error)") }
            return nil
        }
    }
}

/// A loopback port that accepts TCP connections (the kernel completes them) and never says a word.
final class SilentListener {
    let port: UInt16
    private let fd: Int32

    init() {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                _ = bind(fd, pointer, length)
                return getsockname(fd, pointer, &length)
            }
        }
        listen(fd, 16)
        self.fd = fd
        port = UInt16(bigEndian: address.sin_port)
    }

    deinit { close(fd) }
}

/// Runs one check with `variables` as the configuration.
func runCheck(
    _ check: any Check, _ variables: [String: String], resources: SharedResources = SharedResources(),
    timeout: Duration = .seconds(10)
) async -> CheckOutcome {
    var configuration = Configuration()
    for (name, value) in variables { configuration.set(name, value, origin: .process) }
    let http = HTTPClient()
    defer { http.close() }
    let context = CheckContext(configuration: configuration, http: http, readOnly: true,
                               deadline: .now + timeout, resources: resources)
    return await check.run(in: context)
}

/// Every text of an outcome, for asserting that no secret appears anywhere.
func allText(_ outcome: CheckOutcome) -> String {
    let json = (try? JSONEncoder().encode(outcome.evidence)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    return [outcome.summary, outcome.hint ?? "", json].joined(separator: "\n")
}

/// A TCP connection to `127.0.0.1:port` (the caller closes it), or nil when nothing accepts it.
func loopbackConnection(_ port: UInt16) -> Int32? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = port.bigEndian
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    if connected == 0 { return fd }
    close(fd)
    return nil
}
