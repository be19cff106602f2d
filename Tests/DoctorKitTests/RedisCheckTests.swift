import Foundation
import Testing

@testable import DoctorKit

private let check = RedisPingCheck.Ping(variable: "REDIS_URL", warn: .seconds(1), fail: .seconds(2), timeout: .seconds(5))

private func redisURL(password: String = DatabaseServers.redisPassword, db: Int = 0) -> String? {
    guard let port = DatabaseServers.redisPort() else { return nil }
    let encoded = password.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
    return "redis://:\(encoded)@127.0.0.1:\(port)/\(db)"
}

@Suite("Redis check against a real redis-server", .serialized)
struct RedisCheckTests {
    @Test("healthy: AUTH, SELECT and PING round trip with the server's version")
    func healthy() async {
        guard let url = redisURL(db: 2) else { return }
        let outcome = await runCheck(check, ["REDIS_URL": url])
        #expect(outcome.status == .pass, "\(outcome)")
        #expect(outcome.summary.hasPrefix("PONG in"), "\(outcome.summary)")
        #expect(outcome.summary.contains("from Redis 7"), "\(outcome.summary)")
        #expect(!allText(outcome).contains(DatabaseServers.redisPassword))
    }

    @Test("wrong password: fails naming WRONGPASS, nothing of either password shown")
    func wrongPassword() async {
        guard let url = redisURL(password: "wrong-redis-pw") else { return }
        let outcome = await runCheck(check, ["REDIS_URL": url])
        #expect(outcome.status == .fail)
        #expect(outcome.summary.contains("Redis refused the credentials: WRONGPASS"), "\(outcome.summary)")
        #expect(!allText(outcome).contains("wrong-redis-pw"))
        #expect(!allText(outcome).contains(DatabaseServers.redisPassword))
    }

    @Test("no password on a server that needs one: NOAUTH")
    func noPassword() async {
        guard let port = DatabaseServers.redisPort() else { return }
        let outcome = await runCheck(check, ["REDIS_URL": "redis://127.0.0.1:\(port)"])
        #expect(outcome.status == .fail)
        #expect(outcome.summary.contains("NOAUTH"), "\(outcome.summary)")
    }

    @Test("REDIS_URL absent: skipped with the guide's recommendation, not failed")
    func absent() async {
        let outcome = await runCheck(check, [:])
        #expect(outcome.status == .skip)
        #expect(outcome.hint?.contains("the guide recommends Redis for caching") == true)
    }

    @Test("server down and a silent server: failures that name the cause, within the deadline")
    func downAndSilent() async throws {
        let closed = try closedLoopbackPort()
        let down = await runCheck(check, ["REDIS_URL": "redis://:pw12345@127.0.0.1:\(closed)"])
        #expect(down.status == .fail)
        #expect(down.summary.contains("can't reach Redis at 127.0.0.1:\(closed)"), "\(down.summary)")
        let listener = SilentListener()
        let start = ContinuousClock.now
        let silent = await runCheck(check, ["REDIS_URL": "redis://:pw12345@127.0.0.1:\(listener.port)"], timeout: .seconds(1))
        #expect(silent.status == .fail)
        #expect(silent.summary.contains("did not answer"), "\(silent.summary)")
        #expect(ContinuousClock.now - start < .seconds(2))
        #expect(!allText(silent).contains("pw12345"))
    }

    @Test("rediss:// to a plain server: a TLS failure, not a hang")
    func tlsToPlain() async {
        guard let port = DatabaseServers.redisPort() else { return }
        let outcome = await runCheck(check, ["REDIS_URL": "rediss://:pw12345@127.0.0.1:\(port)"], timeout: .seconds(2))
        #expect(outcome.status == .fail)
        #expect(outcome.summary.contains("TLS") || outcome.summary.contains("did not answer"), "\(outcome.summary)")
    }
}

