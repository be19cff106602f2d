import Foundation

/// One successful Stripe API answer.
public struct StripeResponse: Sendable {
    /// The HTTP status (2xx).
    public var status: Int
    /// The decoded body.
    public var json: JSONValue
    /// The `Request-Id` header.
    public var requestID: String?
    /// The timing of the attempt that answered.
    public var timings: HTTPTimings
    /// How many requests were made, retries included.
    public var attempts: Int
    /// Stripe's clock when it answered: the `Date` header, in seconds since 1970.
    public var date: Int64?
}

/// A Stripe API client over the doctor's `HTTPClient`: Bearer auth sent to the Stripe host only,
/// list pagination, Stripe's error objects and its retry rules, every call bounded by a deadline.
///
/// The key is never part of a URL, an error or a description; `keyDisplay` is the safe form.
public struct StripeClient: Sendable {
    /// Where the real API lives.
    public static let defaultBase = "https://api.stripe.com"

    /// The base URL, without a trailing slash (`/v1/…` paths go after it).
    public let base: String
    let key: String
    let http: HTTPClient
    /// When to retry.
    public var retryPolicy = StripeRetryPolicy()
    /// Waits between attempts (replaced in tests).
    var sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    /// The jitter factor source, from 0.5 to 1 (replaced in tests).
    var jitter: @Sendable () -> Double = { Double.random(in: 0.5...1) }

    /// A client sending `key` to `base`.
    public init(key: String, base: String = defaultBase, http: HTTPClient) throws(StripeAPIError) {
        guard let base = APIBase.normalized(base) else { throw .invalidBase(base.trimmingCharacters(in: .whitespaces)) }
        guard !key.isEmpty else { throw .missingKey }
        self.base = base
        self.key = key
        self.http = http
    }

    /// A client from `STRIPE_SECRET_KEY` and `STRIPE_API_BASE` (default `https://api.stripe.com`).
    public init(configuration: Configuration, http: HTTPClient) throws(StripeAPIError) {
        guard let key = configuration.value("STRIPE_SECRET_KEY") else { throw .missingKey }
        try self.init(key: key, base: configuration.value("STRIPE_API_BASE") ?? Self.defaultBase, http: http)
    }

    /// The key as Stripe's dashboard shows it: prefix and last four (`sk_live_…4f2a`).
    public var keyDisplay: String { SecretMask.apiKey(key) }

    /// `live` or `test` from the key's prefix; nil for a key of another shape.
    public var mode: String? { SecretMask.stripeMode(ofKey: key) }

    /// `GET base + path` with `query`, retried as Stripe's libraries would, ending by `deadline`.
    public func get(
        _ path: String, query: [(String, String)] = [], deadline: ContinuousClock.Instant
    ) async throws(StripeAPIError) -> StripeResponse {
        let url = base + path + Self.encode(query)
        var retries = 0
        while true {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .milliseconds(1) else {
                throw .transport(.timedOut(after: .zero, phase: "no time left before the step's deadline"), attempts: retries)
            }
            let request = HTTPRequest(
                method: "GET", url: url, headers: [("Accept", "application/json")], timeout: remaining,
                maxRedirects: 0, credentialHeaders: [("Authorization", "Bearer \(key)")])
            let response: HTTPResponse
            do {
                response = try await http.perform(request)
            } catch {
                let failure = StripeAPIError.transport(error, attempts: retries + 1)
                guard retryPolicy.shouldRetry(after: error, retries: retries),
                    await pause(beforeRetry: retries + 1, retryAfter: nil, deadline: deadline)
                else { throw failure }
                retries += 1
                continue
            }
            let requestID = response.header("request-id")
            if (200...299).contains(response.status) {
                guard let json = JSONValue.parse(response.body), case .object = json else {
                    throw .invalidResponse(status: response.status, requestID: requestID, detail: excerpt(response.text))
                }
                return StripeResponse(
                    status: response.status, json: json, requestID: requestID, timings: response.timings,
                    attempts: retries + 1, date: response.header("date").flatMap(UTCTime.parseHTTPDate))
            }
            let failure = decodeFailure(response, attempts: retries + 1)
            guard retryPolicy.shouldRetry(status: response.status, shouldRetryHeader: response.header("stripe-should-retry"), retries: retries),
                await pause(beforeRetry: retries + 1, retryAfter: response.header("retry-after"), deadline: deadline)
            else { throw failure }
            retries += 1
        }
    }

