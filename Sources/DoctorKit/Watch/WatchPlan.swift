import Foundation

/// What one round of a watch re-runs: the steps that did not pass, the steps they need (a step
/// runs only after its needs pass), and the steps skipped because of them.
struct WatchPlan {
    /// Each runbook cut down to the steps to re-run, in its own order; runbooks with none are left out.
    var runbooks: [Runbook]
    /// The `runbook/step` keys that did not pass.
    var failing: [String]

    /// The plan for `selected` given the latest results; `failOn` says whether a warning counts.
    init(_ selected: [Runbook], latest: [String: StepResult], failOn: FailOn) {
        var runbooks: [Runbook] = []
        var failing: [String] = []
        for runbook in selected {
            var chosen = Set<String>()
            for step in runbook.steps {
                guard let status = latest["\(runbook.id)/\(step.id)"]?.status else { continue }
                if Self.notPassing(status, failOn: failOn) {
                    chosen.insert(step.id)
                    failing.append("\(runbook.id)/\(step.id)")
                }
            }
            guard !chosen.isEmpty else { continue }
            // Steps waiting on a re-run step come back with it (they were skipped because of it),
            // then what every chosen step needs, or the runner would have nothing to wait on.
            let ordered = Runner.dependencyOrder(runbook.steps)
            for step in ordered where step.needs.contains(where: chosen.contains) { chosen.insert(step.id) }
            for step in ordered.reversed() where chosen.contains(step.id) { chosen.formUnion(step.needs) }
            var cut = runbook
            cut.steps = runbook.steps.filter { chosen.contains($0.id) }
            runbooks.append(cut)
        }
        self.runbooks = runbooks
        self.failing = failing
    }

    /// Whether the watch is done: nothing left that did not pass.
    var isSettled: Bool { failing.isEmpty }

    /// How many steps a round re-runs, shared steps once.
    var stepCount: Int { Set(runbooks.flatMap(\.steps).map(\.fingerprint)).count }

    /// Whether `status` keeps the watch going: a failure, an unknown, and a warning unless only
    /// failures make a non-zero exit.
    static func notPassing(_ status: Status, failOn: FailOn) -> Bool {
        switch status {
        case .fail, .unknown: true
        case .warn: failOn == .warn
        case .pass, .skip: false
        }
    }
}
