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
