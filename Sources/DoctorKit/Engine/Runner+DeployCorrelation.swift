extension Runner {
    /// The evidence key by which a step tells the run about a deploy made shortly before it.
    ///
    /// The engine asks the results, not a particular check kind: any step that knows of a recent
    /// deploy says so under this key, and every failure of the run is placed after it.
    public static let recentDeployEvidence = "recent_deploy"

    /// The reports with every failed step saying it started after the recent deploy a step of the
    /// run found (its `recent_deploy` evidence), when there is one; each change is announced as a
    /// revision.
    static func correlateDeploy(_ reports: [RunbookReport], progress: @Sendable (StepEvent) -> Void) -> [RunbookReport] {
        let source = reports.flatMap(\.steps).lazy.compactMap { step -> (kind: String, deploy: String)? in
            guard case let .string(text)? = step.evidence[recentDeployEvidence] else { return nil }
            return (step.kind, text)
        }.first
        guard let source else { return reports }
        var revised = reports
        for index in revised.indices {
            for position in revised[index].steps.indices {
                var result = revised[index].steps[position]
                guard result.status == .fail, result.kind != source.kind, result.evidence["after_deploy"] == nil else { continue }
                result.summary += " — started after deploy \(source.deploy)"
                result.evidence["after_deploy"] = .string(source.deploy)
                revised[index].steps[position] = result
                progress(.revised(runbook: revised[index].id, result: result, reason: .afterDeploy))
            }
        }
        return revised
    }
}