    /// Every item of a list (`{"object": "list", "data": […], "has_more": …}`), following
    /// `starting_after` while `has_more`, up to `maxItems`, waiting `pageInterval` between pages
    /// (so a long read stays well under Stripe's rate limit; it ends early, not late, at `deadline`).
    public func list(
        _ path: String, query: [(String, String)] = [], pageSize: Int = 100, maxItems: Int = 1000,
        pageInterval: Duration = .zero, deadline: ContinuousClock.Instant
    ) async throws(StripeAPIError) -> StripeList {
        var result = StripeList()
        var startingAfter: String?
        repeat {
            var pageQuery = query + [("limit", String(max(1, min(100, pageSize))))]
            if let startingAfter { pageQuery.append(("starting_after", startingAfter)) }
            let page = try await get(path, query: pageQuery, deadline: deadline)
            result.pages += 1
            result.attempts += page.attempts
            if let id = page.requestID { result.requestIDs.append(id) }
            result.timings.append(page.timings)
            guard page.json["object"] == .string("list"), case let .array(items)? = page.json["data"] else {
                throw .invalidResponse(status: page.status, requestID: page.requestID,
                                       detail: "expected a list object with `data`")
            }
            // Items of this page left out for `maxItems` make the result incomplete even on the last page.
            let hasMore = page.json["has_more"] == .bool(true) || result.items.count + items.count > maxItems
            for item in items where result.items.count < maxItems { result.items.append(item) }
            guard hasMore, !items.isEmpty, case let .string(lastID)? = items.last?["id"] else {
                result.hasMore = false
                return result
            }
            if result.items.count >= maxItems {
                result.hasMore = true
                return result
            }
            if pageInterval > .zero {
                // No time for the pause and another page (a second for it): what was read is returned as incomplete.
                guard ContinuousClock.now + pageInterval + .seconds(1) < deadline else {
                    result.hasMore = true
                    return result
                }
                do { try await sleep(pageInterval) } catch { throw .transport(.cancelled, attempts: result.attempts) }
            }
            startingAfter = lastID
        } while true
    }

    /// Sleeps before a retry unless that would pass `deadline`; false when there is no time.
    private func pause(beforeRetry retry: Int, retryAfter: String?, deadline: ContinuousClock.Instant) async -> Bool {
        let delay = retryPolicy.delay(beforeRetry: retry, jitter: jitter(), retryAfter: retryAfter)
        // Another attempt needs time to answer too; 100 ms is the least worth trying.
        guard ContinuousClock.now + delay + .milliseconds(100) < deadline else { return false }
        do { try await sleep(delay) } catch { return false }
        return true
    }

    func decodeFailure(_ response: HTTPResponse, attempts: Int) -> StripeAPIError {
        let requestID = response.header("request-id")
        guard let json = JSONValue.parse(response.body), let error = json["error"], case .object = error else {
            return .invalidResponse(status: response.status, requestID: requestID,
                                    detail: "HTTP \(response.status) without an error object: \(excerpt(response.text))")
        }
        func string(_ key: String) -> String? {
            if case let .string(text)? = error[key] { return text }
            return nil
        }
        let shouldRetry = response.header("stripe-should-retry").map { $0.lowercased() == "true" }
        return .api(StripeAPIFailure(
            status: response.status, type: string("type"), code: string("code"),
            message: string("message").map(scrub), param: string("param"), docURL: string("doc_url"),
            requestID: requestID, shouldRetry: shouldRetry, retryAfter: response.header("retry-after"),
            attempts: attempts))
    }

    func excerpt(_ text: String) -> String { BodyExcerpt.of(text, redactedBy: scrub) }

    /// `text` with this client's key reduced to prefix and last four, and every secret of a
    /// `SecretKind` (other keys, tokens, passwords) to what may be shown of it.
    func scrub(_ text: String) -> String {
        SecretKind.masking(in: text.replacingOccurrences(of: key, with: keyDisplay, options: .literal))
    }

    /// `?a=1&created%5Bgte%5D=2`: names and values percent-encoded as Stripe's libraries do.
    static func encode(_ query: [(String, String)]) -> String {
        guard !query.isEmpty else { return "" }
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        let pairs = query.map { name, value in
            (name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name) + "="
                + (value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)
        }
        return "?" + pairs.joined(separator: "&")
    }
}

/// The items of a Stripe list, gathered over its pages.
public struct StripeList: Sendable {
    /// The items, newest first as Stripe returns them.
    public var items: [JSONValue] = []
    /// Whether more items exist than were gathered (`maxItems` reached).
    public var hasMore = false
    /// How many pages were read.
    public var pages = 0
    /// Requests made, retries included.
    public var attempts = 0
    /// The `Request-Id` of every page.
    public var requestIDs: [String] = []
    /// The timing of every page.
    public var timings: [HTTPTimings] = []
}
