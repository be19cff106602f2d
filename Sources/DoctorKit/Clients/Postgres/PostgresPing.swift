@preconcurrency import CPostgres
import Dispatch

/// What `PQpingParams` says about a server, as `pg_isready` reports it.
public enum PostgresPingResult: String, Sendable {
    /// The server accepts connections (this proves nothing about credentials).
    case accepting = "accepting connections"
    /// The server is alive but refuses connections: starting up, shutting down or in recovery.
    case rejecting = "rejecting connections"
    /// Nothing answered: refused, unreachable, or no answer within `connect_timeout`.
    case noResponse = "no response"
    /// The parameters are invalid: nothing was tried.
    case noAttempt = "no attempt"

    /// Pings the server described by `info`, bounded by its `connect_timeout`, off the cooperative pool.
    public static func ping(_ info: PostgresConnectionInfo) async -> PostgresPingResult {
        await withCheckedContinuation { continuation in
            DispatchQueue(label: "doctor.postgres.ping").async {
                let answer = info.withCArrays { PQpingParams($0, $1, 0) }
                let result: PostgresPingResult = switch answer {
                case PQPING_OK: .accepting
                case PQPING_REJECT: .rejecting
                case PQPING_NO_RESPONSE: .noResponse
                default: .noAttempt
                }
                continuation.resume(returning: result)
            }
        }
    }
}
