import Foundation

/// The Render logs API as a log source (`GET /logs`, api-facts section 3): the service's lines of
/// the window, read newest first page by page (`nextEndTime` while `hasMore`), bounded in pages and
/// stopping while the rate-limit budget is still comfortable, then handed over oldest first.
struct RenderLogSource: LogSource {
    let client: RenderClient
    let service: String
    let start: Date
    let end: Date
    /// At most this many pages of 100 lines: a scan of the API is a sample, not an export.
    var maxPages = 30

    var name: String { "the Render logs API (\(service))" }

    func read(until deadline: ContinuousClock.Instant,
              _ consume: (LogInput) throws(LogScanError) -> Void) async throws(LogScanError) {
        do {
            // The logs API is per workspace: the service says which one it belongs to.
            let service = try await client.get("/services/\(RenderServiceCheck.Probe.pathComponent(self.service))", deadline: deadline)
            guard let owner = RenderService(service.json)?.ownerID else {
                throw LogScanError.cannotRead(name, "the service has no ownerId to ask the logs API with")
            }
            // Newest first, so that when the page bound cuts a busy window short, what is left out
            // is the oldest part; the scanner then gets the lines oldest first, as it counts order.
            let from = RenderTime.format(start)
            var to = RenderTime.format(end)
            var pages: [[LogEntry]] = []
            for _ in 0..<maxPages {
                if Task.isCancelled { throw LogScanError.cancelled }
                let page = try await client.get("/logs", query: [
                    ("ownerId", owner), ("resource", self.service), ("startTime", from), ("endTime", to),
                    ("direction", "backward"), ("limit", "100"),
                ], deadline: deadline)
                guard case let .array(logs)? = page.json["logs"] else {
                    throw LogScanError.notRenderLog(name, "an answer without `logs`")
                }
                pages.append(logs.compactMap(Self.entry))
                guard page.json.bool("hasMore") == true, let next = page.json.string("nextEndTime"), next != to else { break }
                if let left = page.rateLimitRemaining, left < RenderClient.reserve { break }
                to = next
            }
            let entries = pages.reversed().flatMap { $0.reversed() }
            try consume(.entries(entries))
        } catch let error as LogScanError {
            throw error
        } catch let error as RenderAPIError {
            if case .transport(.cancelled, _) = error { throw LogScanError.cancelled }
            throw LogScanError.cannotRead(name, error.localizedDescription)
        } catch {
            throw LogScanError.cannotRead(name, "\(error)")
        }
    }

    /// `{id, timestamp, message, labels:[{name, value}]}` as a log entry.
    static func entry(_ json: JSONValue) -> LogEntry? {
        guard let message = json.string("message") else { return nil }
        var labels: [LogEntry.Label] = []
        if case let .array(list)? = json["labels"] {
            for label in list {
                if let name = label.string("name"), let value = label.string("value") { labels.append(.init(name: name, value: value)) }
            }
        }
        return LogEntry(timestamp: json.string("timestamp"), message: message, labels: labels)
    }
}
