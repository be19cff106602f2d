import Foundation

/// The `render-deploys` check kind: the latest deploy and its status, commit and time, and the
/// failed deploys of a window — two or more is the guide's "Deployment fails repeatedly", a reason
/// to escalate to Render support. A deploy finished within `recent` is offered to the run's other
/// steps, so a failure is reported as "started after deploy dep-…".
public struct RenderDeploysCheck: CheckKind {
    public static let name = "render-deploys"

    public static func make(_ parameters: ParameterReader, step: StepSettings) throws(RunbookError) -> any Check {
        try step.rejectThresholds(kind: name)
        let window = try parameters.duration("window") ?? .seconds(24 * 3600)
        let recent = try parameters.duration("recent") ?? .seconds(3600)
        let repeated = try parameters.int("repeated", in: 1...20) ?? 2
        if window <= .zero { throw RunbookError(parameters.value("window")!.location, "`window` must be more than 0") }
        if recent <= .zero { throw RunbookError(parameters.value("recent")!.location, "`recent` must be more than 0") }
        try parameters.finish(kind: name)
        return Probe(window: window, recent: recent, repeated: repeated, timeout: step.timeout ?? RenderCheckSupport.defaultTimeout)
    }

    /// A configured `render-deploys` step.
    struct Probe: Check {
        let window: Duration
        let recent: Duration
        let repeated: Int
        let timeout: Duration

        func run(in context: CheckContext) async -> CheckOutcome {
            await RenderCheckSupport.run(context) { (client, id, evidence) throws(RenderAPIError) in
                try await read(client, id, context: context, evidence: evidence)
            }
        }

        private func read(_ client: RenderClient, _ id: String, context: CheckContext, evidence start: Evidence) async throws(RenderAPIError) -> CheckOutcome {
            var evidence = start
            let now = Date()
            let since = now.addingTimeInterval(-window.seconds)
            let listed = try await client.list(
                "/services/\(RenderServiceCheck.Probe.pathComponent(id))/deploys", itemKey: "deploy", pageSize: 20,
                maxItems: 100, deadline: context.deadline,
                while: { item in (item.string("createdAt").flatMap(RenderTime.parse) ?? now) >= since })
            let deploys = listed.items.compactMap(RenderDeploy.init)
            evidence["deploys_read"] = .int(deploys.count)
            evidence["window"] = .string(window.window)
            guard let latest = deploys.first else {
                return CheckOutcome(.warn, "the service has no deploys", evidence: evidence,
                                    hint: "Trigger a deploy in Render; a service that never deployed serves nothing.")
            }
            evidence["latest"] = Self.json(latest)
            let live = deploys.first { $0.status == "live" }
            if let live { evidence["live_deploy"] = .string(live.id) }
            let failed = deploys.filter { $0.failed && ($0.finishedAt ?? $0.createdAt ?? now) >= since }
            if !failed.isEmpty { evidence["failed_in_window"] = .array(failed.map(Self.json)) }
            evidence["fails_repeatedly"] = .bool(failed.count >= repeated)
            if let finished = latest.finishedAt ?? latest.createdAt, now.timeIntervalSince(finished) <= recent.seconds {
                evidence[Runner.recentDeployEvidence] = .string("\(latest.described) at \(RenderTime.short(finished))")
            }

            let when = (latest.finishedAt ?? latest.createdAt).map { " at \(RenderTime.short($0))" } ?? ""
            var summary = "latest deploy \(latest.described) is \(latest.status)\(when)"
            if failed.count >= repeated {
                let ids = failed.prefix(5).map { "\($0.id) \($0.status)" }.joined(separator: ", ")
                return CheckOutcome(
                    .fail, "\(failed.count) deploys failed in the last \(window.window) (\(ids)): deployment fails repeatedly; \(summary)",
                    evidence: evidence,
                    hint: "Read the failed deploys' build and pre-deploy logs in Render (Events → the deploy). The guide: escalate to Render support when deployment fails repeatedly; `doctor escalate render` writes the summary with these deploy ids.")
            }
            if latest.failed {
                let still = live.map { "; the service still runs \($0.described)" } ?? ""
                return CheckOutcome(.fail, summary + still, evidence: evidence,
                                    hint: "Open the deploy's logs in Render (Events → \(latest.id)): a build_failed is the build command, an update_failed the new instance failing its health check or crashing on start, a pre_deploy_failed the pre-deploy command (migrations).")
            }
            if latest.status == "canceled" {
                return CheckOutcome(.warn, summary, evidence: evidence,
                                    hint: "Render cancels a new deploy that fails its health checks for 15 minutes (or a newer deploy replaced it): read its logs in Render (Events → \(latest.id)).")
            }
            if RenderDeploy.runningStatuses.contains(latest.status) {
                summary += live.map { "; \($0.id) serves until it is live" } ?? ""
            }
            if !failed.isEmpty { summary += "; \(failed.count) failed deploy in the last \(window.window)" }
            return CheckOutcome(.pass, summary, evidence: evidence)
        }

        static func json(_ deploy: RenderDeploy) -> JSONValue {
            var members: [(String, JSONValue)] = [("id", .string(deploy.id)), ("status", .string(deploy.status))]
            if let trigger = deploy.trigger { members.append(("trigger", .string(trigger))) }
            if let commit = deploy.commitID { members.append(("commit", .string(commit))) }
            if let message = deploy.commitMessage { members.append(("message", .string(message))) }
            if let created = deploy.createdAt { members.append(("created_at", .string(RenderTime.format(created)))) }
            if let finished = deploy.finishedAt { members.append(("finished_at", .string(RenderTime.format(finished)))) }
            return .object(members)
        }
    }
}
