import ArgumentParser
import DoctorKit
import Foundation

/// How a watch is paced and bounded: `doctor watch` and `--check … --until-pass`.
struct WatchOptionsGroup: ParsableArguments {
    @Option(name: .customLong("until-pass"), help: ArgumentHelp("Re-run what did not pass until it passes, for at most this long (e.g. 30s, 10m; `doctor watch` defaults to 10m).", valueName: "duration"))
    var untilPass: String?

    @Option(name: .long, help: ArgumentHelp("First pause between re-runs (default 5s); it doubles while nothing changes.", valueName: "duration"))
    var interval: String?

    @Option(name: .customLong("max-interval"), help: ArgumentHelp("Longest pause between re-runs (default 60s).", valueName: "duration"))
    var maxInterval: String?

    func validate() throws {
        for (flag, value) in [("--until-pass", untilPass), ("--interval", interval), ("--max-interval", maxInterval)] {
            guard let value else { continue }
            guard Duration(parsing: value).map({ $0 > .zero }) == true else {
                throw ValidationError("\(flag) must be a duration such as 30s or 2m, found \"\(value)\"")
            }
        }
        if let problem = options(defaultDeadline: .seconds(600)).problem { throw ValidationError("watch: \(problem)") }
    }

    /// The watch these flags ask for; `defaultDeadline` when `--until-pass` is absent.
    func options(defaultDeadline: Duration) -> WatchOptions {
        let defaults = WatchOptions()
        let first = interval.flatMap { Duration(parsing: $0) } ?? defaults.firstInterval
        // A first pause longer than the default longest one stretches the longest, not an error.
        let longest = maxInterval.flatMap { Duration(parsing: $0) } ?? max(defaults.maxInterval, first)
        return WatchOptions(firstInterval: first, maxInterval: longest,
                            deadline: untilPass.flatMap { Duration(parsing: $0) } ?? defaultDeadline)
    }

    /// Whether any of these flags was given.
    var isGiven: Bool { untilPass != nil || interval != nil || maxInterval != nil }
}
