import Foundation

/// One successful Render API answer.
public struct RenderResponse: Sendable {
    /// The HTTP status (2xx).
    public var status: Int
    /// The decoded body: an object or, for lists, an array.
    public var json: JSONValue
    /// The timing of the attempt that answered.
    public var timings: HTTPTimings
    /// `Ratelimit-Remaining`, when Render sent it.
    public var rateLimitRemaining: Int?
    /// How many requests were made, retries included.
    public var attempts: Int
}

/// A Render public API client over the doctor's `HTTPClient` (api-facts section 3): Bearer auth
/// sent to the Render host only, cursor pagination, Render's error bodies in plain words, and its
/// rate-limit headers honoured — a 429 is waited out when `Retry-After` fits the deadline, and
/// paging stops while the budget is still comfortable, so the doctor never causes one.
public struct RenderClient: Sendable {
    /// Where the real API lives.
    public static let defaultBase = "https://api.render.com/v1"
    /// Below this many requests left in the window, the doctor stops asking.
    static let reserve = 5

    /// The base URL, without a trailing slash (`/services/…` paths go after it).
    public let base: String
    private let key: String
    private let http: HTTPClient
    /// Waits between attempts (replaced in tests).
    var sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }

    /// A client sending `key` to `base`.
    public init(key: String, base: String = defaultBase, http: HTTPClient) throws(RenderAPIError) {
        guard let base = APIBase.normalized(base) else { throw .invalidBase(base.trimmingCharacters(in: .whitespaces)) }
        guard !key.isEmpty else { throw .missingKey }
        self.base = base
        self.key = key
        self.http = http
    }

    /// A client from `RENDER_API_KEY` and `RENDER_API_BASE` (default `https://api.render.com/v1`).
    public init(configuration: Configuration, http: HTTPClient) throws(RenderAPIError) {
        guard let key = configuration.value("RENDER_API_KEY") else { throw .missingKey }
        try self.init(key: key, base: configuration.value("RENDER_API_BASE") ?? Self.defaultBase, http: http)
    }

    /// The key as it may be shown: prefix and last four (`rnd_…4f2a`).
    public var keyDisplay: String { SecretMask.apiKey(key) }

    /// `GET base + path` with `query`, ending by `deadline`; 5xx and connection failures are
    /// retried twice with backoff, a 429 once after its `Retry-After` when that fits.
    public func get(
        _ path: String, query: [(String, String)] = [], deadline: ContinuousClock.Instant
    ) async throws(RenderAPIError) -> RenderResponse {
        let answer: (response: HTTPResponse, attempts: Int)
        do {
            answer = try await BearerAPI(http: http, credential: key, sleep: sleep)
                .get(base + path + StripeClient.encode(query), deadline: deadline)
        } catch {
            throw .transport(error.error, attempts: error.attempts)
        }
        let response = answer.response
        guard (200...299).contains(response.status) else { throw Self.decodeFailure(response, scrub: scrub) }
        guard let json = JSONValue.parse(response.body) else {
            throw .invalidResponse(status: response.status, detail: BodyExcerpt.of(response.text, redactedBy: scrub))
        }
        let budget = response.header("ratelimit-remaining").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        return RenderResponse(status: response.status, json: json, timings: response.timings,
                              rateLimitRemaining: budget, attempts: answer.attempts)
    }

    /// Every item of a list (`[{"cursor": …, "<itemKey>": {…}}, …]`), following the last item's
    /// cursor while pages come back full and the last item is still `wanted`, up to `maxItems`;
    /// the second value says whether more exist.
    public func list(
        _ path: String, itemKey: String, query: [(String, String)] = [], pageSize: Int = 100, maxItems: Int = 500,
        deadline: ContinuousClock.Instant, while wanted: (JSONValue) -> Bool = { _ in true }
    ) async throws(RenderAPIError) -> (items: [JSONValue], hasMore: Bool) {
        var items: [JSONValue] = []
        var cursor: String?
        let limit = max(1, min(100, pageSize))
        while true {
            var pageQuery = query + [("limit", String(limit))]
            if let cursor { pageQuery.append(("cursor", cursor)) }
            let page = try await get(path, query: pageQuery, deadline: deadline)
            guard case let .array(entries) = page.json else {
                throw .invalidResponse(status: page.status, detail: "expected a list of {cursor, \(itemKey)}")
            }
            for entry in entries {
                guard let item = entry[itemKey] else {
                    throw .invalidResponse(status: page.status, detail: "a list entry without `\(itemKey)`")
                }
                if items.count < maxItems { items.append(item) }
            }
            guard entries.count >= limit, let next = entries.last?.string("cursor"), !next.isEmpty, next != cursor else {
                return (items, false)
            }
            if items.count >= maxItems { return (items, true) }
            // Newest first: once the last item is past what the caller wants, later pages are too.
            if let last = items.last, !wanted(last) { return (items, true) }
            if let left = page.rateLimitRemaining, left < Self.reserve { throw .budgetExhausted(remaining: left) }
            cursor = next
        }
    }

    static func decodeFailure(_ response: HTTPResponse, scrub: (String) -> String) -> RenderAPIError {
        let json = JSONValue.parse(response.body)
        let message = json?.string("message").map(scrub)
        let code = json?.string("code")
        if json == nil, !response.body.isEmpty, response.status != 429 {
            return .invalidResponse(status: response.status, detail: BodyExcerpt.of(response.text, redactedBy: scrub))
        }
        return .api(status: response.status, message: message, code: code, retryAfter: response.header("retry-after"))
    }

    /// `text` with this client's key reduced to prefix and last four, and every other secret masked.
    func scrub(_ text: String) -> String {
        SecretKind.masking(in: text.replacingOccurrences(of: key, with: keyDisplay, options: .literal))
    }
}
