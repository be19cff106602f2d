/// The outcome of one step, as docs/architecture.md, "Statuses and exit codes" names it.
public enum Status: String, Codable, Sendable, CaseIterable {
    case pass, warn, fail, skip, unknown

    /// How much a status weighs when several are folded into one: fail > unknown > warn > pass > skip.
    public var severity: Int {
        switch self {
        case .skip: 0
        case .pass: 1
        case .warn: 2
        case .unknown: 3
        case .fail: 4
        }
    }

    /// The symbol the text report shows for this status.
    public var symbol: String {
        switch self {
        case .pass: "✓"
        case .warn: "!"
        case .fail: "✗"
        case .skip: "-"
        case .unknown: "?"
        }
    }

    /// The worst of several statuses; `skip` when there are none.
    public static func worst<S: Sequence>(_ statuses: S) -> Status where S.Element == Status {
        statuses.max { $0.severity < $1.severity } ?? .skip
    }
}

/// The process exit codes of docs/architecture.md, "Statuses and exit codes" (the monitoring-plugins convention).
public enum ExitStatus: Int32, Sendable {
    case ok = 0
    case warning = 1
    case failure = 2
    case unknown = 3
    case usage = 64

    /// The exit code of a run whose worst status is `status`, given which status makes the run fail.
    ///
    /// A run that checked nothing (worst status `skip`) is unknown: a cron job that lost its `.env`
    /// must not report all clear.
    public init(worst status: Status, failOn: FailOn = .warn) {
        switch status {
        case .fail: self = .failure
        case .unknown, .skip: self = .unknown
        case .warn: self = failOn == .warn ? .warning : .ok
        case .pass: self = .ok
        }
    }
}

/// Which status makes a non-zero exit (`--fail-on`).
public enum FailOn: String, Sendable, CaseIterable {
    case fail, warn
}
