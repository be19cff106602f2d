import Foundation

/// The `render-metrics` check kind: the service's memory and CPU over a window, from Render's
/// metrics API, against the guide's Key Metrics (memory < 200 MB healthy, 200–500 MB warning,
/// > 500 MB critical); a steady climb (a fitted slope, not two points) is named a possible leak.
public struct RenderMetricsCheck: CheckKind {
    public static let name = "render-metrics"

    /// The guide's memory bands, in megabytes.
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

    /// Reads a memory threshold written as `200MB` (or a bare number of megabytes).
    static func megabytes(_ value: RunbookValue?, _ name: String) throws(RunbookError) -> Double? {
        guard let value else { return nil }
        guard case let .scalar(text, _, _) = value else {
            throw RunbookError(value.location, "thresholds.\(name) must be a size such as 200MB")
        }
        let upper = text.uppercased().trimmingCharacters(in: .whitespaces)
        let number = upper.hasSuffix("MB") ? String(upper.dropLast(2)) : upper.hasSuffix("GB") ? String(upper.dropLast(2)) : upper
        guard let amount = Double(number.trimmingCharacters(in: .whitespaces)), amount > 0 else {
            throw RunbookError(value.location, "thresholds.\(name) must be a size such as 200MB, found \"\(text.prefix(20))\"")
        }
        return upper.hasSuffix("GB") ? amount * 1024 : amount
    }

    /// A configured `render-metrics` step.
    struct Probe: Check {
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
            evidence["window"] = .string(window.window)
            return judge(memory: memory, cpu: cpu, evidence: evidence)
        }

        func judge(memory: [MetricSeries], cpu: [MetricSeries], evidence start: Evidence) -> CheckOutcome {
            var evidence = start
            // Each instance has its own memory: the worst one decides.
            guard let worst = memory.filter({ !$0.points.isEmpty }).max(by: { ($0.points.last?.value ?? 0) < ($1.points.last?.value ?? 0) })
            else {
                return CheckOutcome(.unknown, "Render returned no memory figures for the window", evidence: evidence,
                                    hint: "A service that just started has no figures yet: run the doctor again in a few minutes.")
            }
            let mb = worst.points.map { $0.value / 1_048_576 }
            let current = mb.last ?? 0, peak = mb.max() ?? 0, mean = mb.reduce(0, +) / Double(mb.count)
            var memoryEvidence: [(String, JSONValue)] = [
                ("current_mb", .double(Self.round(current))), ("max_mb", .double(Self.round(peak))),
                ("mean_mb", .double(Self.round(mean))), ("points", .int(mb.count)),
            ]
            if let instance = worst.instance { memoryEvidence.append(("instance", .string(instance))) }
            let trend = Trend.fit(worst.points.map { ($0.timestamp.timeIntervalSince1970, $0.value / 1_048_576) })
            if let trend {
                memoryEvidence.append(("slope_mb_per_hour", .double(Self.round(trend.slopePerSecond * 3600))))
                memoryEvidence.append(("r_squared", .double(Self.round(trend.rSquared))))
            }
            evidence["memory"] = .object(memoryEvidence)
            evidence["memory_over_critical"] = .bool(peak > fail)
            var cpuText = ""
            if let busiest = cpu.filter({ !$0.points.isEmpty }).max(by: { ($0.points.map(\.value).max() ?? 0) < ($1.points.map(\.value).max() ?? 0) }) {
                let values = busiest.points.map(\.value)
                let cpuMean = values.reduce(0, +) / Double(values.count)
                evidence["cpu"] = .object([
                    ("current", .double(Self.round(values.last ?? 0))), ("max", .double(Self.round(values.max() ?? 0))),
                    ("mean", .double(Self.round(cpuMean))), ("unit", .string(busiest.unit ?? "cpu")),
                ])
                cpuText = String(format: "; CPU %.2f now, %.2f at most", values.last ?? 0, values.max() ?? 0)
            }

            var summary = String(format: "memory %.0f MB now, %.0f MB at most over %@", current, peak, window.window) + cpuText
            var status = Status.pass
            var hints: [String] = []
            if current > fail {
                status = .fail
                summary += String(format: " (over the %.0f MB critical threshold)", fail)
            } else if current >= warn {
                status = .warn
                summary += String(format: " (over the %.0f MB healthy threshold)", warn)
            } else if peak > fail {
                status = .warn
                summary += String(format: " (it spiked over the %.0f MB critical threshold)", fail)
            }
            // A steady climb: a slope that explains most of the variance and adds a quarter of the
            // mean over the window, not two noisy points.
            if let trend, trend.rSquared >= 0.6, trend.slopePerSecond * window.seconds >= max(25, mean * 0.25) {
                summary += String(format: "; memory climbs steadily, +%.0f MB an hour (r² %.2f): possible leak in the webhook handlers", trend.slopePerSecond * 3600, trend.rSquared)
                if status == .pass { status = .warn }
                hints.append("The guide: \"Memory trending upward? Check for memory leaks in webhook handlers\" — look for caches or listeners that grow per event; restart buys time, and memory spikes beyond expectations are a reason to escalate to Render support.")
            }
            if status != .pass, hints.isEmpty {
                hints.append("Memory over the guide's bands: check the webhook handlers for leaks and large payloads kept in memory, or move to a larger instance type; escalate to Render support if it spikes beyond expectations.")
            }
            return CheckOutcome(status, summary, evidence: evidence, hint: hints.first)
        }

