import DoctorKit
import Foundation

extension SandboxRenderAPI {
    /// `GET /notification-settings/owners/{ownerId}`: the workspace's settings, `{ownerId,
    /// emailEnabled, slackEnabled, notificationsToSend, previewNotificationsEnabled}` (api-facts
    /// section 9). The workspace mails its members about failed deploys, as a new one does; no Slack.
    func ownerNotifications(_ owner: String, _ request: ServerRequest) -> ServerResponse {
        if let refusal = unknownParameter(request, allowed: []) { return refusal }
        guard owner == service.ownerID else { return notFound("owner not found") }
        return ok(.object([
            ("ownerId", .string(owner)), ("emailEnabled", .bool(true)), ("slackEnabled", .bool(false)),
            ("notificationsToSend", .string("failure")), ("previewNotificationsEnabled", .bool(false)),
        ]))
    }

    /// `GET /notification-settings/overrides/services/{serviceId}`: the service's override,
    /// `{serviceId, notificationsToSend, previewNotificationsEnabled}`; `default` defers to the
    /// workspace. Under `notifications-off` someone muted the service: `none`.
    func serviceNotificationOverride(_ id: String, _ request: ServerRequest) -> ServerResponse {
        if let refusal = unknownParameter(request, allowed: []) { return refusal }
        guard id == service.id else { return notFound("service not found") }
        return ok(.object([
            ("serviceId", .string(id)), ("notificationsToSend", .string(fault == .notificationsOff ? "none" : "default")),
            ("previewNotificationsEnabled", .bool(false)),
        ]))
    }
}
