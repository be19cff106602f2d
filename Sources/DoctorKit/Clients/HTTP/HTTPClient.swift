import CCurl
import CCurlShim
import Foundation

/// Runs HTTP transfers over libcurl, many at once, each bounded by its timeout and cancellable.
///
/// Redirects are followed here rather than by libcurl so that credential headers are dropped the
/// moment a redirect leaves the original host (docs/architecture.md, "Configuration").
public final class HTTPClient: Sendable {
    private let loop = CurlMultiLoop()

    /// A client with its own transfer thread, started on first use.
    public init() {}

    /// Stops the transfer thread, abandoning transfers still in flight; idempotent.
    public func close() { loop.shutdown() }

    /// Performs `request`, following up to `maxRedirects` redirects.
    public func perform(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        guard let origin = Origin(request.url) else {
            throw HTTPError.invalidURL(request.url, reason: "not an absolute http(s) URL with a host")
        }
        let clock = ContinuousClock()
        let start = clock.now
        var method = request.method
        var url = request.url
        var body = request.body
        var credentials = request.credentialHeaders
        var redirects = 0
        while true {
            let remaining = request.timeout - (clock.now - start)
            guard remaining > .zero else { throw HTTPError.timedOut(after: request.timeout, phase: "following redirects") }
            var (response, location) = try await performOnce(
                method: method, url: url, headers: request.headers + credentials, body: body,
                timeout: remaining, maxBodyBytes: request.maxBodyBytes)
            response.redirects = redirects
            guard (300...399).contains(response.status), let location, request.maxRedirects > 0 else {
                // libcurl's own total for a single transfer (what `curl -w %{time_total}` reports);
                // across redirects, the wall time of every hop.
                if redirects > 0 { response.timings.total = clock.now - start }
                return response
            }
            guard redirects < request.maxRedirects else { throw HTTPError.tooManyRedirects(request.maxRedirects) }
            redirects += 1
            if Origin(location) != origin { credentials = [] }
            if response.status == 303 || ((response.status == 301 || response.status == 302) && method == "POST") {
                method = "GET"
                body = nil
            }
            url = location
        }
    }

