import Foundation

/// A Stripe API error body (`{"error": {…}}`) with the response around it.
public struct StripeAPIFailure: Sendable, Equatable {
    /// The HTTP status.
    public var status: Int
    /// `error.type`, e.g. `invalid_request_error`.
    public var type: String?
    /// `error.code`, e.g. `rate_limit` or `resource_missing`.
    public var code: String?
    /// `error.message`, with any API key in it reduced to its prefix and last four.
    public var message: String?
    /// `error.param`, the parameter at fault.
    public var param: String?
    /// `error.doc_url`.
    public var docURL: String?
    /// The `Request-Id` header: what Stripe support asks for.
    public var requestID: String?
    /// The `Stripe-Should-Retry` header, when Stripe sent one.
    public var shouldRetry: Bool?
    /// The `Retry-After` header, when present.
    public var retryAfter: String?
    /// How many requests were made, retries included.
    public var attempts: Int

    /// The error class Stripe's libraries would raise for this answer.
    public var errorClass: String {
        if status == 429 || (status == 400 && code == "rate_limit") { return "RateLimitError" }
        switch status {
        case 400, 404: return type == "idempotency_error" ? "IdempotencyError" : "InvalidRequestError"
        case 401: return "AuthenticationError"
        case 402: return "CardError"
        case 403: return "PermissionError"
        default: return "APIError"
        }
    }

    /// Whether Stripe refused the request for its rate (429, or 400 with `code: rate_limit`).
    public var isRateLimit: Bool { errorClass == "RateLimitError" }
}

/// Why a Stripe API call produced no usable answer; messages never contain a key or secret.
public enum StripeAPIError: Error, Sendable, Equatable {
    /// `STRIPE_SECRET_KEY` is not set.
    case missingKey
    /// The base URL (`STRIPE_API_BASE`) is not an absolute http(s) URL.
    case invalidBase(String)
    /// No HTTP answer: connection refused, DNS, TLS, timeout; after `attempts` tries.
    case transport(HTTPError, attempts: Int)
    /// Stripe answered with an error object.
    case api(StripeAPIFailure)
    /// Stripe answered something that is not a Stripe object.
    case invalidResponse(status: Int, requestID: String?, detail: String)

    /// The `Request-Id` of the answer, when there was one.
    public var requestID: String? {
        switch self {
        case let .api(failure): failure.requestID
        case let .invalidResponse(_, requestID, _): requestID
        default: nil
        }
    }
}

extension StripeAPIError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case .missingKey:
            return "STRIPE_SECRET_KEY is not set"
        case let .invalidBase(base):
            return "STRIPE_API_BASE \"\(base)\" is not an absolute http(s) URL such as https://api.stripe.com"
        case let .transport(error, attempts):
            let tries = attempts > 1 ? " (after \(attempts) attempts)" : ""
            return "the Stripe API did not answer: \(error.localizedDescription)\(tries)"
        case let .api(failure):
            var text = "the Stripe API answered HTTP \(failure.status)"
            if let type = failure.type { text += " \(type)" }
            if let code = failure.code { text += " (\(code))" }
            if let message = failure.message { text += ": \(message)" }
            if failure.attempts > 1 { text += " (after \(failure.attempts) attempts)" }
            return text
        case let .invalidResponse(status, _, detail):
            return "the Stripe API answered HTTP \(status) with something that is not a Stripe object: \(detail)"
        }
    }
}
