import Foundation

/// Why a captured delivery file could not be used.
public enum CapturedDeliveryError: Error, LocalizedError, Equatable, Sendable {
    /// The file could not be read.
    case unreadable(path: String, reason: String)
    /// The file holds no `Stripe-Signature` header.
    case noHeader(path: String)
    /// The JSON form lacks `header` or `body`, or has them of the wrong type.
    case malformedJSON(path: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case let .unreadable(path, reason): "cannot read the captured delivery \(path): \(reason)"
        case let .noHeader(path):
            "\(path) holds no Stripe-Signature header: write the header line (Stripe-Signature: t=…,v1=…), a blank line, then the raw body"
        case let .malformedJSON(path, reason): "\(path): \(reason)"
        }
    }
}

/// A webhook delivery as the service received it: the raw body and its `Stripe-Signature` header.
///
/// Two file formats are read:
/// - text: header lines (an optional request line such as `POST /api/webhooks/stripe HTTP/1.1`,
///   then `Name: value` lines including `Stripe-Signature`, or just the header's value
///   `t=…,v1=…`), a blank line, then the raw body byte for byte to the end of the file;
/// - JSON: `{"header": "t=…,v1=…", "body": "<the raw body as a string>", "received_at": 1700000000}`
///   (`received_at`, Unix seconds, is optional).
///
/// A `Date:` header line or `received_at` says when the service received it, which shows clock skew.
public struct CapturedDelivery: Sendable, Equatable {
    /// The `Stripe-Signature` value.
    public var header: String
    /// The body bytes.
    public var body: [UInt8]
    /// When the service received it (Unix seconds), when the capture says.
    public var receivedAt: Int?

    /// A capture with the given parts.
    public init(header: String, body: [UInt8], receivedAt: Int? = nil) {
        self.header = header
        self.body = body
        self.receivedAt = receivedAt
    }

    /// The largest capture read: Stripe's event payloads are kilobytes; the headers of a captured
    /// request add little.
    public static let maxBytes = 4 << 20

    /// Reads the file at `path` (at most `maxBytes`).
    public static func load(path: String) throws(CapturedDeliveryError) -> CapturedDelivery {
        let bytes: [UInt8]
        do {
            bytes = try BoundedFile.read(path, limit: maxBytes)
        } catch {
            throw .unreadable(path: path, reason: error.reason)
        }
        return try parse(bytes, path: path)
    }

    /// Reads a capture from its bytes; `path` names it in errors.
    public static func parse(_ bytes: [UInt8], path: String) throws(CapturedDeliveryError) -> CapturedDelivery {
        let start = bytes.firstIndex { ![0x20, 0x09, 0x0A, 0x0D].contains($0) } ?? bytes.endIndex
        if start < bytes.endIndex, bytes[start] == UInt8(ascii: "{"), let json = JSONValue.parse(Data(bytes)),
            json["header"] != nil || json["body"] != nil
        {
            guard let header = json.string("header") else {
                throw .malformedJSON(path: path, reason: "`header` must be the Stripe-Signature value as a string")
            }
            guard let body = json.string("body") else {
                throw .malformedJSON(path: path, reason: "`body` must be the raw body as a string")
            }
            return CapturedDelivery(header: header, body: Array(body.utf8), receivedAt: json.int("received_at"))
        }
        // The head ends at the first empty line (LF or CRLF); the body is everything after it, untouched.
        var lines: [String] = []
        var index = 0
        var lineStart = 0
        var bodyStart = bytes.count
        while index < bytes.count {
            if bytes[index] == 0x0A {
                var line = Array(bytes[lineStart..<index])
                if line.last == 0x0D { line.removeLast() }
                if line.isEmpty && !lines.isEmpty {
                    bodyStart = index + 1
                    break
                }
                if !line.isEmpty { lines.append(String(decoding: line, as: UTF8.self)) }
                lineStart = index + 1
            }
            index += 1
        }
        var header: String?
        var receivedAt: Int?
        for line in lines {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("t="), header == nil {
                header = trimmed
                continue
            }
            guard let colon = trimmed.firstIndex(of: ":") else { continue }
            let name = trimmed[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch name {
            case "stripe-signature": header = value
            case "date": receivedAt = httpDate(value)
            default: continue
            }
        }
        guard let header, bodyStart <= bytes.count else { throw .noHeader(path: path) }
        return CapturedDelivery(header: header, body: Array(bytes[bodyStart...]), receivedAt: receivedAt)
    }

    /// An RFC 9110 date (`Sun, 06 Nov 1994 08:49:37 GMT`) as Unix seconds.
    static func httpDate(_ text: String) -> Int? { UTCTime.parseHTTPDate(text).map { Int($0) } }

    /// Other forms the body may have had when Stripe signed it, each named for the report: the
    /// layouts a framework produces when it parses and re-serialises JSON, and the body without a
    /// newline an editor appended to the capture file.
    public var alternatives: [(name: String, body: [UInt8])] {
        var forms: [(String, [UInt8])] = []
        if body.last == 0x0A {
            var trimmed = body
            while trimmed.last == 0x0A || trimmed.last == 0x0D { trimmed.removeLast() }
            forms.append(("without the newline at the end of the capture file", trimmed))
        }
        if let layout = JSONLayout(body) ?? JSONLayout(forms.first?.1 ?? []) {
            let sorted = layout.stripeKeyOrder
            forms.append(("pretty-printed with 2 spaces, as Stripe sends it", layout.pretty(indent: 2)))
            forms.append(("compact, as JSON.stringify(req.body) writes it", layout.compact))
            if sorted != layout {
                forms.append(("pretty-printed with its keys back in Stripe's order", sorted.pretty(indent: 2)))
                forms.append(("compact with its keys back in Stripe's order", sorted.compact))
            }
        }
        var seen: Set<[UInt8]> = [body]
        return forms.filter { seen.insert($0.1).inserted }.map { (name: $0.0, body: $0.1) }
    }
}
