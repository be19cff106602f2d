import CCurl
import CCurlShim
import Foundation

/// One transfer in flight: the easy handle, what the server sent so far, and the waiting task.
///
/// Mutable state is touched by the loop thread while the transfer is active and by the awaiting task
/// only after the loop has handed it back, so the two never overlap.
final class CurlTransfer: @unchecked Sendable {
    let easy: CurlEasy
    let maxBodyBytes: Int
    private(set) var body = Data()
    private(set) var bodyTruncated = false
    private(set) var headerLines: [String] = []
    /// Set under the loop's lock; read by the loop.
    var cancelRequested = false
    var continuation: CheckedContinuation<CURLcode, Never>?

    init(easy: CurlEasy, maxBodyBytes: Int) {
        self.easy = easy
        self.maxBodyBytes = maxBodyBytes
    }

    /// Points libcurl's write and header callbacks at this transfer.
    func attachCallbacks() throws(HTTPError) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        guard let handle = easy.handle else { throw HTTPError.cancelled }
        try curlCheck(doctor_curl_easy_setopt_write_function(handle, curlTransferWrite), "write callback")
        try easy.set(CURLOPT_WRITEDATA, pointer: context)
        try curlCheck(doctor_curl_easy_setopt_header_function(handle, curlTransferHeader), "header callback")
        try easy.set(CURLOPT_HEADERDATA, pointer: context)
    }

    /// Keeps at most `maxBodyBytes`; returns false once the cap is reached so libcurl stops reading a
    /// body that might never end.
    func append(_ buffer: UnsafeRawBufferPointer) -> Bool {
        let room = maxBodyBytes - body.count
        if buffer.count > room {
            body.append(contentsOf: buffer.prefix(max(0, room)))
            bodyTruncated = true
            return false
        }
        body.append(contentsOf: buffer)
        return true
    }

    func appendHeader(_ line: String) {
        // A new status line starts a new response (100 Continue, or the next hop).
        if line.hasPrefix("HTTP/") { headerLines.removeAll() }
        headerLines.append(line)
    }

    /// The final response's headers, names lower-cased.
    var headers: [(String, String)] {
        headerLines.compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
            return (name, value)
        }
    }
}

private func curlTransferWrite(
    _ buffer: UnsafeMutablePointer<CChar>, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer
) -> Int {
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    let bytes = UnsafeRawBufferPointer(start: buffer, count: size * count)
    return transfer.append(bytes) ? size * count : 0
}

private func curlTransferHeader(
    _ buffer: UnsafeMutablePointer<CChar>, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer
) -> Int {
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    let bytes = UnsafeRawBufferPointer(start: buffer, count: size * count)
    transfer.appendHeader(String(decoding: bytes, as: UTF8.self))
    return size * count
}
