import Foundation

/// Why a Sentry API call produced no usable answer; messages never contain the token.
public enum SentryAPIError: Error, Sendable, Equatable {
    /// `SENTRY_AUTH_TOKEN` is not set.
    case missingToken
    /// The base URL (`SENTRY_API_BASE`) is not an absolute http(s) URL.
    case invalidBase(String)
    /// No HTTP answer: connection refused, DNS, TLS, timeout.
    case transport(HTTPError, attempts: Int)
    /// Sentry answered with an error (`{"detail": …}`).
    case api(status: Int, detail: String?, retryAfter: String?)
    /// Sentry answered something that is not the documented shape.
    case invalidResponse(status: Int, detail: String)

    /// The HTTP status Sentry answered with, when it answered.
    public var status: Int? {
        switch self {
        case let .api(status, _, _), let .invalidResponse(status, _): status
        default: nil
        }
    }
}

extension SentryAPIError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case .missingToken: return "SENTRY_AUTH_TOKEN is not set"
        case let .invalidBase(base):
            return "SENTRY_API_BASE \"\(base)\" is not an absolute http(s) URL such as https://sentry.io/api/0"
        case let .transport(error, attempts):
            let tries = attempts > 1 ? " (after \(attempts) attempts)" : ""
            return "the Sentry API did not answer: \(error.localizedDescription)\(tries)"
        case let .api(status, detail, _):
            let said = detail.map { ": \($0)" } ?? ""
            switch status {
            case 401: return "Sentry rejected SENTRY_AUTH_TOKEN (HTTP 401\(said))"
            case 403: return "SENTRY_AUTH_TOKEN may not read this project (HTTP 403\(said))"
            case 404: return "Sentry has no such organization or project visible to this token (HTTP 404\(said))"
            case 429: return "the Sentry API rate limited the request (HTTP 429\(said))"
            default: return "the Sentry API answered HTTP \(status)\(said)"
            }
        case let .invalidResponse(status, detail):
            return "the Sentry API answered HTTP \(status) with something that is not Sentry's: \(detail)"
        }
    }
}
