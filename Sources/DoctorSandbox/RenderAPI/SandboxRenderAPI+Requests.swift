import DoctorKit
import Foundation

extension SandboxRenderAPI {
    /// The service's steady traffic through Render's proxy, requests a second (the error rate's
    /// denominator in `sentry-errors`).
    static let requestsPerSecond = 2

    /// `GET /metrics/http-requests`: one series for the service, `unit: count`, a value per
    /// `resolutionSeconds` (default 60, at least 30) bucket between `startTime` and `endTime`
    /// (default the hour to now); none before the service existed or while it is suspended.
    /// `host`, `path` and `aggregateBy` (`host`, `statusCode`) are taken as documented; the service
    /// has one host and the stand-in counts every path, so they change nothing but are not refused.
    func httpRequests(_ request: ServerRequest) -> ServerResponse {
        let known = ["resource", "service", "startTime", "endTime", "resolutionSeconds", "instance", "host", "path", "aggregateBy"]
        if let refusal = unknownParameter(request, allowed: known) { return refusal }
        if let by = request.query["aggregateBy"], by != "host", by != "statusCode" {
            return error(400, "aggregateBy must be host or statusCode")
        }
        let resources = request.queryItems.filter { $0.0 == "resource" || $0.0 == "service" }.map(\.1)
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
        var resolution = 60
        if let text = request.query["resolutionSeconds"] {
            guard let value = Double(text), value >= 30 else { return error(400, "resolutionSeconds must be a number of at least 30") }
            resolution = Int(value)
        }
        guard resources.contains(service.id) else { return ok(.array([])) }
        let step = resolution * 1000
        let from = max(start, service.created), until = min(end, service.suspendedAt ?? end)
        var values: [JSONValue] = []
        var time = from / step * step
        while time < until {
            // Each bucket counts the requests of its part of [from, until).
            let covered = min(time + step, until) - max(time, from)
            values.append(.object([("timestamp", .string(StandInTime.format(milliseconds: time))),
                                   ("value", .int(covered * Self.requestsPerSecond / 1000))]))
            time += step
        }
        return ok(.array([.object([
            ("labels", .array([.object([("field", .string("resource")), ("value", .string(service.id))])])),
            ("unit", .string("count")),
            ("values", .array(values)),
        ])]))
    }
}
