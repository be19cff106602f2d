import Foundation

/// Why an HTTP transfer did not produce a response, in plain words.
public enum HTTPError: Error, Sendable, Equatable {
    /// The URL could not be used.
    case invalidURL(String, reason: String)
    /// The host name did not resolve.
    case dnsFailure(host: String, detail: String)
    /// Nothing listens at the address, or the connection was refused.
    case connectionRefused(String)
    /// The transfer did not finish within its timeout.
    case timedOut(after: Duration, phase: String)
    /// The TLS handshake or certificate check failed.
    case tls(String)
    /// The server closed or reset the connection, sent a broken body or something that is not
    /// HTTP; the text says which, in plain words.
    case protocolError(String)
    /// Too many redirects.
    case tooManyRedirects(Int)
    /// The caller cancelled the transfer.
    case cancelled
    /// Any other libcurl failure, with libcurl's own message.
    case transfer(code: Int, message: String)
}

extension HTTPError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case let .invalidURL(url, reason): "invalid URL \(url): \(reason)"
        case let .dnsFailure(host, detail): "could not resolve host \(host) (\(detail))"
        case let .connectionRefused(detail): "connection refused: nothing is listening (\(detail))"
        case let .timedOut(after, phase): "no answer within \(after.short) (\(phase))"
        case let .tls(detail): "TLS failed: \(detail)"
        case let .protocolError(detail): detail
        case let .tooManyRedirects(n): "more than \(n) redirects"
        case .cancelled: "cancelled"
        case let .transfer(code, message): "transfer failed: \(message) (libcurl \(code))"
        }
    }
}
