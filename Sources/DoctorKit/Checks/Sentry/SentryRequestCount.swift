import Foundation

/// The denominator of the error rate: how many HTTP requests Render's proxy counted for the
/// service over the same minutes (`GET /metrics/http-requests`, api-facts section 3). Sentry
/// counts errors only, so this is the one honest source of "out of how many" the doctor has.
struct SentryRequestCount: Sendable {
    /// Requests counted, when Render gave figures.
    var count: Int?
    /// Where the figure comes from, or why there is none, for the evidence.
    var note: String

    /// Render's request figures between `since` and `until` (Unix seconds), or why there are none.
    static func read(_ context: CheckContext, since: Int, until: Int) async -> SentryRequestCount {
        let configuration = context.configuration
        guard configuration.value("RENDER_API_KEY") != nil, let id = configuration.value("RENDER_SERVICE_ID") else {
            return SentryRequestCount(count: nil, note: "no request count: RENDER_API_KEY and RENDER_SERVICE_ID are not set, so Render's request figures cannot be read")
        }
        do {
            let client = try RenderClient(configuration: configuration, http: context.http)
            let query: [(String, String)] = [
                ("resource", id.trimmingCharacters(in: .whitespaces)),
                ("startTime", RenderTime.format(Date(timeIntervalSince1970: Double(since)))),
                ("endTime", RenderTime.format(Date(timeIntervalSince1970: Double(until)))),
                ("resolutionSeconds", "30"),
            ]
            let response = try await client.get("/metrics/http-requests", query: query, deadline: context.deadline)
            let series = MetricSeries.read(response.json)
            let points = series.flatMap(\.points)
            guard !points.isEmpty else {
                return SentryRequestCount(count: nil, note: "no request count: Render returned no request figures for the window")
            }
            let total = points.reduce(0.0) { $0 + max(0, $1.value) }
            return SentryRequestCount(
                count: Int(total.rounded()),
                note: "HTTP requests Render's proxy counted for the service over the same minutes (/metrics/http-requests), the doctor's own included")
        } catch {
            return SentryRequestCount(count: nil, note: "no request count: Render's request figures could not be read (\(error.localizedDescription))")
        }
    }
}
