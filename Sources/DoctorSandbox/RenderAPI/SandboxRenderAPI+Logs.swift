import DoctorKit
import Foundation

extension SandboxRenderAPI {
    /// The filters `/logs` takes, each repeatable: values of one filter are ORed, filters ANDed.
    static let logFilters = ["text", "level", "type", "instance", "host", "statusCode", "method", "path"]

    /// `GET /logs`: the service's lines in a time window, `{hasMore, logs, nextStartTime, nextEndTime}`.
    ///
    /// `ownerId` and `resource` are required; `startTime` (default an hour before `endTime`),
    /// `endTime` (default now), both inclusive, RFC 3339 or epoch seconds; `direction` `backward`
    /// (newest first, the default) or `forward`; `limit` 1…100 (default 20); and `logFilters`.
    /// When more lines match than fit, the next page's window is given: backward it ends at
    /// the next older line (`nextEndTime`), forward it starts at the next newer one (`nextStartTime`);
    /// every line has a millisecond of its own, so paging loses and repeats nothing. Both
    /// `next…Time` fields are in every answer, as Render's schema requires: without more lines they
    /// name the window just read past (backward: ending where it started; forward: starting at its end).
    /// Any other query parameter is a 400.
    func logs(_ request: ServerRequest) -> ServerResponse {
        let known = ["ownerId", "resource", "startTime", "endTime", "direction", "limit"] + Self.logFilters
        if let refusal = unknownParameter(request, allowed: known) { return refusal }
        guard let owner = request.query["ownerId"], !owner.isEmpty else { return error(400, "ownerId is required") }
        let resources = request.queryItems.filter { $0.0 == "resource" }.map(\.1)
        guard !resources.isEmpty else { return error(400, "resource is required") }
        let nowMS = Int((Date().timeIntervalSince1970 * 1000).rounded())
        var end = nowMS
        if let text = request.query["endTime"] {
            guard let time = StandInTime.parse(text) else { return error(400, "invalid endTime: \(Self.clipped(text))") }
            end = time
        }
        var start = end - 3_600_000
        if let text = request.query["startTime"] {
            guard let time = StandInTime.parse(text) else { return error(400, "invalid startTime: \(Self.clipped(text))") }
            start = time
        }
        guard start <= end else { return error(400, "startTime must be before endTime") }
        let direction = request.query["direction"] ?? "backward"
        guard direction == "backward" || direction == "forward" else { return error(400, "direction must be backward or forward") }
        guard let limit = limitParameter(request) else { return error(400, "limit must be an integer between 1 and 100") }

        // Another workspace or resource holds none of this service's lines.
        guard owner == service.ownerID, resources.contains(log.resource) else {
            return ok(.object([("hasMore", .bool(false)), ("logs", .array([]))] + Self.nextWindow(direction, start: start, end: end, next: nil)))
        }
        let filters = Self.logFilters.compactMap { name -> (String, [String])? in
            let values = request.queryItems.filter { $0.0 == name }.map(\.1)
            return values.isEmpty ? nil : (name, values)
        }
        var matching = log.all.filter { $0.time >= start && $0.time <= end && Self.matches($0, filters) }
        if direction == "backward" { matching.reverse() }
        let page = matching.prefix(limit)
        let next = matching.count > limit ? matching[limit].time : nil
        return ok(.object([("hasMore", .bool(next != nil)), ("logs", .array(page.map(json)))]
            + Self.nextWindow(direction, start: start, end: end, next: next)))
    }

    /// `nextStartTime` and `nextEndTime`: the window of the next page, from the first line not
    /// returned (`next`); without one, the empty window just past the one read.
    private static func nextWindow(_ direction: String, start: Int, end: Int, next: Int?) -> [(String, JSONValue)] {
        let (from, to) = direction == "backward" ? (start, next ?? start) : (next ?? end, end)
        return [("nextStartTime", .string(StandInTime.format(milliseconds: from))),
                ("nextEndTime", .string(StandInTime.format(milliseconds: to)))]
    }

    /// A line in Render's `Log` shape, its labels as Render names them.
    private func json(_ entry: SandboxServiceLog.Entry) -> JSONValue {
        var labels: [(String, String)] = [("resource", log.resource)]
        if !entry.instance.isEmpty { labels.append(("instance", entry.instance)) }
        labels += [("type", entry.type), ("level", entry.level)] + entry.requestLabels
        return .object([
            ("id", .string(entry.id)), ("timestamp", .string(StandInTime.format(milliseconds: entry.time))),
            ("message", .string(entry.message)),
            ("labels", .array(labels.map { .object([("name", .string($0.0)), ("value", .string($0.1))]) })),
        ])
    }

    /// Whether a line passes every filter: `text` is a case-insensitive substring (a `*` is a
    /// wildcard at either end), the label filters compare exactly, `statusCode` also as `5*`.
    private static func matches(_ entry: SandboxServiceLog.Entry, _ filters: [(String, [String])]) -> Bool {
        filters.allSatisfy { name, values in
            values.contains { value in
                switch name {
                case "text":
                    let needle = value.trimmingCharacters(in: CharacterSet(charactersIn: "*"))
                    return needle.isEmpty || entry.message.range(of: needle, options: .caseInsensitive) != nil
                case "level": return entry.level == value
                case "type": return entry.type == value
                case "instance": return entry.instance == value
                default:
                    guard let label = entry.requestLabels.first(where: { $0.0 == name })?.1 else { return false }
                    return value.hasSuffix("*") ? label.hasPrefix(value.dropLast()) : label == value
                }
            }
        }
    }
}
