import Foundation

/// Check kind `redis-ping`: `REDIS_URL` answers PING (after AUTH and SELECT), and how fast.
///
/// The variable is optional, as in the guide ("Check if Redis is enabled"): when it is absent the
/// step is skipped with the guide's recommendation as its hint, not failed. Thresholds apply to
/// the PING round trip (default 100 ms / 1 s).
public struct RedisPingCheck: CheckKind {
    public static let name = "redis-ping"

    public static func make(_ parameters: ParameterReader, step: StepSettings) throws(RunbookError) -> any Check {
        let variable = try parameters.optionalString("variable") ?? "REDIS_URL"
        try parameters.finish(kind: name)
        let limits = try step.latencyLimits(warn: .milliseconds(100), fail: .seconds(1), timeout: .seconds(5))
        return Ping(variable: variable, warn: limits.warn, fail: limits.fail, timeout: limits.timeout)
    }

    /// A configured `redis-ping` step.
    struct Ping: Check {
        let variable: String
        let warn: Duration
        let fail: Duration
        let timeout: Duration

        func run(in context: CheckContext) async -> CheckOutcome {
            guard let value = context.configuration.value(variable) else {
                return CheckOutcome(.skip, "\(variable) is not set: Redis caching is not enabled",
                                    hint: "the guide recommends Redis for caching (REDIS_URL): it caches customer lookups and subscription status and reduces database queries by ~40%")
            }
            let url: RedisURL
            do {
                url = try RedisURL.parse(value)
            } catch {
                return CheckOutcome(.unknown, error.description, hint: "Fix \(variable): redis://[user:password@]host:port[/db], or rediss:// for TLS.")
            }
            var evidence = Evidence()
            evidence["redis"] = .string("\(url.tls ? "rediss" : "redis")://\(url.host):\(url.port)/\(url.database)")
            evidence["authenticated"] = .bool(url.password != nil)
            let ping: RedisClient.Ping
            do {
                ping = try await RedisClient.ping(url, deadline: context.deadline)
            } catch {
                let message = scrub(error.errorDescription ?? "failed", password: url.password)
                evidence["error"] = .string(message)
                let hint: String? = switch error {
                case .authentication: "The password (or ACL user) in REDIS_URL is wrong: copy the current one from the Redis provider into Render → Environment."
                case .tls: "rediss:// needs the server's certificate to verify: check the host name and the provider's CA."
                case .protocolError: "Something answers at this address but it is not Redis (or it expects TLS: try rediss://)."
                default: "Check REDIS_URL's host and port and that the Redis instance is running; the service falls back to the database when the cache is down."
                }
                return CheckOutcome(.fail, message, evidence: evidence, hint: hint)
            }
            evidence["connect_ms"] = .double(DatabaseStep.millisecondsValue(ping.connect))
            evidence["ping_ms"] = .double(DatabaseStep.millisecondsValue(ping.roundTrip))
            if let version = ping.version { evidence["redis_version"] = .string(version) }
            evidence["tls"] = .string(ping.tlsProtocol ?? "not in use")
            let summary = "PONG in \(DatabaseStep.milliseconds(ping.roundTrip))" + (ping.version.map { " from Redis \($0)" } ?? "")
                + (ping.tlsProtocol.map { " over \($0)" } ?? "")
            let cache = Self.cacheUse(ping)
            if let figure = cache.evidence { evidence["cache"] = .string(figure) }
            let outcome: CheckOutcome
            if ping.roundTrip >= fail {
                outcome = CheckOutcome(.fail, "\(summary), over the \(fail.short) critical threshold", evidence: evidence)
            } else if ping.roundTrip >= warn {
                outcome = CheckOutcome(.warn, "\(summary), over the \(warn.short) threshold", evidence: evidence)
            } else if let unused = cache.problem {
                outcome = CheckOutcome(.warn, "\(summary), but \(unused)", evidence: evidence,
                                       hint: "The guide counts on the cache for ~40% fewer database queries (customer lookups, subscription status): check that the service reads through Redis (its cache keys and TTLs) and that REDIS_URL on Render points at this instance.")
            } else {
                outcome = CheckOutcome(.pass, summary + (cache.evidence.map { "; \($0)" } ?? ""), evidence: evidence)
            }
            return outcome.proving(variable)
        }

        /// Lookups fewer than this say nothing about a cache's use.
        static let minimumLookups = 100
        /// A Redis up this long with no lookup at all is not being used.
        static let idleUptime = 3600

        /// The keyspace hit rate since the server started, and whether the cache is doing its job:
        /// never hit over enough lookups, or never asked in an hour of uptime.
        static func cacheUse(_ ping: RedisClient.Ping) -> (evidence: String?, problem: String?) {
            guard let hits = ping.hits, let misses = ping.misses else { return (nil, nil) }
            let lookups = hits + misses
            let since = ping.uptime.map { " in \(StripeDeliveriesCheck.hours($0)) of uptime" } ?? ""
            if lookups == 0 {
                let figure = "no key lookups\(since)"
                if let uptime = ping.uptime, uptime >= idleUptime { return (figure, "the cache is never used (\(figure))") }
                return (figure, nil)
            }
            let rate = Double(hits) / Double(lookups) * 100
            let figure = "cache hit rate \(String(format: "%.1f", rate))% (\(hits) hits, \(misses) misses\(since))"
            if hits == 0 && lookups >= minimumLookups { return (figure, "the cache is never hit: \(lookups) lookups, all misses\(since)") }
            return (figure, nil)
        }

        private func scrub(_ text: String, password: String?) -> String {
            guard let password, password.count >= 3 else { return text }
            // Literal: a password followed by a combining mark is still the password.
            return text.replacingOccurrences(of: password, with: SecretMask.hidden, options: .literal)
        }
    }
}
