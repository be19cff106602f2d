/// Whom Render tells about a service's deploys: the workspace's settings and the service's
/// override (`GET /notification-settings/owners/{ownerId}` and
/// `/notification-settings/overrides/services/{serviceId}`, api-facts section 9).
public struct RenderNotificationSettings: Sendable, Equatable {
    /// The workspace, `tea-…`.
    public var ownerID: String
    /// Whether Render mails the workspace's members.
    public var emailEnabled: Bool
    /// Whether Render posts to the workspace's Slack.
    public var slackEnabled: Bool
    /// The workspace's `notificationsToSend`: `all`, `failure` or `none`.
    public var ownerSends: String
    /// The service's override: `all`, `default` (the workspace's), `failure` or `none`; nil when
    /// the service has no override, which is the same as `default`.
    public var serviceSends: String?

    /// Reads the workspace's object; nil without `notificationsToSend`. A missing channel flag is
    /// read as off: the doctor claims a channel only when Render says it is on.
    public init?(owner json: JSONValue, override: JSONValue?) {
        guard let sends = json.string("notificationsToSend") else { return nil }
        ownerID = json.string("ownerId") ?? ""
        emailEnabled = json.bool("emailEnabled") ?? false
        slackEnabled = json.bool("slackEnabled") ?? false
        ownerSends = sends
        serviceSends = override?.string("notificationsToSend")
    }

    /// What Render sends for the service: the override unless it defers to the workspace.
    public var effective: String {
        guard let serviceSends, serviceSends != "default" else { return ownerSends }
        return serviceSends
    }

    /// Where the effective setting comes from, for the summary.
    public var effectiveSource: String {
        guard let serviceSends, serviceSends != "default" else { return "the workspace's setting" }
        return "the service's override"
    }

    /// The channels Render would use, in words (`email and Slack`, `email`, …); empty when none.
    public var channels: [String] {
        (emailEnabled ? ["email"] : []) + (slackEnabled ? ["Slack"] : [])
    }

    /// Whether a failed deploy reaches someone: failures are sent and a channel is on.
    public var notifiesFailures: Bool {
        (effective == "all" || effective == "failure") && !channels.isEmpty
    }
}
