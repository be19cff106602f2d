extension Runner {
    /// The reports with every proof-aware step judged again in the light of what the run's live
    /// steps proved; each changed step is announced again through `progress`, so a journal and a
    /// terminal that saw the first verdict end with the same one as the report.
    static func corroborate(
        _ reports: [RunbookReport], _ runbooks: [Runbook], configuration: Configuration,
        known: [String: String] = [:], progress: @Sendable (StepEvent) -> Void
    ) -> [RunbookReport] {
        var proofs: [String: String] = [:]
        for step in reports.flatMap(\.steps) {
            for variable in step.proves ?? [] where proofs[variable] == nil { proofs[variable] = step.id }
        }
        // What this run proved first; what earlier runs of the session proved where it proved nothing.
        proofs.merge(known) { own, _ in own }
        guard !proofs.isEmpty else { return reports }
        var revised = reports
        for (index, runbook) in runbooks.enumerated() where index < revised.count {
            for (position, step) in runbook.steps.enumerated() where position < revised[index].steps.count {
                let result = revised[index].steps[position]
                guard let check = step.check as? any ProofAwareCheck, result.status == .warn || result.status == .fail
                else { continue }
                let before = CheckOutcome(result.status, result.summary, evidence: result.evidence, hint: result.hint)
                guard let after = check.revised(before, proofs: proofs, in: configuration) else { continue }
                var changed = result
                changed.status = after.status
                changed.summary = after.summary
                changed.evidence = after.evidence
                changed.hint = after.hint ?? (after.status == .pass || after.status == .skip ? nil : step.hint)
                revised[index].steps[position] = changed
                progress(.revised(runbook: runbook.id, result: changed, reason: .corroboration))
            }
            revised[index].status = Status.worst(revised[index].steps.map(\.status))
        }
        return revised
    }
}
