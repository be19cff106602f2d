import Foundation

/// What the payment API prints, as Render keeps it: a bounded ring of log entries that the payment
/// API stand-in appends to as it serves and the Render API stand-in's `/logs` reads.
///
/// Every entry has a time of its own in whole milliseconds, strictly increasing, so a page of
/// `/logs` can end exactly at an entry and the next page start at the one after, with none lost.
final class SandboxServiceLog: @unchecked Sendable {
    /// One line of the service's output with Render's labels.
    struct Entry: Sendable, Equatable {
        /// Render's log id (a UUID).
        var id: String
        /// Milliseconds since the epoch.
        var time: Int
        /// The line as printed.
        var message: String
        /// `app`, `request` or `build`.
        var type: String
        /// `info`, `warning` or `error`.
        var level: String
        /// The instance that printed it.
        var instance: String
        /// The request labels (`method`, `path`, `statusCode`, `host`) of a request line.
        var requestLabels: [(String, String)] = []

        static func == (lhs: Entry, rhs: Entry) -> Bool {
            lhs.id == rhs.id && lhs.time == rhs.time && lhs.message == rhs.message
        }
    }

    /// How many lines are kept: a day of the demo's history is about 900, so live lines have room,
    /// and a test that posts thousands of requests still holds the memory bounded.
    static let capacity = 3000

    /// The service (`srv-…`) every entry belongs to.
    let resource: String
    /// The instance that is serving now.
    let instance: String
    private let lock = NSLock()
    private var entries: [Entry] = []
    /// False while the service cannot print: suspended, nothing runs.
    private var running = true

    init(resource: String, instance: String) {
        self.resource = resource
        self.instance = instance
    }

    /// Appends a line printed by the serving instance now (or at `time`, in milliseconds).
    func append(_ message: String, type: String = "app", level: String = "info",
                requestLabels: [(String, String)] = [], time: Int? = nil, instance: String? = nil)
    {
        let entry = Entry(
            id: UUID().uuidString.lowercased(), time: time ?? Int((Date().timeIntervalSince1970 * 1000).rounded()),
            message: message, type: type, level: level, instance: instance ?? self.instance, requestLabels: requestLabels)
        lock.withLock {
            guard running else { return }
            insert(entry)
        }
    }

    /// Replaces the history with `entries` (any order), keeping the newest `capacity`.
    func seed(_ history: [Entry]) {
        lock.withLock {
            entries = []
            for entry in history.sorted(by: { $0.time < $1.time }) { insert(entry) }
        }
    }

    /// Stops taking lines, as a suspended service prints nothing.
    func stopRunning() { lock.withLock { running = false } }

    /// Every entry, oldest first.
    var all: [Entry] { lock.withLock { entries } }

    /// Adds an entry after the newest, nudging its time forward when it would tie or go back.
    private func insert(_ entry: Entry) {
        var entry = entry
        if let last = entries.last, entry.time <= last.time { entry.time = last.time + 1 }
        entries.append(entry)
        if entries.count > Self.capacity { entries.removeFirst(entries.count - Self.capacity) }
    }
}
