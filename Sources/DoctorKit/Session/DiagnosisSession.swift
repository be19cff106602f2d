import Foundation

/// Where a session's events go: the journal, a streaming terminal, a test's model of a screen.
///
/// Every event a sink receives is already redacted with the secrets the session knows at that
/// moment, and events arrive one at a time, in the order the session published them.
public protocol DiagnosisSink: AnyObject, Sendable {
    /// Whether it shows results to a person: the journal is synced before such a sink gets one,
    /// so what was shown is on disk. A status line that only counts steps does not need that.
    var showsResults: Bool { get }
    /// A run is about to start these runbooks (a status line counts their steps).
    func runStarting(_ runbooks: [Runbook])
    /// A step started, finished, or had its result revised (apply it: it replaces the earlier one),
    /// or says how far it has got.
    func receive(_ event: StepEvent)
    /// A run ended; `report` holds every step's final result and equals what the events built.
    func runFinished(_ report: RunReport)
}

extension DiagnosisSink {
    /// A sink shows results unless it says otherwise.
    public var showsResults: Bool { true }
    /// Nothing to do by default.
    public func runStarting(_ runbooks: [Runbook]) {}
    /// Nothing to do by default.
    public func runFinished(_ report: RunReport) {}
}

/// One diagnosis session: the configuration, one redactor, the session record, the runs and their
/// latest results, published to sinks. `--check`, `demo` and the interactive session are faces
/// over it; they parse arguments and print, the session does the rest.
///
/// One operation at a time: a face drives it from one thread (the REPL's reader thread, or the
/// check command's task) and waits for each `run` before the next call; the runner's concurrent
/// events are serialised inside `run`. It is `Sendable` only so that a face can hand it to the
/// task that runs it. Sinks are called one at a time under that serialisation and must not call
/// back into the session.
public final class DiagnosisSession: @unchecked Sendable {
    /// How a session is recorded.
    public enum Recording: Sendable {
        /// From the start (`--check`, `demo`).
        case eager
        /// When the first thing worth recording happens (a REPL that only looked around leaves nothing).
        case lazy
        /// Not at all.
        case off
    }

    /// The session id (also the journal's folder name).
    public let id: String
    /// When the session started.
    public let startedAt = Date()
    /// The runbooks the session can run.
    public let runbooks: [Runbook]
    /// How runs are bounded and what they may do.
    public let options: RunOptions
    /// What the runs may not use (practice mode without a database).
    public let unavailable: [String: String]
    /// `check`, `demo`, `interactive`, `practice` or `scripted`: how the journal names the session.
    public let mode: String
    /// The configuration steps read; change it with `set`/`unset`.
    public private(set) var configuration: Configuration
    /// Masks every secret of the configuration and those `set`/`unset` replaced.
    public private(set) var redactor: Redactor
    /// Problems met while recording (the journal could not be created, the note not written), in order.
    public private(set) var diagnostics: [String] = []
    /// The latest result of each `runbook/step`, redacted.
    public private(set) var latest: [String: StepResult] = [:]
    /// The keys of `latest` in the order they first appeared.
    public private(set) var order: [String] = []
    /// The runbook id behind each key of `latest`.
    public private(set) var runbookOf: [String: String] = [:]

    private let store: SessionStore
    private let keep: Int
    /// Told at once, from the journal's thread, when the record cannot be written (a full disk).
    private let onRecordingProblem: (@Sendable (String) -> Void)?
    private var recording: Recording
    private var recorderState: RecorderState = .notStarted
    private var pastSecrets: [String] = []
    private var sinks: [any DiagnosisSink] = []
    /// Sinks of the run under way only (a terminal printer made for one command).
    var runSinks: [any DiagnosisSink] = []
    /// Requests to the service (`API_URL`) each step made the last time it ran, by fingerprint:
    /// what a watch paces its rounds by.
    var targetRequests: [String: Int] = [:]
    private let http = HTTPClient()

    private enum RecorderState {
        case notStarted
        case recording(SessionRecorder)
        case unavailable
    }

    /// A session over `configuration` and `runbooks`; records to `store` as `recording` says.
    public init(
        id: String = makeSessionID(), mode: String, configuration: Configuration, runbooks: [Runbook],
        options: RunOptions = RunOptions(), unavailable: [String: String] = [:], recording: Recording = .eager,
        store: SessionStore = SessionStore(), keep: Int = SessionRecorder.defaultKeep,
        onRecordingProblem: (@Sendable (String) -> Void)? = nil
    ) {
        self.onRecordingProblem = onRecordingProblem
        self.id = id
        self.mode = mode
        self.configuration = configuration
        self.runbooks = runbooks
        self.options = options
        self.unavailable = unavailable
        self.recording = recording
        self.store = store
        self.keep = keep
        redactor = Redactor(configuration)
        if recording == .eager { _ = recorder }
    }

    deinit { http.close() }

    /// Adds a sink; it receives every event published from now on.
    public func addSink(_ sink: any DiagnosisSink) { sinks.append(sink) }

    /// The session's recorder, started on first use (nil when recording is off or failed).
    public var recorder: SessionRecorder? {
        switch recorderState {
        case let .recording(recorder): return recorder
        case .unavailable: return nil
        case .notStarted:
            guard recording != .off else { return nil }
            do {
                let recorder = try SessionRecorder(id: id, mode: mode, configuration: configuration, store: store, keep: keep,
                                                   onFailure: onRecordingProblem)
                recorderState = .recording(recorder)
                return recorder
            } catch {
                recorderState = .unavailable
                diagnostics.append("the session is not recorded: \(error.localizedDescription)")
                return nil
            }
        }
    }