    private func performOnce(
        method: String, url: String, headers: [(String, String)], body: Data?, timeout: Duration, maxBodyBytes: Int
    ) async throws(HTTPError) -> (HTTPResponse, String?) {
        guard Origin(url) != nil else { throw HTTPError.invalidURL(url, reason: "not an absolute http(s) URL with a host") }
        let easy = try CurlEasy()
        let transfer = CurlTransfer(easy: easy, maxBodyBytes: maxBodyBytes)
        try configure(easy, method: method, url: url, headers: headers, body: body, timeout: timeout)
        try transfer.attachCallbacks()

        if Task.isCancelled { throw HTTPError.cancelled }
        let code = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<CURLcode, Never>) in
                transfer.continuation = continuation
                loop.submit(transfer)
            }
        } onCancel: {
            loop.cancel(transfer)
        }
        let timings = easy.timings
        if code != CURLE_OK && !(code == CURLE_WRITE_ERROR && transfer.bodyTruncated) {
            throw mapError(code, easy: easy, url: url, timeout: timeout, timings: timings)
        }
        let response = HTTPResponse(
            status: easy.info(CURLINFO_RESPONSE_CODE), headers: transfer.headers, body: transfer.body,
            bodyTruncated: transfer.bodyTruncated, timings: timings,
            effectiveURL: easy.infoString(CURLINFO_EFFECTIVE_URL) ?? url, redirects: 0)
        let location = easy.infoString(CURLINFO_REDIRECT_URL)
        easy.close()
        return (response, location)
    }

    private func configure(
        _ easy: CurlEasy, method: String, url: String, headers: [(String, String)], body: Data?, timeout: Duration
    ) throws(HTTPError) {
        try easy.set(CURLOPT_URL, url)
        try easy.set(CURLOPT_PROTOCOLS_STR, "http,https")
        try easy.set(CURLOPT_FOLLOWLOCATION, 0)
        let ms = max(1, Int(timeout.milliseconds))
        try easy.set(CURLOPT_TIMEOUT_MS, ms)
        try easy.set(CURLOPT_CONNECTTIMEOUT_MS, ms)
        try easy.set(CURLOPT_USERAGENT, "doctor/\(DoctorVersion.current)")
        // libcurl reads its compiled-in CA bundle and ignores OpenSSL's variables; honour them as
        // every OpenSSL client (and the Redis client) does, so a private CA can be trusted.
        if let file = Self.trust.file { try easy.set(CURLOPT_CAINFO, file) }
        if let directory = Self.trust.directory { try easy.set(CURLOPT_CAPATH, directory) }
        switch method {
        case "GET": try easy.set(CURLOPT_HTTPGET, 1)
        case "HEAD": try easy.set(CURLOPT_NOBODY, 1)
        default: try easy.set(CURLOPT_CUSTOMREQUEST, method)
        }
        if let body {
            try easy.set(CURLOPT_POSTFIELDSIZE_LARGE, body.count)
            // COPYPOSTFIELDS copies, so the buffer need not outlive this call.
            var bytes = [UInt8](body)
            if bytes.isEmpty { bytes = [0] }
            let code = bytes.withUnsafeMutableBytes { raw in
                doctor_curl_easy_setopt_ptr(easy.handle!, CURLOPT_COPYPOSTFIELDS, raw.baseAddress)
            }
            try curlCheck(code, "request body")
            if method == "GET" { try easy.set(CURLOPT_CUSTOMREQUEST, method) }
        }
        // An empty `Expect:` stops libcurl waiting a second for 100-continue on larger bodies.
        try easy.setHeaders(headers.map { "\($0.0): \($0.1)" } + ["Expect:"])
    }

    /// `SSL_CERT_FILE` and `SSL_CERT_DIR` from the process environment, read when a transfer is set
    /// up, as OpenSSL reads them (a value cached at first use would outlive a change in tests).
    static var trust: (file: String?, directory: String?) {
        func value(_ name: String) -> String? { getenv(name).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } }
        return (value("SSL_CERT_FILE"), value("SSL_CERT_DIR"))
    }

    private func mapError(_ code: CURLcode, easy: CurlEasy, url: String, timeout: Duration, timings: HTTPTimings) -> HTTPError {
        let detail = easy.message(for: code)
        switch code {
        case CURLE_ABORTED_BY_CALLBACK:
            return .cancelled
        case CURLE_URL_MALFORMAT:
            return .invalidURL(url, reason: detail)
        case CURLE_UNSUPPORTED_PROTOCOL where detail.contains("Protocol"):
            return .invalidURL(url, reason: detail)
        case CURLE_COULDNT_RESOLVE_HOST:
            return .dnsFailure(host: Origin(url)?.host ?? url, detail: detail)
        case CURLE_COULDNT_CONNECT:
            return .connectionRefused(detail)
        case CURLE_OPERATION_TIMEDOUT:
            let phase: String
            if easy.infoMicroseconds(CURLINFO_CONNECT_TIME_T) == 0 {
                phase = "while connecting"
            } else if easy.infoMicroseconds(CURLINFO_STARTTRANSFER_TIME_T) == 0 {
                phase = "connected, but the server sent nothing"
            } else {
                phase = "while reading the response"
            }
            return .timedOut(after: timeout, phase: phase)
        case CURLE_PEER_FAILED_VERIFICATION:
            return .tls("the server's certificate is not trusted (self-signed, expired or for another host name): \(detail)")
        case CURLE_SSL_CONNECT_ERROR:
            return .tls("the TLS handshake failed (the server may not speak TLS on this port): \(detail)")
        case CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_SSL_ISSUER_ERROR:
            return .tls(detail)
        case CURLE_GOT_NOTHING:
            return .protocolError("the server closed the connection without answering")
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR:
            // libcurl reports a broken chunked body as a receive error too: only the socket's own
            // error says whether the peer reset the connection.
            let socketError = Int32(easy.info(CURLINFO_OS_ERRNO))
            if socketError == ECONNRESET || socketError == EPIPE || detail.localizedCaseInsensitiveContains("reset") {
                return .protocolError("the connection was reset (\(detail))")
            }
            if detail.localizedCaseInsensitiveContains("chunk") {
                return .protocolError("the server sent a malformed chunked body (\(detail))")
            }
            return .protocolError("the response could not be read (\(detail))")
        case CURLE_PARTIAL_FILE:
            return .protocolError("the server closed the connection before the end of the response (\(detail))")
        case CURLE_WEIRD_SERVER_REPLY, CURLE_UNSUPPORTED_PROTOCOL, CURLE_HTTP2:
            return .protocolError("the server did not speak HTTP: \(detail)")
        default:
            return .transfer(code: Int(code.rawValue), message: detail)
        }
    }
}

/// Scheme, host and port of a URL: a redirect to another origin drops credentials.
struct Origin: Equatable {
    let scheme: String
    let host: String
    let port: Int

    init?(_ url: String) {
        guard let components = URLComponents(string: url),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host?.lowercased(), !host.isEmpty
        else { return nil }
        self.scheme = scheme
        self.host = host
        self.port = components.port ?? (scheme == "https" ? 443 : 80)
    }
}
