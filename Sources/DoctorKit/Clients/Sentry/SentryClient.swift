import Foundation

/// One successful Sentry API answer.
public struct SentryResponse: Sendable {
    /// The HTTP status (2xx).
    public var status: Int
    /// The decoded body.
    public var json: JSONValue
    /// How many requests were made, retries included.
    public var attempts: Int
    /// The paging cursors of Sentry's `Link` header.
    public var link = SentryLinkHeader(nil)
}

/// A Sentry web API client over the doctor's `HTTPClient` (api-facts section 4): the auth token as
/// a Bearer credential sent to the Sentry host only (no redirects followed, so it never reaches
/// another), Sentry's `{"detail"}` errors in plain words, 5xx retried twice, a 429 waited out once
/// when its `Retry-After` fits the deadline.
public struct SentryClient: Sendable {
    /// Where the real API lives.
    public static let defaultBase = "https://sentry.io/api/0"

    /// The base URL, without a trailing slash (`/projects/…` paths go after it).
    public let base: String
    /// Why this base: `SENTRY_API_BASE`, the DSN's region, or the default.
    public let baseSource: String
    private let token: String
    private let http: HTTPClient
    /// Waits between attempts (replaced in tests).
    var sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }

    /// A client sending `token` to `base`.
    public init(token: String, base: String = defaultBase, baseSource: String = "default", http: HTTPClient) throws(SentryAPIError) {
        guard let base = APIBase.normalized(base) else { throw .invalidBase(base.trimmingCharacters(in: .whitespaces)) }
        let token = token.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw .missingToken }
        self.base = base
        self.baseSource = baseSource
        self.token = token
        self.http = http
    }

    /// A client from `SENTRY_AUTH_TOKEN`, on the host `SentryRegion` chooses (`SENTRY_API_BASE`,
    /// else the DSN's region, else `https://sentry.io/api/0`).
    public init(configuration: Configuration, http: HTTPClient) throws(SentryAPIError) {
        guard let token = configuration.value("SENTRY_AUTH_TOKEN") else { throw .missingToken }
        let region = SentryRegion.of(configuration)
        try self.init(token: token, base: region.base, baseSource: region.source, http: http)
    }

    /// What may be shown of the token: its kind's prefix (`sntrys_…`), or nothing for a legacy hex token.
    public var tokenDisplay: String {
        SecretKind.kind(of: token).map { $0.show(token) } ?? Redactor.mask
    }

    /// `GET base + path` with `query`, ending by `deadline`.
    public func get(
        _ path: String, query: [(String, String)] = [], deadline: ContinuousClock.Instant
    ) async throws(SentryAPIError) -> SentryResponse {
        let answer: (response: HTTPResponse, attempts: Int)
        do {
            answer = try await BearerAPI(http: http, credential: token, sleep: sleep)
                .get(base + path + StripeClient.encode(query), deadline: deadline)
        } catch {
            throw .transport(error.error, attempts: error.attempts)
        }
        let response = answer.response
        guard (200...299).contains(response.status) else { throw decodeFailure(response) }
        guard let json = JSONValue.parse(response.body) else {
            throw .invalidResponse(status: response.status, detail: BodyExcerpt.of(response.text, redactedBy: scrub))
        }
        return SentryResponse(status: response.status, json: json, attempts: answer.attempts,
                              link: SentryLinkHeader(response.header("link")))
    }

    /// Sentry's error body is `{"detail": "…"}`; anything else that is not JSON is not Sentry's.
    func decodeFailure(_ response: HTTPResponse) -> SentryAPIError {
        let json = JSONValue.parse(response.body)
        if json == nil, !response.body.isEmpty, response.status != 429 {
            return .invalidResponse(status: response.status, detail: BodyExcerpt.of(response.text, redactedBy: scrub))
        }
        let detail = json?.string("detail").map { BodyExcerpt.of($0, redactedBy: scrub) }
        return .api(status: response.status, detail: detail, retryAfter: response.header("retry-after"))
    }

    /// `text` without this client's token, and every other secret masked.
    func scrub(_ text: String) -> String {
        SecretKind.masking(in: text.replacingOccurrences(of: token, with: tokenDisplay, options: .literal))
    }
}