    /// Whether anything was recorded (the journal exists).
    public var isRecording: Bool {
        if case .recording = recorderState { return true }
        return false
    }

    /// `live` or `test`, from the Stripe key's prefix.
    public var stripeMode: String? { Runner.stripeMode(configuration) }

    /// The worst latest result of the session.
    public var status: Status { Status.worst(latest.values.map(\.status)) }

    /// The exit code of the latest results (0 when nothing ran).
    public var exitCode: Int32 {
        latest.isEmpty ? ExitStatus.ok.rawValue : ExitStatus(worst: status, failOn: options.failOn).rawValue
    }

    /// Every latest result with its runbook, in the order first seen.
    public var results: [(runbook: String, step: StepResult)] {
        order.compactMap { key in latest[key].map { (runbookOf[key] ?? "", $0) } }
    }

    // MARK: Variables

    /// Sets a variable for the rest of the session; a replaced secret stays masked everywhere.
    public func set(_ name: String, _ value: String) {
        retire(name)
        configuration.set(name, value, origin: .session)
        rebuildRedactor()
    }

    /// Unsets a variable for the rest of the session; its secret value stays masked everywhere.
    public func unset(_ name: String) {
        retire(name)
        configuration.set(name, nil, origin: .session)
        rebuildRedactor()
    }

    /// Adds a configuration notice (e.g. an override), shown on later reports.
    public func addNotice(_ notice: String) { configuration.addNotice(notice) }

    private func retire(_ name: String) {
        if Configuration.isSecret(name), let old = configuration.value(name), !old.isEmpty { pastSecrets.append(old) }
    }

    private func rebuildRedactor() {
        var known = configuration
        for (index, value) in pastSecrets.enumerated() { known.set("DOCTOR_PAST_\(index)_SECRET", value, origin: .session) }
        redactor = Redactor(known)
    }

    // MARK: Record

    /// Records an operator note (redacted).
    public func note(_ text: String) { recorder?.note(redactor.redact(text)) }

    /// Journals the resends a replay made from this session (the note lists them under Actions taken).
    public func recordReplay(_ actions: [ReplayAction]) {
        for action in actions { recorder?.replay(action) }
    }

    /// Records that an escalation summary was produced.
    public func escalated(_ team: Escalation) { recorder?.escalation(team) }

    /// The session as recorded so far (nil when not recording).
    public func record() -> SessionRecord? { try? recorder?.current() }

    /// Ends the record: the journal's last event and the incident note.
    ///
    /// - Returns: the note's path, or nil when nothing was recorded or the note could not be
    ///   written (then `diagnostics` says why).
    @discardableResult
    public func finish(exitCode: Int32? = nil) -> String? {
        guard case let .recording(recorder) = recorderState else { return nil }
        do {
            return try recorder.finish(status: status, exitCode: exitCode ?? self.exitCode, redactor: redactor)
        } catch {
            diagnostics.append("incident note not written: \(error.localizedDescription)")
            return nil
        }
    }

    // MARK: Publishing

    /// Redacts `event`, applies it to the latest results, journals it and hands it to every sink.
    func publish(_ event: StepEvent) {
        let safe: StepEvent
        switch event {
        case .started: safe = event
        case let .progress(runbook, step, detail): safe = .progress(runbook: runbook, step: step, detail: redactor.redact(detail))
        case let .finished(runbook, result): safe = .finished(runbook: runbook, result: redactor.redact(result))
        case let .revised(runbook, result, reason): safe = .revised(runbook: runbook, result: redactor.redact(result), reason: reason)
        }
        switch safe {
        case .started, .progress: break
        case let .finished(runbook, result), let .revised(runbook, result, _): keep(result, runbook: runbook)
        }
        if let recorder {
            recorder.record(safe)
            // On disk before it is on screen: a killed session still has what the operator saw.
            switch safe {
            case .started, .progress: break
            case .finished, .revised: if (sinks + runSinks).contains(where: \.showsResults) { recorder.sync() }
            }
        }
        for sink in sinks + runSinks { sink.receive(safe) }
    }

    /// Keeps `result` as the latest of its `runbook/step`.
    func keep(_ result: StepResult, runbook: String) {
        let key = "\(runbook)/\(result.id)"
        if latest[key] == nil { order.append(key) }
        latest[key] = result
        runbookOf[key] = runbook
    }

    /// Tells every sink a run is starting.
    func announceStart(_ runbooks: [Runbook]) {
        for sink in sinks + runSinks { sink.runStarting(runbooks) }
    }

    /// Tells every sink a run ended.
    func announce(_ report: RunReport) {
        for sink in sinks + runSinks { sink.runFinished(report) }
    }

    /// A runner for one command: shared steps run once within it, and nothing stale is reused later.
    func makeRunner(knownProofs: [String: String] = [:], options: RunOptions? = nil) -> Runner {
        Runner(configuration: configuration, http: http, options: options ?? self.options,
               resources: SharedResources(unavailable: unavailable, ownRequests: ownRequests), knownProofs: knownProofs)
    }

    /// The ledger of the doctor's own trouble-causing requests: kept beside the sessions, unless
    /// nothing is recorded.
    var ownRequests: OwnRequestLedger? {
        if case .off = recording { return nil }
        return OwnRequestLedger(stateDirectory: store.stateDirectory)
    }
}
