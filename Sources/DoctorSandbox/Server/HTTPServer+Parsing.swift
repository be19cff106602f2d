import DoctorKit
import Foundation

/// Reading requests off a connection and writing responses: the HTTP/1.1 wire format.
enum HTTPParser {
    /// The largest request line plus headers accepted; larger ones get 431.
    static let maxHeadBytes = 64 * 1024

    /// What reading a request produced.
    enum ReadResult {
        /// A complete request.
        case request(ServerRequest)
        /// A malformed or oversized request, with the error response to send.
        case rejected(ServerResponse)
        /// The client closed (or timed out) before sending a whole request.
        case closed
    }

    static func readRequest(from connection: Connection, maxBodyBytes: Int) -> ReadResult {
        // The head.
        var headEnd: (start: Int, end: Int)?
        while true {
            headEnd = endOfHead(connection.buffer)
            if headEnd != nil { break }
            if connection.buffer.count > maxHeadBytes { return .rejected(error(431, "Request Header Fields Too Large")) }
            guard connection.fill() else { return .closed }
        }
        guard let headEnd, let head = String(validating: connection.buffer[..<headEnd.start], as: UTF8.self) else {
            return .rejected(error(400, "Bad Request"))
        }
        connection.consume(headEnd.end)
        // "\r\n" is one Character in Swift, so normalise line ends before splitting.
        var lines = head.replacingOccurrences(of: "\r\n", with: "\n")
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while lines.first?.isEmpty == true { lines.removeFirst() }  // RFC 9112: ignore leading blank lines.
        guard !lines.isEmpty else { return .rejected(error(400, "Bad Request")) }
        let requestLine = lines.removeFirst().split(separator: " ", omittingEmptySubsequences: true)
        guard requestLine.count == 3, requestLine[2].hasPrefix("HTTP/1."),
              requestLine[0].allSatisfy({ $0.isLetter || $0 == "-" })
        else { return .rejected(error(400, "Bad Request")) }
        var headers: [(String, String)] = []
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else {
                return .rejected(error(400, "Bad Request"))
            }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        func header(_ name: String) -> String? {
            headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
        }
        if header("Expect")?.lowercased() == "100-continue" {
            connection.sendAll(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
        }

        // The body.
        let body: [UInt8]
        if let encoding = header("Transfer-Encoding") {
            guard encoding.lowercased() == "chunked" else { return .rejected(error(501, "Not Implemented")) }
            var decoded: ChunkedBody = .incomplete
            while true {
                decoded = decodeChunked(connection.buffer, maxBodyBytes: maxBodyBytes)
                guard case .incomplete = decoded else { break }
                guard connection.fill() else { return .closed }
            }
            switch decoded {
            case .complete(let bytes): body = bytes
            case .tooLarge: return .rejected(error(413, "Payload Too Large"))
            case .invalid, .incomplete: return .rejected(error(400, "Bad Request"))
            }
        } else if let lengthText = header("Content-Length") {
            guard let length = Int(lengthText), length >= 0 else { return .rejected(error(400, "Bad Request")) }
            guard length <= maxBodyBytes else { return .rejected(error(413, "Payload Too Large")) }
            while connection.buffer.count < length {
                guard connection.fill() else { return .closed }
            }
            body = Array(connection.buffer[..<length])
        } else {
            body = []
        }

        let target = String(requestLine[1])
        let (path, queryItems) = splitTarget(target)
        var query: [String: String] = [:]
        for (name, value) in queryItems { query[name] = value }
        return .request(ServerRequest(
            method: String(requestLine[0]), path: path, query: query, queryItems: queryItems,
            headers: headers, body: body))
    }

    /// The response bytes: status line, headers, framing headers, body (left out for HEAD).
    static func serialize(_ response: ServerResponse, includeBody: Bool = true) -> [UInt8] {
        var head = "HTTP/1.1 \(response.status) \(reason(response.status))\r\n"
        for (name, value) in response.headers {
            let lowered = name.lowercased()
            guard lowered != "content-length", lowered != "connection", lowered != "transfer-encoding" else { continue }
            // Header injection is impossible from here: line breaks in names or values are dropped.
            let clean = { (text: String) in text.filter { $0 != "\r" && $0 != "\n" } }
            head += "\(clean(name)): \(clean(value))\r\n"
        }
        // Every origin server with a clock sends `Date` (RFC 9110 §6.6.1); a handler may send its own.
        if !response.headers.contains(where: { $0.0.lowercased() == "date" }) {
            head += "Date: \(UTCTime.string(Date(), .http))\r\n"
        }
        head += "Content-Length: \(response.body.count)\r\nConnection: close\r\n\r\n"
        return Array(head.utf8) + (includeBody ? response.body : [])
    }

    /// Splits `/a%20b?x=1&y` into its decoded path and query items.
    static func splitTarget(_ target: String) -> (path: String, query: [(String, String)]) {
        var target = Substring(target)
        if let hash = target.firstIndex(of: "#") { target = target[..<hash] }
        // An absolute-form target (`http://host/path`) is reduced to its path.
        if target.hasPrefix("http://") || target.hasPrefix("https://"),
           let schemeEnd = target.range(of: "://") {
            let afterScheme = target[schemeEnd.upperBound...]
            target = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }).map { afterScheme[$0...] } ?? "/"
        }
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let rawPath = parts.first.map(String.init) ?? "/"
        let path = rawPath.removingPercentEncoding ?? rawPath
        var items: [(String, String)] = []
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") where !pair.isEmpty {
                let nameValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                items.append((decodeForm(nameValue[0]), nameValue.count == 2 ? decodeForm(nameValue[1]) : ""))
            }
        }
        return (path.isEmpty ? "/" : path, items)
    }

    private static func decodeForm(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    private static func endOfHead(_ bytes: [UInt8]) -> (start: Int, end: Int)? {
        guard bytes.count >= 2 else { return nil }
        for index in 1..<bytes.count where bytes[index] == 0x0a {
            // Accept bare LF line ends as well as CRLF, as tolerant servers do.
            if bytes[index - 1] == 0x0a { return (index - 1, index + 1) }
            if index >= 3, bytes[index - 1] == 0x0d, bytes[index - 2] == 0x0a, bytes[index - 3] == 0x0d {
                return (index - 3, index + 1)
            }
        }
        return nil
    }

    private enum ChunkedBody {
        case incomplete, invalid, tooLarge
        case complete([UInt8])
    }

    private static func decodeChunked(_ bytes: [UInt8], maxBodyBytes: Int) -> ChunkedBody {
        var body: [UInt8] = []
        var index = 0
        func line() -> String?? {
            guard let newline = bytes[index...].firstIndex(of: 0x0a) else { return .some(nil) }
            defer { index = newline + 1 }
            var end = newline
            if end > index, bytes[end - 1] == 0x0d { end -= 1 }
            return String(validating: bytes[index..<end], as: UTF8.self)
        }
        while true {
            guard let sizeLine = line() else { return .invalid }
            guard let sizeLine else { return .incomplete }
            let sizeText = sizeLine.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            guard let size = Int(sizeText, radix: 16), size >= 0 else { return .invalid }
            if size == 0 {
                // Trailer fields, then the blank line that ends the message.
                while true {
                    guard let trailer = line() else { return .invalid }
                    guard let trailer else { return .incomplete }
                    if trailer.isEmpty { return .complete(body) }
                }
            }
            guard body.count + size <= maxBodyBytes else { return .tooLarge }
            guard bytes.count >= index + size + 1 else { return .incomplete }
            body.append(contentsOf: bytes[index..<index + size])
            index += size
            if bytes[index] == 0x0d { index += 1 }
            guard index < bytes.count else { return .incomplete }
            guard bytes[index] == 0x0a else { return .invalid }
            index += 1
        }
    }

    private static func error(_ status: Int, _ text: String) -> ServerResponse {
        ServerResponse(status: status, text: text)
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 402: "Payment Required"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 411: "Length Required"
        case 413: "Payload Too Large"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: "Status \(status)"
        }
    }
}
