import Foundation

extension RenderMetricsCheck.Probe {
    /// The verdict on the window's figures: memory against the bands and for a steady climb, CPU
    /// and network I/O shown beside it. Memory in a unit the doctor cannot convert is `unknown`.
    func judge(memory: [MetricSeries], cpu: [MetricSeries], bandwidth: Result<[MetricSeries], RenderAPIError>,
               evidence start: Evidence) -> CheckOutcome
    {
        var evidence = start
        let cpuText = describeCPU(cpu, into: &evidence)
        let networkText = describeNetwork(bandwidth, into: &evidence)
        let others = cpuText + networkText
        let measured = memory.filter { !$0.points.isEmpty }
        if let odd = measured.first(where: { if case .data = $0.measure { false } else { true } }) {
            evidence["memory"] = .object([("unit", .string(odd.unit ?? "")), ("points", .int(odd.points.count))])
            return CheckOutcome(
                .unknown, "Render gave memory in \(MetricUnit.described(odd.unit)), which the doctor does not convert: memory not judged" + others,
                evidence: evidence,
                hint: "The doctor converts bytes, KB/MB/GB/TB (decimal) and KiB/MiB/GiB/TiB (binary); read the memory graph in the Render dashboard (the service → Metrics) meanwhile.")
        }
        // Each instance has its own memory: the worst one decides.
        let inMegabytes = measured.map { series in (series, series.points.map { (time: $0.timestamp, mb: megabytes($0.value, series)) }) }
        guard let (worst, points) = inMegabytes.max(by: { ($0.1.last?.mb ?? 0) < ($1.1.last?.mb ?? 0) }) else {
            return CheckOutcome(.unknown, "Render returned no memory figures for the window" + others, evidence: evidence,
                                hint: "A service that just started has no figures yet: run the doctor again in a few minutes.")
        }
        let mb = points.map(\.mb)
        let current = mb.last ?? 0, peak = mb.max() ?? 0, mean = mb.reduce(0, +) / Double(mb.count)
        var memoryEvidence: [(String, JSONValue)] = [
            ("current_mb", .double(Self.round(current))), ("max_mb", .double(Self.round(peak))),
            ("mean_mb", .double(Self.round(mean))), ("points", .int(mb.count)), ("unit", .string(worst.unit ?? "")),
        ]
        if let instance = worst.instance { memoryEvidence.append(("instance", .string(instance))) }
        let trend = Trend.fit(points.map { ($0.time.timeIntervalSince1970, $0.mb) })
        if let trend {
            memoryEvidence.append(("slope_mb_per_hour", .double(Self.round(trend.slopePerSecond * 3600))))
            memoryEvidence.append(("r_squared", .double(Self.round(trend.rSquared))))
        }
        evidence["memory"] = .object(memoryEvidence)
        evidence["memory_over_critical"] = .bool(peak > fail)

        var summary = String(format: "memory %.0f MB now, %.0f MB at most over %@", current, peak, window.window)
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
        // The memory verdict first: the diagnosis headlines the summary's first clause.
        return CheckOutcome(status, summary + others, evidence: evidence, hint: hints.first)
    }

    /// A value of a data series in megabytes; only called for series whose unit is data.
    private func megabytes(_ value: Double, _ series: MetricSeries) -> Double {
        guard case let .data(bytes) = series.measure else { return value }
        return value * bytes / Self.bytesPerMegabyte
    }

    /// The busiest instance's CPU as evidence, and its words for the summary. CPU has no threshold
    /// in the guide, so a unit other than cores is shown as Render sent it rather than converted.
    private func describeCPU(_ cpu: [MetricSeries], into evidence: inout Evidence) -> String {
        guard let busiest = cpu.filter({ !$0.points.isEmpty }).max(by: { ($0.points.map(\.value).max() ?? 0) < ($1.points.map(\.value).max() ?? 0) })
        else { return "" }
        let values = busiest.points.map(\.value)
        let mean = values.reduce(0, +) / Double(values.count)
        evidence["cpu"] = .object([
            ("current", .double(Self.round(values.last ?? 0))), ("max", .double(Self.round(values.max() ?? 0))),
            ("mean", .double(Self.round(mean))), ("unit", .string(busiest.unit ?? "")),
        ])
        if busiest.measure == .cores {
            return String(format: "; CPU %.2f cores now, %.2f at most", values.last ?? 0, values.max() ?? 0)
        }
        return String(format: "; CPU %.2f now, %.2f at most (in %@, not converted)", values.last ?? 0, values.max() ?? 0,
                      MetricUnit.described(busiest.unit))
    }

    /// The window's network I/O (the guide's "Network I/O"): the sum of Render's per-interval
    /// figures over every series, and the largest interval. The guide gives it no threshold, so it
    /// is reported and never changes the verdict.
    private func describeNetwork(_ bandwidth: Result<[MetricSeries], RenderAPIError>, into evidence: inout Evidence) -> String {
        let series: [MetricSeries]
        switch bandwidth {
        case let .failure(error):
            evidence["network_io"] = .object([("error", .string(error.localizedDescription))])
            return "; network I/O could not be read"
        case let .success(read): series = read.filter { !$0.points.isEmpty }
        }
        guard !series.isEmpty else {
            evidence["network_io"] = .object([("points", .int(0))])
            return "; no network I/O figures"
        }
        if let odd = series.first(where: { if case .data = $0.measure { false } else { true } }) {
            let total = odd.points.map(\.value).reduce(0, +)
            evidence["network_io"] = .object([("total", .double(Self.round(total))), ("unit", .string(odd.unit ?? "")),
                                              ("points", .int(odd.points.count))])
            return String(format: "; network I/O %.2f over %@ (in %@, not converted)", total, window.window, MetricUnit.described(odd.unit))
        }
        let perInterval = series.flatMap { one in one.points.map { megabytes($0.value, one) } }
        let total = perInterval.reduce(0, +)
        evidence["network_io"] = .object([
            ("total_mb", .double(Self.round(total))), ("max_mb_per_point", .double(Self.round(perInterval.max() ?? 0))),
            ("points", .int(perInterval.count)), ("unit", .string(series[0].unit ?? "")),
        ])
        return String(format: "; network I/O %.1f MB over %@", total, window.window)
    }
}
