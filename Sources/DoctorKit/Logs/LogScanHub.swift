import Foundation

/// What a scan gave one step: its counts, its window, and how much of the log was read for it.
struct LogScanResult: Sendable {
    /// The step's counts.
    let tally: LogTally
    /// The step's window (seconds since 1970): `since` back from the scan's start, `until` the start.
    let since: Int64
    let until: Int64
    /// Which part of the file was read; nil for the Render logs API.
    let coverage: LogScanCoverage?
    /// How the Render logs API was read (server-side filters); nil for a file.
    var apiRead: RenderLogRead?
}

/// How much of a log file a scan read, and why that part.
struct LogScanCoverage: Sendable {
    /// The file's size.
    let fileBytes: Int64
    /// Where the window lies, or why the file was read whole.
    let window: LogFileWindow
    /// How many other steps' requests the same pass served.
    let sharedWith: Int

    /// The part read, in percent of the file.
    var percentRead: Int {
        fileBytes == 0 ? 100 : Int((Double(window.range.count) / Double(fileBytes) * 100).rounded(.up))
    }

    /// For the evidence: what was read and why, and how many steps the one pass served.
    var description: String {
        let part = if let order = window.order {
            "\(percentRead) % of the file (bytes \(window.range.lowerBound)–\(window.range.upperBound) of \(fileBytes)): its lines are in time order (\(order.rawValue)), so only the window's part was read"
        } else {
            "the whole file (\(fileBytes) bytes): \(window.wholeBecause ?? "read whole")"
        }
        return sharedWith > 0 ? part + "; one pass served \(sharedWith + 1) steps" : part
    }
}

/// The log scans of one run: every step reading the same log file is served by one pass over it,
/// which feeds all their patterns and windows at once (issue 22).
///
/// The runner registers every log step's request before any runs; the first step to ask starts
/// the pass (on a thread of its own: it reads and searches without pause) with every registered
/// request for that file, and each step waits for it up to its own deadline. A request that was
/// not registered gets a pass of its own. `close()` stops passes nobody waits for any more.
final class LogScanHub: @unchecked Sendable {
    // `@unchecked Sendable`: `jobs` and `closed` are only touched under `lock`.
    private let lock = NSLock()
    private let registered: [LogScanRequest]
    private var jobs: [String: Job] = [:]
    private var closed = false
    /// The doctor's own trouble-causing requests, read when a pass starts.
    private let ownRequests: OwnRequestLedger?

    /// A hub for a run whose log steps ask `requests` (duplicates are asked once).
    init(requests: [LogScanRequest], ownRequests: OwnRequestLedger? = nil) {
        var seen: Set<LogScanRequest> = []
        registered = requests.filter { seen.insert($0).inserted }
        self.ownRequests = ownRequests
    }

    /// Stops every pass still running: the run is over.
    func close() {
        let running = lock.withLock { () -> [Job] in
            closed = true
            return Array(jobs.values)
        }
        running.forEach { $0.stop() }
    }

