/// Runs HTTP transfers over libcurl. (Being written: placeholder so the package builds.)
public final class HTTPClient: Sendable {
    /// A client.
    public init() {}

    /// Performs `request`.
    public func perform(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        throw .cancelled
    }
}
