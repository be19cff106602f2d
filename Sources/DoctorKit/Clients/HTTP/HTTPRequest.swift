import Foundation

/// One HTTP request, as the checks describe it to the client.
public struct HTTPRequest: Sendable {
    /// The method, e.g. `GET`.
    public var method: String
    /// The absolute http(s) URL.
    public var url: String
    /// Request headers, in order.
    public var headers: [(String, String)]
    /// The request body, if any.
    public var body: Data?
    /// How long the whole transfer may take.
    public var timeout: Duration
    /// How many redirects to follow (0: none).
    public var maxRedirects: Int
    /// The most response body bytes kept; the rest is read and dropped.
    public var maxBodyBytes: Int
    /// Headers that carry credentials: sent to the request's own host only, never after a redirect
    /// to another host.
    public var credentialHeaders: [(String, String)]

    /// A request with the doctor's defaults: 10 s, no redirects, 1 MiB of body kept.
    public init(
        method: String = "GET", url: String, headers: [(String, String)] = [], body: Data? = nil,
        timeout: Duration = .seconds(10), maxRedirects: Int = 0, maxBodyBytes: Int = 1 << 20,
        credentialHeaders: [(String, String)] = []
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.maxRedirects = maxRedirects
        self.maxBodyBytes = maxBodyBytes
        self.credentialHeaders = credentialHeaders
    }
}

/// Where the time of a transfer went, from libcurl's timers (phases, not cumulative).
public struct HTTPTimings: Sendable, Equatable {
    /// DNS resolution.
    public var dns: Duration
    /// TCP connect after DNS.
    public var connect: Duration
    /// TLS handshake after connect (zero for plain HTTP).
    public var tls: Duration
    /// From the request being sent to the first response byte.
    public var firstByte: Duration
    /// The whole transfer.
    public var total: Duration
    /// From the first response byte to the last.
    public var transfer: Duration = .zero

    /// Timings with every phase zero.
    public static let zero = HTTPTimings(dns: .zero, connect: .zero, tls: .zero, firstByte: .zero, total: .zero)

    /// The breakdown as evidence, in milliseconds with a fraction.
    public var json: JSONValue {
        func ms(_ d: Duration) -> JSONValue {
            let (seconds, attoseconds) = d.components
            let microseconds = Double(seconds) * 1_000_000 + Double(attoseconds / 1_000_000_000_000)
            return .double(microseconds / 1000)
        }
        return .object([
            ("dns_ms", ms(dns)), ("connect_ms", ms(connect)), ("tls_ms", ms(tls)),
            ("first_byte_ms", ms(firstByte)), ("transfer_ms", ms(transfer)), ("total_ms", ms(total)),
        ])
    }
}

/// A response: status, headers, the (capped) body and the timing breakdown.
public struct HTTPResponse: Sendable {
    /// The final status code (after redirects).
    public var status: Int
    /// Response headers of the final response, names lower-cased, in order.
    public var headers: [(String, String)]
    /// The body, at most `maxBodyBytes` of it.
    public var body: Data
    /// Whether the body was longer than what was kept.
    public var bodyTruncated: Bool
    /// Where the time went.
    public var timings: HTTPTimings
    /// The URL that answered, after redirects.
    public var effectiveURL: String
    /// How many redirects were followed.
    public var redirects: Int

    /// The first header named `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.0 == lower }?.1
    }

    /// The body as UTF-8 text (invalid bytes replaced).
    public var text: String { String(decoding: body, as: UTF8.self) }
}
