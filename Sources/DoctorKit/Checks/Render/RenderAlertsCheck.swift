import Foundation

/// The `render-alerts` check kind: the guide's Alerting Strategy item "Render Deployment Failures —
/// add email/Slack for failed deployments", read from Render's notification settings for the
/// workspace and the service's override (api-facts section 9).
///
/// A kind of its own rather than a part of `render-deploys`: the deploys can be fine while nobody
/// would hear of a failed one, and the two are separate problems with separate fixes, so the
/// diagnosis must be able to list one without the other.
public struct RenderAlertsCheck: CheckKind {
    public static let name = "render-alerts"

    /// Where the settings live, for the hints.
    static let settingsHint = "In the Render dashboard, set the workspace's Notifications (Workspace Settings → Notifications) to send failures by email or Slack, and leave the service's override (the service → Settings → Notifications) on Default or Failure. The guide: \"Render Deployment Failures — add email/Slack for failed deployments\"."

    public static func make(_ parameters: ParameterReader, step: StepSettings) throws(RunbookError) -> any Check {
        try step.rejectThresholds(kind: name)
        try parameters.finish(kind: name)
        return Probe(timeout: step.timeout ?? RenderCheckSupport.defaultTimeout)
    }

    /// A configured `render-alerts` step.
    struct Probe: Check {
        let timeout: Duration

        func run(in context: CheckContext) async -> CheckOutcome {
            await RenderCheckSupport.run(context) { (client, id, evidence) throws(RenderAPIError) in
                let path = RenderServiceCheck.Probe.pathComponent(id)
                let service = try await client.get("/services/\(path)", deadline: context.deadline)
                guard let owner = RenderService(service.json)?.ownerID else {
                    return CheckOutcome(.unknown, "the Render service has no ownerId, so its workspace's notification settings cannot be read", evidence: evidence)
                }
                let ownerPath = RenderServiceCheck.Probe.pathComponent(owner)
                let ownerSettings = try await client.get("/notification-settings/owners/\(ownerPath)", deadline: context.deadline)
                let override: JSONValue?
                do throws(RenderAPIError) {
                    override = try await client.get("/notification-settings/overrides/services/\(path)", deadline: context.deadline).json
                } catch {
                    // The service was just read, so a 404 here means it has no override: the workspace's setting applies.
                    guard error.status == 404, case .api = error else { throw error }
                    override = nil
                }
                guard let settings = RenderNotificationSettings(owner: ownerSettings.json, override: override) else {
                    return CheckOutcome(.unknown, "the Render API answered without the workspace's notificationsToSend", evidence: evidence)
                }
                return Self.judge(settings, evidence: evidence)
            }
        }

        /// Fails when Render would tell nobody of a failed deploy; passes when it would.
        static func judge(_ settings: RenderNotificationSettings, evidence start: Evidence) -> CheckOutcome {
            var evidence = start
            evidence["owner_id"] = .string(settings.ownerID)
            evidence["owner_notifications"] = .string(settings.ownerSends)
            evidence["service_override"] = .string(settings.serviceSends ?? "none set (default)")
            evidence["effective"] = .string(settings.effective)
            evidence["email_enabled"] = .bool(settings.emailEnabled)
            evidence["slack_enabled"] = .bool(settings.slackEnabled)
            // The guide's other two alerts live where no documented read API reaches (api-facts §9):
            // say so rather than let a pass suggest they were looked at.
            evidence["not_checked"] = .string("the guide's other alerts: Stripe webhook failures (a Slack notification set in Stripe Dashboard) and Sentry's high error rate (an alert on error rate > 5% in 5 minutes, in Sentry → Alerts) are not readable through the APIs the doctor uses: check them by hand")
            let setting = "notificationsToSend \(settings.effective), \(settings.effectiveSource)"
            switch settings.effective {
            case "none":
                return CheckOutcome(.fail, "Render sends no notifications for the service (\(setting)): nobody hears of a failed deploy",
                                    evidence: evidence, hint: RenderAlertsCheck.settingsHint)
            case "all", "failure":
                guard !settings.channels.isEmpty else {
                    return CheckOutcome(.fail, "neither email nor Slack is enabled for the workspace: Render's failed-deploy notifications (\(setting)) reach nobody",
                                        evidence: evidence, hint: RenderAlertsCheck.settingsHint)
                }
                return CheckOutcome(.pass, "failed deploys are notified by \(settings.channels.joined(separator: " and ")) (\(setting))", evidence: evidence)
            default:
                let shown = String(settings.effective.prefix(24))
                return CheckOutcome(.unknown, "Render's notification setting \"\(shown)\" is not one the doctor knows (all, failure, none), so whether failed deploys are notified is not judged",
                                    evidence: evidence, hint: "Check the service's Notifications in the Render dashboard.")
            }
        }
    }
}
