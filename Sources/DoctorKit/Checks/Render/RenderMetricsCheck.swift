import Foundation

/// The `render-metrics` check kind: the service's memory, CPU and network I/O over a window, from
/// Render's metrics API, each series read in the unit it carries. Memory is judged against the
/// guide's Key Metrics (< 200 MB healthy, 200–500 MB warning, > 500 MB critical) and a steady climb
/// (a fitted slope, not two points) is named a possible leak; CPU and network I/O are shown, since
/// the guide gives them no threshold.
public struct RenderMetricsCheck: CheckKind {
    public static let name = "render-metrics"

    /// The guide's memory bands, in megabytes (10^6 bytes, see `MetricUnit`).
    static let defaultWarn = 200.0
    static let defaultFail = 500.0

    public static func make(_ parameters: ParameterReader, step: StepSettings) throws(RunbookError) -> any Check {
        let window = try parameters.duration("window") ?? .seconds(3600)
        if window < .seconds(300) || window > .seconds(30 * 24 * 3600) {
            throw RunbookError(parameters.value("window")!.location, "`window` must be from 5m to 720h")
        }
        let warn = try megabytes(step.warn, "warn") ?? defaultWarn
        let fail = try megabytes(step.fail, "fail") ?? defaultFail
        if warn > fail, let value = step.warn {
            throw RunbookError(value.location, "thresholds.warn (\(warn) MB) is above thresholds.fail (\(fail) MB)")
        }
        try parameters.finish(kind: name)
        return Probe(window: window, warn: warn, fail: fail, timeout: step.timeout ?? RenderCheckSupport.defaultTimeout)
    }

    /// Reads a memory threshold written as `200MB`, `1GB`, `512MiB` or `1GiB` (a bare number is
    /// megabytes) as megabytes, with the series' rule for decimal and binary units.
    static func megabytes(_ value: RunbookValue?, _ name: String) throws(RunbookError) -> Double? {
        guard let value else { return nil }
        guard case let .scalar(text, _, _) = value else {
            throw RunbookError(value.location, "thresholds.\(name) must be a size such as 200MB")
        }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix { $0.isNumber || $0 == "." }
        let unitText = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces)
        let unit = ["MB", "GB", "MiB", "GiB"].first { $0.caseInsensitiveCompare(unitText) == .orderedSame }
        guard let amount = Double(digits), amount > 0, unitText.isEmpty || unit != nil,
              case let .data(bytes) = MetricUnit(unit ?? "MB")
        else {
            throw RunbookError(value.location, "thresholds.\(name) must be a size such as 200MB, 1GB or 512MiB, found \"\(text.prefix(20))\"")
        }
        return amount * bytes / Probe.bytesPerMegabyte
    }

    /// A configured `render-metrics` step.
    struct Probe: Check {
        /// Figures are shown and judged in megabytes of 10^6 bytes (see `MetricUnit`).
        static let bytesPerMegabyte = 1_000_000.0

        let window: Duration
        let warn: Double
        let fail: Double
        let timeout: Duration

        func run(in context: CheckContext) async -> CheckOutcome {
            await RenderCheckSupport.run(context) { (client, id, evidence) throws(RenderAPIError) in
                try await read(client, id, context: context, evidence: evidence)
            }
        }

        private func read(_ client: RenderClient, _ id: String, context: CheckContext, evidence start: Evidence) async throws(RenderAPIError) -> CheckOutcome {
            var evidence = start
            let now = Date()
            let start = now.addingTimeInterval(-window.seconds)
            let resolution = max(60, Int(window.seconds) / 60)
            let query: [(String, String)] = [
                ("resource", id), ("startTime", RenderTime.format(start)), ("endTime", RenderTime.format(now)),
                ("resolutionSeconds", String(resolution)),
            ]
            let memory = MetricSeries.read(try await client.get("/metrics/memory", query: query, deadline: context.deadline).json)
            let cpu = MetricSeries.read(try await client.get("/metrics/cpu", query: query, deadline: context.deadline).json)
            // Network I/O is shown, never judged: a failure to read it must not hide the memory verdict.
            let bandwidth: Result<[MetricSeries], RenderAPIError>
            do {
                bandwidth = .success(MetricSeries.read(try await client.get("/metrics/bandwidth", query: query, deadline: context.deadline).json))
            } catch {
                bandwidth = .failure(error)
            }
            evidence["window"] = .string(window.window)
            return judge(memory: memory, cpu: cpu, bandwidth: bandwidth, evidence: evidence)
        }

        static func round(_ value: Double) -> Double { (value * 100).rounded() / 100 }
    }
}