/// Sends inline commands to the test redis-server and reads one reply line each (enough for the
/// simple and bulk replies these commands give), so a test can shape its keyspace counters.
private func redis(_ commands: [String]) {
    guard let port = DatabaseServers.redisPort() else { return }
    guard let fd = loopbackConnection(port) else { return }
    defer { close(fd) }
    let text = (["AUTH \(DatabaseServers.redisPassword)"] + commands).map { $0 + "\r\n" }.joined()
    _ = text.withCString { send(fd, $0, strlen($0), 0) }
    // Wait until every reply has come (one line at least each), so the counters are final.
    var received = 0
    var buffer = [UInt8](repeating: 0, count: 65536)
    var lines = 0
    while lines < commands.count + 1 {
        let count = recv(fd, &buffer, buffer.count, 0)
        if count <= 0 { break }
        received += count
        lines += buffer[0..<count].filter { $0 == 10 }.count
    }
}

@Suite("Redis doing its job: keyspace hits and misses", .serialized)
struct RedisCacheTests {
    @Test("a cache that is never hit warns, naming its lookups; one that is hit passes with its hit rate")
    func hitRate() async {
        guard let url = redisURL(db: 3) else { return }
        redis(["SELECT 3", "CONFIG RESETSTAT"] + (0..<120).map { "GET doctor-test-missing-\($0)" })
        let cold = await runCheck(check, ["REDIS_URL": url])
        #expect(cold.status == .warn, "\(cold.summary)")
        #expect(cold.summary.contains("the cache is never hit: 120 lookups, all misses"), "\(cold.summary)")
        #expect(cold.hint?.contains("~40% fewer database queries") == true)

        redis(["SELECT 3", "CONFIG RESETSTAT", "SET doctor-test-key 1"] + (0..<30).map { _ in "GET doctor-test-key" } + (0..<10).map { "GET doctor-test-missing-\($0)" })
        let warm = await runCheck(check, ["REDIS_URL": url])
        #expect(warm.status == .pass, "\(warm.summary)")
        #expect(warm.summary.contains("cache hit rate 75.0% (30 hits, 10 misses"), "\(warm.summary)")
        #expect(warm.evidence["cache"]?.text.hasPrefix("cache hit rate 75.0%") == true)
        redis(["CONFIG RESETSTAT", "DEL doctor-test-key"])
    }

    @Test("through the binary: a redis-ping step against a cache that is never hit warns (exit 1), naming the lookups")
    func throughTheBinary() throws {
        guard let url = redisURL(db: 4) else { return }
        redis(["SELECT 4", "CONFIG RESETSTAT"] + (0..<150).map { "GET doctor-test-missing-\($0)" })
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("redis-rb-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try """
            version: 1
            id: cache
            title: Cache
            symptom: test
            steps:
              - { id: redis, title: Redis answers and caches, check: redis-ping }
            """.write(toFile: folder + "/cache.yml", atomically: true, encoding: .utf8)
        let result = try DoctorProcess.run(["--check", "cache", "--runbooks", folder], environment: ["REDIS_URL": url, "API_URL": "http://127.0.0.1:9"])
        #expect(result.exitCode == 1, "\(result.stdout)")
        #expect(result.stdout.contains("the cache is never hit: 150 lookups, all misses"), "\(result.stdout)")
        #expect(!result.stdout.contains(DatabaseServers.redisPassword))
        redis(["CONFIG RESETSTAT"])
    }

    @Test("no lookups on a fresh server is no verdict; on one up for an hour it is a cache never used")
    func unused() {
        var ping = RedisClient.Ping(connect: .zero, roundTrip: .zero, version: "7.0", tlsProtocol: nil, uptime: 120, hits: 0, misses: 0)
        #expect(RedisPingCheck.Ping.cacheUse(ping).problem == nil)
        ping.uptime = 7200
        #expect(RedisPingCheck.Ping.cacheUse(ping).problem == "the cache is never used (no key lookups in 2 h of uptime)")
        ping.hits = nil
        #expect(RedisPingCheck.Ping.cacheUse(ping).evidence == nil, "INFO refused: nothing claimed")
    }
}