        static func round(_ value: Double) -> Double { (value * 100).rounded() / 100 }
    }
}

/// One series of Render's metrics answer: `{labels:[{field,value}], unit, values:[{timestamp, value}]}`.
struct MetricSeries: Sendable {
    var instance: String?
    var unit: String?
    var points: [(timestamp: Date, value: Double)]

    /// Every series of an answer, points in time order; malformed points are left out.
    static func read(_ json: JSONValue) -> [MetricSeries] {
        guard case let .array(list) = json else { return [] }
        return list.map { series in
            var instance: String?
            if case let .array(labels)? = series["labels"] {
                instance = labels.first { $0.string("field") == "instance" }?.string("value")
            }
            var points: [(Date, Double)] = []
            if case let .array(values)? = series["values"] {
                for value in values {
                    let time = value.string("timestamp").flatMap(RenderTime.parse)
                        ?? value.int("timestamp").map { Date(timeIntervalSince1970: Double($0)) }
                    let number: Double?
                    switch value["value"] {
                    case let .double(d)?: number = d
                    case let .int(i)?: number = Double(i)
                    default: number = nil
                    }
                    if let time, let number { points.append((time, number)) }
                }
            }
            return MetricSeries(instance: instance, unit: series.string("unit"), points: points.sorted { $0.0 < $1.0 })
        }
    }
}

/// A least-squares line through points, with how much of their variance it explains.
struct Trend: Sendable, Equatable {
    var slopePerSecond: Double
    var rSquared: Double

    /// The fit through at least five points spread over time; nil otherwise.
    static func fit(_ points: [(x: Double, y: Double)]) -> Trend? {
        guard points.count >= 5 else { return nil }
        let n = Double(points.count)
        let meanX = points.map(\.x).reduce(0, +) / n, meanY = points.map(\.y).reduce(0, +) / n
        var sxx = 0.0, sxy = 0.0, syy = 0.0
        for (x, y) in points {
            sxx += (x - meanX) * (x - meanX)
            sxy += (x - meanX) * (y - meanY)
            syy += (y - meanY) * (y - meanY)
        }
        guard sxx > 0 else { return nil }
        let slope = sxy / sxx
        let r2 = syy > 0 ? (sxy * sxy) / (sxx * syy) : 0
        return Trend(slopePerSecond: slope, rSquared: r2)
    }
}
