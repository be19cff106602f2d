/// A step's latency bands and the timeout above them.
public struct LatencyLimits: Sendable, Equatable {
    /// Slower than this warns.
    public var warn: Duration
    /// Slower than this fails.
    public var fail: Duration
    /// How long the step may take at all; always above `fail`, so the fail band can be reached.
    public var timeout: Duration
}

extension StepSettings {
    /// Reads `thresholds` as durations with the kind's defaults; rejects a warn threshold above the
    /// fail threshold.
    public func latencyBands(warn defaultWarn: Duration, fail defaultFail: Duration) throws(RunbookError) -> (warn: Duration, fail: Duration) {
        let warn = try durationThreshold(self.warn, name: "warn") ?? defaultWarn
        let fail = try durationThreshold(self.fail, name: "fail") ?? defaultFail
        if warn > fail {
            throw RunbookError(self.warn?.location ?? self.fail?.location ?? location,
                               "thresholds.warn (\(warn.short)) is above thresholds.fail (\(fail.short))")
        }
        return (warn, fail)
    }

    /// The bands and the timeout: the step's own, else the kind's default raised to stay above the
    /// fail threshold. A fail threshold at or above the timeout is rejected (docs/architecture.md, "Statuses and exit codes": the
    /// guide's "critical" must be reachable before the step gives up).
    public func latencyLimits(warn: Duration, fail: Duration, timeout defaultTimeout: Duration) throws(RunbookError) -> LatencyLimits {
        let bands = try latencyBands(warn: warn, fail: fail)
        let timeout = self.timeout ?? max(defaultTimeout, bands.fail + .seconds(1))
        if bands.fail >= timeout {
            throw RunbookError(self.fail?.location ?? timeoutLocation,
                               "thresholds.fail (\(bands.fail.short)) must be below the timeout (\(timeout.short)), or the fail threshold can never be reached")
        }
        return LatencyLimits(warn: bands.warn, fail: bands.fail, timeout: timeout)
    }
}
