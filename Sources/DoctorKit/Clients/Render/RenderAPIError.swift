import Foundation

/// Why a Render API call produced no usable answer; messages never contain the key.
public enum RenderAPIError: Error, Sendable, Equatable {
    /// `RENDER_API_KEY` is not set.
    case missingKey
    /// `RENDER_SERVICE_ID` is not set.
    case missingServiceID
    /// The base URL (`RENDER_API_BASE`) is not an absolute http(s) URL.
    case invalidBase(String)
    /// No HTTP answer: connection refused, DNS, TLS, timeout.
    case transport(HTTPError, attempts: Int)
    /// Render answered with an error (`{"id", "message", "code"}`, all optional).
    case api(status: Int, message: String?, code: String?, retryAfter: String?)
    /// Render answered something that is not the documented shape.
    case invalidResponse(status: Int, detail: String)
    /// The doctor stopped before it could cause a 429: the rate-limit budget ran low.
    case budgetExhausted(remaining: Int)

    /// The HTTP status Render answered with, when it answered.
    public var status: Int? {
        switch self {
        case let .api(status, _, _, _), let .invalidResponse(status, _): status
        default: nil
        }
    }
}

extension RenderAPIError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case .missingKey: return "RENDER_API_KEY is not set"
        case .missingServiceID: return "RENDER_SERVICE_ID is not set"
        case let .invalidBase(base):
            return "RENDER_API_BASE \"\(base)\" is not an absolute http(s) URL such as https://api.render.com/v1"
        case let .transport(error, attempts):
            let tries = attempts > 1 ? " (after \(attempts) attempts)" : ""
            return "the Render API did not answer: \(error.localizedDescription)\(tries)"
        case let .api(status, message, _, _):
            let said = message.map { ": \($0)" } ?? ""
            switch status {
            case 401: return "Render rejected RENDER_API_KEY (HTTP 401\(said))"
            case 403: return "RENDER_API_KEY may not read this (HTTP 403\(said))"
            case 404: return "Render has no such resource (HTTP 404\(said))"
            case 429: return "the Render API rate limited the request (HTTP 429\(said))"
            default: return "the Render API answered HTTP \(status)\(said)"
            }
        case let .invalidResponse(status, detail):
            return "the Render API answered HTTP \(status) with something that is not Render's: \(detail)"
        case let .budgetExhausted(remaining):
            return "stopped with \(remaining) Render API requests left in the rate-limit window, so the doctor never causes a 429"
        }
    }
}
