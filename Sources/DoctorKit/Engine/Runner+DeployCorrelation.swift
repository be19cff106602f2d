extension Runner {
    /// The reports with every failed step saying it started after the recent deploy the run's
    /// `render-deploys` step found (its `recent_deploy` evidence), when there is one.
    static func correlateDeploy(_ reports: [RunbookReport], progress: @Sendable (StepEvent) -> Void) -> [RunbookReport] {
        let deploy = reports.flatMap(\.steps).lazy.compactMap { step -> String? in
            guard step.kind == RenderDeploysCheck.name, case let .string(text)? = step.evidence["recent_deploy"] else { return nil }
            return text
        }.first
        guard let deploy else { return reports }
        var revised = reports
        for index in revised.indices {
            for position in revised[index].steps.indices {
                var result = revised[index].steps[position]
                guard result.status == .fail, result.kind != RenderDeploysCheck.name,
                      result.evidence["after_deploy"] == nil else { continue }
                result.summary += " — started after deploy \(deploy)"
                result.evidence["after_deploy"] = .string(deploy)
                revised[index].steps[position] = result
                progress(.finished(runbook: revised[index].id, result: result))
            }
        }
        return revised
    }
}
