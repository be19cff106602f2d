import Foundation

/// A run's results read as a diagnosis: each distinct problem once, the likely cause first, each
/// symptom tied to the finding that explains it, and what passed grouped by runbook.
///
/// Every renderer (text, JSON, the incident note, the escalation summaries) reads a run through
/// this, so they never disagree on how many problems there are or which comes first.
public struct Diagnosis: Sendable {
    /// What passed, skipped or was not checked in one runbook.
    public struct RunbookTally: Sendable {
        /// The runbook id.
        public var id: String
        /// Its title.
        public var title: String
        /// How many of its steps ended with each status.
        public var counts: [Status: Int]
    }

    /// Every finding, ranked: causes and unexplained problems first (worst, then deepest layer),
    /// then the symptoms they explain.
    public var findings: [Finding]
    /// One tally per runbook, in the run's order.
    public var runbooks: [RunbookTally]
    /// The distinct results that passed (a shared step counted once), in run order.
    public var passed: [(steps: [Finding.StepRef], result: StepResult)]
    /// The distinct steps skipped for want of an input or under `--read-only` (not because a step
    /// they need did not pass: those are listed with the finding that kept them from running).
    public var notRun: [(steps: [Finding.StepRef], result: StepResult)] = []
    /// The steps each finding (by id) or step not run (by `notRunKey`) kept from running.
    public var blocked: [String: [Finding.StepRef]] = [:]

    /// The key of a step not run in `blocked`.
    public static func notRunKey(_ steps: [Finding.StepRef]) -> String { "not-run:" + (steps.first?.path ?? "") }

    /// The findings nothing else explains and that were seen (failed or warned): the problems to act on.
    public var problems: [Finding] { findings.filter { $0.explainedBy == nil && $0.status != .unknown } }
    /// The findings nothing else explains that could not be checked.
    public var unchecked: [Finding] { findings.filter { $0.explainedBy == nil && $0.status == .unknown } }
    /// The findings another finding explains.
    public var symptoms: [Finding] { findings.filter { $0.explainedBy != nil } }
    /// The first problem (else the first thing not checked): the likely cause.
    public var cause: Finding? { findings.first }

    /// The findings `finding` explains.
    public func explained(by finding: Finding) -> [Finding] { findings.filter { $0.explainedBy == finding.id } }

    /// Reads `report` as a diagnosis.
    public init(_ report: RunReport) {
        var findings: [Finding] = []
        var byIdentity: [String: Int] = [:]
        var passed: [(steps: [Finding.StepRef], result: StepResult)] = []
        var passedByIdentity: [String: Int] = [:]
        var notRun: [(steps: [Finding.StepRef], result: StepResult)] = []
        var notRunByIdentity: [String: Int] = [:]
        var waiting: [(needed: Finding.StepRef, step: Finding.StepRef)] = []
        for (runbook, result) in report.allSteps {
            let reference = Finding.StepRef(runbook: runbook, step: result.id)
            let identity = Finding.identity(of: result)
            switch result.status {
            case .skip:
                if let needed = Self.neededStep(result.summary) {
                    waiting.append((Finding.StepRef(runbook: runbook, step: needed), reference))
                } else if let index = notRunByIdentity[identity] {
                    notRun[index].steps.append(reference)
                } else {
                    notRunByIdentity[identity] = notRun.count
                    notRun.append(([reference], result))
                }
            case .pass:
                if let index = passedByIdentity[identity] {
                    passed[index].steps.append(reference)
                } else {
                    passedByIdentity[identity] = passed.count
                    passed.append(([reference], result))
                }
            case .warn, .fail, .unknown:
                if let index = byIdentity[identity] {
                    findings[index].steps.append(reference)
                } else {
                    byIdentity[identity] = findings.count
                    findings.append(Finding(
                        id: result.id, status: result.status, title: result.title, summary: result.summary,
                        steps: [reference], hint: result.hint, kind: result.kind, evidence: result.evidence,
                        layer: .of(result)))
                }
            }
        }
        // Two different problems reported by steps of the same id (in different runbooks) keep
        // their ids apart.
        let repeated = Dictionary(grouping: findings.indices, by: { findings[$0].id }).filter { $0.value.count > 1 }
        for (_, indices) in repeated {
            for index in indices { findings[index].id = findings[index].steps[0].path }
        }
        self.findings = Self.rank(Self.blame(Self.explain(findings), on: report.changes))
        self.passed = passed
        self.notRun = notRun
        for (needed, step) in waiting {
            // A step skipped behind another skipped step is kept from running by the same finding,
            // or by the step that was not run for want of an input.
            var root = needed
            while let earlier = waiting.first(where: { $0.step == root }) { root = earlier.needed }
            let key: String
            if let finding = self.findings.first(where: { $0.steps.contains(root) }) {
                key = finding.id
            } else if let entry = notRun.first(where: { $0.steps.contains(root) }) {
                key = Self.notRunKey(entry.steps)
            } else {
                continue
            }
            if !(blocked[key] ?? []).contains(step) { blocked[key, default: []].append(step) }
        }
        runbooks = report.runbooks.map { runbook in
            var counts: [Status: Int] = [:]
            for step in runbook.steps { counts[step.status, default: 0] += 1 }
            return RunbookTally(id: runbook.id, title: runbook.title, counts: counts)
        }
    }

