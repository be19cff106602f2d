import Foundation

/// The Render logs API as a log source (`GET /logs`, api-facts §3 and §9): the lines of the whole
/// window that can match the step's patterns, found by Render's server-side filters.
///
/// Reading every line of a busy service's day page by page would take thousands of requests; the
/// old bound (30 pages of 100, newest first) read about 1.5 % of a 200 000-line day and presented
/// the counts as the whole. Instead each pattern text is asked for on its own (`text=…`, or a label
/// filter such as `statusCode=429` for a `name=value` text), paged newest first through
/// `nextEndTime` until `hasMore` is false, so each count covers the whole window. Render's filter
/// is only a first sieve (its `text` match is looser than the doctor's byte-for-byte one): the
/// scanner matches every line returned again, exactly, and lines found by several texts count
/// once. The read stops while the rate budget is still comfortable; what it could not finish is
/// said in `read` (`complete == false`), never presented as the whole.
final class RenderLogSource: LogSource, @unchecked Sendable {
    let client: RenderClient
    let service: String
    let start: Date
    let end: Date
    /// The texts to ask for; each is one filtered read of the window.
    let texts: [String]
    /// At most this many pages of 100 over all texts.
    var maxPages = 60

    /// What the read covered, once `read` has returned (written there only, read after).
    private(set) var outcome = RenderLogRead()

    /// Labels Render can filter on (api-facts §9), so `statusCode=429` is asked as a label.
    static let labelFilters: Set<String> = ["instance", "host", "statusCode", "method", "level", "type", "path"]

    init(client: RenderClient, service: String, start: Date, end: Date, texts: [String]) {
        self.client = client
        self.service = service
        self.start = start
        self.end = end
        self.texts = texts
    }

    var name: String { "the Render logs API (\(service))" }

    /// The filter that finds `text`'s lines: a label filter for `name=value` on a filterable label
    /// whose value holds no wildcard, else the text itself.
    static func filter(for text: String) -> (String, String) {
        if let equals = text.firstIndex(of: "="), labelFilters.contains(String(text[..<equals])) {
            let value = String(text[text.index(after: equals)...]).trimmingCharacters(in: .whitespaces)
            if !value.isEmpty, !value.contains("*"), !value.contains(" ") { return (String(text[..<equals]), value) }
        }
        return ("text", text)
    }

    func read(until deadline: ContinuousClock.Instant,
              _ consume: (LogInput) throws(LogScanError) -> Void) async throws(LogScanError) {
        do {
            // The logs API is per workspace: the service says which one it belongs to.
            let described = try await client.get("/services/\(RenderServiceCheck.Probe.pathComponent(service))", deadline: deadline)
            guard let owner = RenderService(described.json)?.ownerID else {
                throw LogScanError.cannotRead(name, "the service has no ownerId to ask the logs API with")
            }
            var read = RenderLogRead(requests: 1)
            var seen: Set<String> = []
            var entries: [(time: String, entry: LogEntry)] = []
            let from = RenderTime.format(start)
            var stopped: Int?
            textLoop: for (index, text) in texts.enumerated() {
                let filter = Self.filter(for: text)
                // Times go out in whole seconds: the second `end` falls in is asked for whole, or
                // the lines of its first part (a probe a moment ago) would be left out.
                var to = RenderTime.format(end.addingTimeInterval(1))
                while true {
                    if Task.isCancelled { throw LogScanError.cancelled }
                    guard read.pages < maxPages else {
                        read.cut.append(text)
                        stopped = index
                        break textLoop
                    }
                    let page = try await client.get("/logs", query: [
                        ("ownerId", owner), ("resource", service), ("startTime", from), ("endTime", to),
                        ("direction", "backward"), ("limit", "100"), filter,
                    ], deadline: deadline)
                    read.requests += 1
                    read.pages += 1
                    guard case let .array(logs)? = page.json["logs"] else {
                        throw LogScanError.notRenderLog(name, "an answer without `logs`")
                    }
                    for item in logs {
                        guard let entry = Self.entry(item) else { continue }
                        read.fetched += 1
                        // A line two texts found counts once; a line without an id is taken as is.
                        if let id = item.string("id"), !seen.insert(id).inserted { continue }
                        entries.append((entry.timestamp ?? "", entry))
                    }
                    guard page.json.bool("hasMore") == true else { break }
                    guard let next = page.json.string("nextEndTime"), next != to else {
                        read.cut.append(text)
                        break
                    }
                    if let left = page.rateLimitRemaining, left < RenderClient.reserve {
                        read.cut.append(text)
                        read.budgetStopped = true
                        stopped = index
                        break textLoop
                    }
                    to = next
                }
            }
            // Texts never reached are as uncounted as a cut one.
            if let stopped { read.cut += texts[(stopped + 1)...].filter { !read.cut.contains($0) } }
            outcome = read
            // Oldest first, as the scanner counts order (RFC 3339 times in one zone sort as text).
            try consume(.entries(entries.sorted { $0.time < $1.time }.map(\.entry)))
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

/// What a filtered read of the Render logs API covered.
struct RenderLogRead: Sendable, Equatable {
    /// Requests made, the service lookup included.
    var requests = 0
    /// Pages of `/logs` read.
    var pages = 0
    /// Lines the filters returned (before lines found by several texts are counted once).
    var fetched = 0
    /// The texts whose lines were not all read (the page bound or the rate budget stopped them).
    var cut: [String] = []
    /// Whether the rate budget, rather than the page bound, stopped the read.
    var budgetStopped = false

    /// Whether every text's lines over the whole window were read.
    var complete: Bool { cut.isEmpty }

    /// For the evidence: how the window was read.
    var description: String {
        let how = "filtered server-side by each pattern's text, \(fetched) matching line\(fetched == 1 ? "" : "s") in \(requests) requests"
        guard !complete else { return how + ": the whole window" }
        let why = budgetStopped ? "the rate budget ran low" : "the page bound was reached"
        return how + "; not all read (\(why)) for " + cut.map { "\"\($0)\"" }.joined(separator: ", ") + ": their counts are at least these"
    }
}
