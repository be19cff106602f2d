import Foundation

/// Sentry's paging header: `<url>; rel="previous"; results="false"; cursor="0:0:1", <url>;
/// rel="next"; results="true"; cursor="0:100:0"`. A page is there only when `results` is `"true"`:
/// Sentry names a `next` cursor even on the last page, so the cursor alone proves nothing.
public struct SentryLinkHeader: Sendable, Equatable {
    /// The cursor of the next page, when Sentry says it has results.
    public var next: String?
    /// The cursor of the previous page, when Sentry says it has results.
    public var previous: String?

    /// Reads the header; a missing or unreadable one means no other pages.
    public init(_ header: String?) {
        for link in Self.links(header ?? "") {
            var attributes: [String: String] = [:]
            for part in link.split(separator: ";").dropFirst() {
                let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard pair.count == 2 else { continue }
                attributes[pair[0].lowercased()] = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
            guard attributes["results"] == "true", let cursor = attributes["cursor"], !cursor.isEmpty else { continue }
            switch attributes["rel"] {
            case "next": next = cursor
            case "previous": previous = cursor
            default: continue
            }
        }
    }

    /// The header's links: split at the commas between them, not at one inside a `<url>`.
    static func links(_ header: String) -> [Substring] {
        var links: [Substring] = [], start = header.startIndex, inURL = false
        for index in header.indices {
            switch header[index] {
            case "<": inURL = true
            case ">": inURL = false
            case "," where !inURL:
                links.append(header[start..<index])
                start = header.index(after: index)
            default: break
            }
        }
        links.append(header[start...])
        return links
    }
}
