import CEditLineShim
import DoctorKit
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One line on standard error, under the results, saying what a run is doing while it runs:
/// `3 running, 12 done, 5 waiting - latency-sample 4/10 (2.1s)`, redrawn in place a few times a
/// second and cleared before each result line is printed and when the run ends.
///
/// Only on a terminal: never in a pipe or a file, under CI, with `TERM=dumb` or with the
/// `--no-progress`/`NO_PROGRESS` opt-out. It writes to standard error only, so standard output,
/// the journal and the note are the same with or without it.
final class StatusLine: DiagnosisSink, @unchecked Sendable {
    private struct Running {
        var step: String
        var since: ContinuousClock.Instant
        var detail: String?
    }

    private let lock = NSLock()
    private let color: Bool
    private let cancelHint: Bool
    private var fingerprints: [String: String] = [:]
    private var total = 0
    private var running: [String: Running] = [:]
    private var done: Set<String> = []
    private var shown = false
    private var active = false
    private var timer: DispatchSourceTimer?
    private var frame = 0

    /// How often the line is redrawn: enough to see time pass, little enough not to flicker.
    static let interval = DispatchTimeInterval.milliseconds(250)

    /// A status line when the environment wants one, else nil.
    ///
    /// - Parameters:
    ///   - machineOutput: the report goes to standard output in a format for programs (JSON, JUnit,
    ///     Prometheus) with no `--output`: a person is not reading that terminal.
    ///   - cancelHint: say that Ctrl-C cancels (the interactive session).
    static func make(disabled: Bool, machineOutput: Bool, cancelHint: Bool, color: Bool = true,
                     environment: [String: String] = ProcessInfo.processInfo.environment) -> StatusLine? {
        guard !disabled, !machineOutput, isatty(STDERR_FILENO) == 1 else { return nil }
        if environment["CI"].map({ !$0.isEmpty && $0 != "false" && $0 != "0" }) == true { return nil }
        if environment["TERM"] == "dumb" { return nil }
        if let value = environment["NO_PROGRESS"], !value.isEmpty { return nil }
        let color = color && (environment["NO_COLOR"] ?? "").isEmpty
        doctor_status_line_guard_install(STDERR_FILENO)
        return StatusLine(color: color, cancelHint: cancelHint)
    }

    private init(color: Bool, cancelHint: Bool) {
        self.color = color
        self.cancelHint = cancelHint
    }

    deinit { stop() }

    /// It counts steps; it never shows a result, so the journal need not be synced for it.
    var showsResults: Bool { false }

    func runStarting(_ runbooks: [Runbook]) {
        lock.withLock {
            fingerprints = [:]
            for runbook in runbooks {
                for step in runbook.steps { fingerprints["\(runbook.id)/\(step.id)"] = step.fingerprint }
            }
            total = Set(fingerprints.values).count
            running = [:]
            done = []
            active = true
        }
        startTimer()
    }

    func receive(_ event: StepEvent) {
        lock.withLock {
            switch event {
            case let .started(runbook, step):
                guard let key = fingerprints["\(runbook)/\(step)"] else { return }
                running[key] = Running(step: step, since: .now)
            case let .finished(runbook, result):
                guard let key = fingerprints["\(runbook)/\(result.id)"] else { return }
                running[key] = nil
                done.insert(key)
            case let .progress(runbook, step, detail):
                guard let key = fingerprints["\(runbook)/\(step)"] else { return }
                running[key]?.detail = detail
            case .revised:
                break
            }
        }
    }

    func runFinished(_ report: RunReport) { stop() }

    /// Clears the line, runs `body` (which prints a result), and lets the next tick draw it again.
    func withCleared(_ body: () -> Void) {
        lock.withLock {
            clearLocked()
            body()
        }
    }

    /// Stops redrawing and clears the line; the terminal is as it was before the run.
    func stop() {
        let stopped: DispatchSourceTimer? = lock.withLock {
            active = false
            clearLocked()
            defer { timer = nil }
            return timer
        }
        stopped?.cancel()
    }

    private func startTimer() {
        let source = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
        source.schedule(deadline: .now() + Self.interval, repeating: Self.interval)
        source.setEventHandler { [weak self] in self?.tick() }
        let previous: DispatchSourceTimer? = lock.withLock {
            defer { timer = source }
            return timer
        }
        previous?.cancel()
        source.resume()
    }

    private func tick() {
        lock.withLock {
            guard active else { return }
            frame += 1
            let text = Self.fit(line(at: .now), width: Self.columns())
            let painted = color ? "\u{1B}[2m" + text + "\u{1B}[0m" : text
            // Marked shown before it is drawn: a signal in between still erases it.
            shown = true
            doctor_status_line_shown(1)
            Self.write("\r\u{1B}[K" + painted)
        }
    }

    /// The line's words, before fitting: counts, the longest-running step, a sampler's count.
    private func line(at now: ContinuousClock.Instant) -> String {
        let spinner = ["|", "/", "-", "\\"][frame % 4]
        let waiting = max(0, total - running.count - done.count)
        var parts = ["\(spinner) \(running.count) running, \(done.count) done, \(waiting) waiting"]
        let longest = running.values.min { $0.since < $1.since }
        if let longest {
            parts.append("\(longest.step)\(longest.detail.map { " \($0)" } ?? "") (\((now - longest.since).short))")
        }
        // A sampler that is not the longest still shows how far it has got.
        if let counting = running.values.sorted(by: { $0.step < $1.step }).first(where: { $0.detail != nil && $0.step != longest?.step }) {
            parts.append("\(counting.step) \(counting.detail!)")
        }
        if cancelHint { parts.append("Ctrl-C cancels") }
        return parts.joined(separator: " - ")
    }

    private func clearLocked() {
        guard shown else { return }
        Self.write("\r\u{1B}[K")
        shown = false
        doctor_status_line_shown(0)
    }

    /// `text` cut to the terminal's width less one column, so it never wraps.
    static func fit(_ text: String, width: Int) -> String {
        let room = max(1, width - 1)
        return text.count <= room ? text : String(text.prefix(max(0, room - 3))) + "..."
    }

    /// The terminal's width in columns (80 when it cannot be told).
    static func columns() -> Int {
        var size = winsize()
        guard ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }

    private static func write(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Foundation.write(STDERR_FILENO, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            bytes = bytes.dropFirst(written)
        }
    }
}