    /// Names, for each problem nothing in the run explains, the change since the last good run in
    /// its area (a new deploy for a failing service, a changed endpoint for failing deliveries): it
    /// coincides with the failure, since the same step passed in that run.
    static func blame(_ findings: [Finding], on changes: SessionDiff?) -> [Finding] {
        guard let changes, !changes.changes.isEmpty else { return findings }
        return findings.map { finding in
            var finding = finding
            if finding.explainedBy == nil, finding.status != .unknown, let change = changes.change(explaining: finding.kind) {
                finding.likelyChange = "\(change.summary) (changed since \(changes.from.id), \(changes.age))"
            }
            return finding
        }
    }

    /// The step a dependency skip names (`skipped: db-ping did not pass (fail)`), if it is one.
    static func neededStep(_ summary: String) -> String? {
        guard summary.hasPrefix("skipped: "), let end = summary.range(of: " did not pass") else { return nil }
        return String(summary[summary.index(summary.startIndex, offsetBy: 9)..<end.lowerBound])
    }

    /// Ties each symptom to the root cause that accounts for it: a failing deploy, service or
    /// database, followed down to the deepest one (a failed deploy explains a service that is down,
    /// and so what the service being down explains).
    static func explain(_ findings: [Finding]) -> [Finding] {
        var explained = findings
        let causes = findings.indices.filter { index in
            findings[index].status == .fail
                && (findings[index].layer < .configuration || Self.deliveryCauses.contains(findings[index].kind))
        }
            .sorted { findings[$0].layer < findings[$1].layer }
        var direct: [Int: Int] = [:]
        for index in findings.indices {
            if let cause = causes.first(where: { $0 != index && Self.accounts(for: findings[index], by: findings[$0]) }) {
                direct[index] = cause
            }
        }
        // A cause is always on a deeper layer than what it explains, so the walk ends.
        for index in direct.keys.sorted() {
            var root = direct[index]!
            while let deeper = direct[root] { root = deeper }
            explained[index].explainedBy = findings[root].id
            explained[root].explains.append(findings[index].id)
        }
        return explained
    }

    /// Whether `cause` (a failing deploy, service or database) accounts for `finding`.
    ///
    /// Timing is not causation: a failure that started after a deploy is not explained by it
    /// unless it is what a deploy that cannot go live produces (the service and its symptoms). A
    /// wrong key, secret or database stays a problem of its own.
    static func accounts(for finding: Finding, by cause: Finding) -> Bool {
        guard finding.layer > cause.layer else { return false }
        // A secret the service does not verify with, or an endpoint Stripe cannot deliver to, is
        // why the canary payment never reached the service: one problem, not two.
        if Self.deliveryCauses.contains(cause.kind) {
            return Self.isUndeliveredCanary(finding)
        }
        // A service clock beyond the signature tolerance rejects every delivery and the doctor's
        // signed probe, and its logs say so; it does not slow or stop the service.
        if cause.kind == "clock-skew" {
            return ["stripe-deliveries", "webhook-secret", "log-scan", "webhook-volume"].contains(finding.kind) || Self.isUndeliveredCanary(finding)
        }
        // A migration that never finished leaves its tables and columns missing (P2021/P2022).
        if cause.kind == "prisma-migrations" {
            return ["postgres-schema", "reconciliation"].contains(finding.kind)
        }
        switch cause.layer {
        case .deploy:
            return finding.layer == .service || finding.layer == .symptom
        case .service:
            // A service that is down explains what needs it: probes, latency, deliveries, logs.
            return finding.layer == .symptom || finding.kind == "webhook-secret"
        case .database:
            return Self.needsDatabase(finding)
        case .configuration, .symptom:
            return false
        }
    }

    /// A canary Stripe never delivered (or could not send for want of an endpoint), as opposed to
    /// one the service received and then lost or processed slowly: only the first is explained by
    /// what stops deliveries.
    static func isUndeliveredCanary(_ finding: Finding) -> Bool {
        guard finding.kind == PaymentCanaryCheck.name, case let .string(hop)? = finding.evidence["lost_at"] else { return false }
        return hop == "delivery" || hop == "endpoint"
    }

    /// Configuration findings that can explain something else: what stops Stripe's deliveries.
    static let deliveryCauses: Set<String> = ["webhook-secret", "stripe-endpoint"]

    /// Findings that follow from a database that does not answer.
    static func needsDatabase(_ finding: Finding) -> Bool {
        let kinds: Set<String> = ["postgres-pool", "postgres-schema", "reconciliation", "reconciliation-job",
                                  "duplicate-processing", "audit-retention", "refunds-disputes", "prisma-accelerate",
                                  "prisma-migrations", "webhook-e2e", PaymentCanaryCheck.name]
        if kinds.contains(finding.kind) { return true }
        return finding.kind == "log-scan" && finding.steps.contains { $0.step.contains("database") }
    }

    /// A failure first, then a warning (seen), then what could not be checked.
    static func urgency(_ status: Status) -> Int {
        switch status {
        case .fail: 0
        case .warn: 1
        case .unknown: 2
        case .pass, .skip: 3
        }
    }

    /// Causes and unexplained problems first (worst status, then deepest layer, then run order),
    /// then the symptoms, each after the others in the same order.
    static func rank(_ findings: [Finding]) -> [Finding] {
        findings.enumerated().sorted { lhs, rhs in
            let (left, right) = (lhs.element, rhs.element)
            if (left.explainedBy == nil) != (right.explainedBy == nil) { return left.explainedBy == nil }
            if Self.urgency(left.status) != Self.urgency(right.status) { return Self.urgency(left.status) < Self.urgency(right.status) }
            if left.layer != right.layer { return left.layer < right.layer }
            return lhs.offset < rhs.offset
        }.map(\.element)
    }
}
