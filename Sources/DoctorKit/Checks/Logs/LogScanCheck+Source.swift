import Foundation

extension LogScanCheck {
    /// The log source the configuration names: `DOCTOR_LOG_FILE`, the Render logs API, or why there is none.
    static func source(_ context: CheckContext, window: Duration, texts: [String]) -> Result<any LogSource, SourceMissing> {
        let configuration = context.configuration
        if let path = configuration.value(variable) { return .success(FileLogSource(path: path)) }
        if configuration.value("RENDER_API_KEY") != nil, let service = configuration.value("RENDER_SERVICE_ID"),
           let client = try? RenderClient(configuration: configuration, http: context.http) {
            let now = Date()
            return .success(RenderLogSource(client: client, service: service.trimmingCharacters(in: .whitespaces),
                                            start: now.addingTimeInterval(-window.seconds), end: now, texts: texts))
        }
        return .failure(SourceMissing(
            reason: "no log to scan: \(variable) is not set",
            hint: "Set \(variable) to an exported log (a path, or - for standard input; also --logs PATH|-), or set RENDER_API_KEY and RENDER_SERVICE_ID for the Render logs API."))
    }

    /// Why a step has no log to read, and what to set.
    struct SourceMissing: Error {
        let reason: String
        let hint: String
    }

    /// The counts for `request` from `source`: a file through the run's shared pass (one read for
    /// every log step), the Render logs API by reading its pages for this step.
    static func scan(_ request: LogScanRequest, source: any LogSource, in context: CheckContext,
                     timeout: Duration) async -> Result<LogScanResult, LogScanError> {
        if let file = source as? FileLogSource {
            let hub = context.logScans ?? LogScanHub(requests: [request], ownRequests: context.resources.ownRequests)
            defer { if context.logScans == nil { hub.close() } }
            return await hub.scan(request, source: file, deadline: context.deadline, timeout: timeout, progress: context.progress)
        }
        let now = Int64(Date().timeIntervalSince1970)
        // A request alone always fits one plan: the kinds check that when the runbook loads.
        let ownTimes = context.resources.ownRequests?.times(since: (now - Int64(request.window.seconds) - 3600) * 1000) ?? []
        let canaries = context.resources.ownRequests?.canaryMarkers(since: (now - Int64(request.window.seconds) - 3600) * 1000) ?? []
        guard let plan = LogScanPlan([request], now: now, skew: clockSkew, ownTimes: ownTimes, ownMarkers: canaries) else {
            return .failure(.cannotRead(source.name, "the patterns hold too much text to search at once"))
        }
        let scanner = LogScanner(plan: plan, sourceName: source.name)
        do throws(LogScanError) {
            try await source.read(until: context.deadline) { (input) throws(LogScanError) in try scanner.consume(input) }
            try scanner.finish()
        } catch {
            return .failure(error)
        }
        return .success(LogScanResult(tally: scanner.tally, since: plan.members[0].since, until: now, coverage: nil,
                                      apiRead: (source as? RenderLogSource)?.outcome))
    }
}
