import Foundation

extension StripeClient {
    /// `POST base + path` with `form` as `application/x-www-form-urlencoded`, once: a request
    /// that changes something is not retried on a timeout, since Stripe may have acted on it.
    /// `idempotencyKey` goes in Stripe's `Idempotency-Key` header: the same key and parameters
    /// get the first answer again instead of a second object.
    public func post(
        _ path: String, form: [(String, String)], idempotencyKey: String? = nil, deadline: ContinuousClock.Instant
    ) async throws(StripeAPIError) -> StripeResponse {
        let remaining = deadline - ContinuousClock.now
        guard remaining > .milliseconds(1) else {
            throw .transport(.timedOut(after: .zero, phase: "no time left before the deadline"), attempts: 0)
        }
        let body = Data(String(Self.encode(form).dropFirst()).utf8)
        let request = HTTPRequest(
            method: "POST", url: base + path,
            headers: [("Accept", "application/json"), ("Content-Type", "application/x-www-form-urlencoded")]
                + (idempotencyKey.map { [("Idempotency-Key", $0)] } ?? []),
            body: body, timeout: remaining, maxRedirects: 0, credentialHeaders: [("Authorization", "Bearer \(key)")])
        let response: HTTPResponse
        do { response = try await http.perform(request) } catch { throw .transport(error, attempts: 1) }
        let requestID = response.header("request-id")
        guard (200...299).contains(response.status) else { throw decodeFailure(response, attempts: 1) }
        guard let json = JSONValue.parse(response.body), case .object = json else {
            throw .invalidResponse(status: response.status, requestID: requestID, detail: excerpt(response.text))
        }
        return StripeResponse(status: response.status, json: json, requestID: requestID, timings: response.timings,
                              attempts: 1, date: response.header("date").flatMap(UTCTime.parseHTTPDate))
    }
}