    /// The counts for `request` over the file `source`, from the run's shared pass.
    ///
    /// Waits up to `deadline`; then fails with `.unfinished`, naming `timeout` and the share read.
    func scan(_ request: LogScanRequest, source: FileLogSource, deadline: ContinuousClock.Instant, timeout: Duration,
              progress: @Sendable (String) -> Void) async -> Result<LogScanResult, LogScanError> {
        let shared = registered.contains(request)
        let key = shared ? source.path : source.path + "\u{0}" + "\(request.hashValue)"
        let (job, isNew) = lock.withLock { () -> (Job, Bool) in
            if let existing = jobs[key] { return (existing, false) }
            let job = Job(requests: shared ? registered : [request], source: source, ownRequests: ownRequests)
            jobs[key] = job
            return (job, true)
        }
        if isNew {
            Task.detached { await job.start(until: deadline) }
        }
        if lock.withLock({ closed }) { job.stop() }
        var shown = -1
        while true {
            switch job.state {
            case let .done(results):
                if let result = results[request] {
                    if let coverage = result.coverage, coverage.window.order != nil, coverage.window.range.isEmpty,
                       let spans = coverage.window.spans {
                        let iso = { (time: Int64) in UTCTime.string(Date(timeIntervalSince1970: TimeInterval(time)), .iso8601) }
                        return .failure(.noLinesInWindow(source.name, iso(result.since), "\(iso(spans.lowerBound)) to \(iso(spans.upperBound))"))
                    }
                    return .success(result)
                }
                return .failure(.cannotRead(source.name, "the scan did not include this step"))
            case let .failed(error):
                return .failure(error)
            case let .running(read, total, windowed):
                if Task.isCancelled { return .failure(.cancelled) }
                let percent = total > 0 ? Int(read * 100 / total) : 0
                if ContinuousClock.now >= deadline {
                    return .failure(.unfinished(source.name, timeout, total > 0 ? percent : nil, ofWindow: windowed))
                }
                if total > 0 && percent != shown {
                    shown = percent
                    progress("scanning \(source.name): \(percent) %")
                }
            case .opening:
                if Task.isCancelled { return .failure(.cancelled) }
                if ContinuousClock.now >= deadline { return .failure(.deadline(source.name)) }
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// One pass over one file for a set of requests.
    final class Job: @unchecked Sendable {
        enum State {
            case opening
            /// Bytes read so far of the part to read, and whether that part is a window of the file.
            case running(Int64, Int64, Bool)
            case done([LogScanRequest: LogScanResult])
            case failed(LogScanError)
        }

        // `@unchecked Sendable`: `current` and `stopped` are only touched under `lock`.
        private let lock = NSLock()
        private var current = State.opening
        private var stopped = false
        let requests: [LogScanRequest]
        let source: FileLogSource
        let ownRequests: OwnRequestLedger?

        init(requests: [LogScanRequest], source: FileLogSource, ownRequests: OwnRequestLedger?) {
            self.requests = requests
            self.source = source
            self.ownRequests = ownRequests
        }

        var state: State { lock.withLock { current } }

        func stop() { lock.withLock { stopped = true } }

        private func set(_ state: State) { lock.withLock { current = state } }

        /// Opens the file (spooling a stream), then scans it on a thread of its own.
        func start(until deadline: ContinuousClock.Instant) async {
            let log: FileLogSource.OpenedLog
            do throws(LogScanError) {
                log = try await source.opened(until: deadline)
            } catch {
                set(.failed(error))
                return
            }
            let thread = Thread { [self] in
                defer { log.close() }
                set(scan(log))
            }
            thread.name = "doctor log scan"
            thread.start()
        }

        /// The whole pass: locate the window, then read it once per plan (one plan unless the
        /// requests hold more texts than one automaton tells apart).
        private func scan(_ log: FileLogSource.OpenedLog) -> State {
            let now = Int64(Date().timeIntervalSince1970)
            let widest = requests.map { Int64($0.window.seconds) }.max() ?? 0
            let ownTimes = ownRequests?.times(since: (now - widest - 3600) * 1000) ?? []
            let canaries = ownRequests?.canaryMarkers(since: (now - widest - 3600) * 1000) ?? []
            let groups = LogScanPlan.plans(for: requests, now: now, skew: LogScanCheck.clockSkew, ownTimes: ownTimes, ownMarkers: canaries)
            let since = groups.map(\.plan.since).min() ?? now
            let until = groups.map(\.plan.until).max() ?? now
            let window = LogFileWindow.locate(fd: log.fd, size: log.size, since: since, until: until)
            let total = Int64(window.range.count) * Int64(groups.count)
            var read: Int64 = 0
            let windowed = window.order != nil
            set(.running(0, total, windowed))
            var results: [LogScanRequest: LogScanResult] = [:]
            let coverage = LogScanCoverage(fileBytes: log.size, window: window, sharedWith: requests.count - 1)
            let name = source.name
            for (plan, members) in groups {
                let scanner = LogScanner(plan: plan, sourceName: name, startOffset: window.range.lowerBound)
                do throws(LogScanError) {
                    try FileLogSource.read(log, range: window.range, name: name, stop: { () -> LogScanError? in
                        lock.withLock { stopped } ? .cancelled : nil
                    }) { (bytes) throws(LogScanError) in
                        try scanner.consume(.bytes(bytes))
                        read += Int64(bytes.count)
                        set(.running(read, total, windowed))
                    }
                    try scanner.finish()
                } catch {
                    return .failed(error)
                }
                for (index, (request, tally)) in zip(members, scanner.tallies).enumerated() {
                    let member = plan.members[index]
                    results[request] = LogScanResult(tally: tally, since: member.since, until: now, coverage: coverage)
                }
            }
            return .done(results)
        }
    }
}
