import Foundation
import Testing

@testable import DoctorKit

/// The workspace's settings as Render answers them.
private func owner(_ sends: String, email: Bool = true, slack: Bool = false) -> JSONValue {
    .object([("ownerId", .string("tea-abc")), ("emailEnabled", .bool(email)), ("slackEnabled", .bool(slack)),
             ("notificationsToSend", .string(sends)), ("previewNotificationsEnabled", .bool(false))])
}

/// The service's override as Render answers it.
private func override(_ sends: String) -> JSONValue {
    .object([("serviceId", .string("srv-abc")), ("notificationsToSend", .string(sends)), ("previewNotificationsEnabled", .bool(false))])
}

private func judge(_ owner: JSONValue, _ override: JSONValue?) throws -> CheckOutcome {
    let settings = try #require(RenderNotificationSettings(owner: owner, override: override))
    return RenderAlertsCheck.Probe.judge(settings, evidence: Evidence())
}

/// Issue 19, item 6: the guide's "Render Deployment Failures" alert, from Render's notification settings.
@Suite("Render alerts")
struct RenderAlertsTests {
    @Test("the override decides unless it is default (or absent); the workspace's setting then applies", arguments: [
        ("failure", "default", "failure"), ("failure", nil, "failure"), ("none", "failure", "failure"),
        ("all", "none", "none"), ("none", "default", "none"), ("failure", "all", "all"),
    ] as [(String, String?, String)])
    func effective(_ ownerSends: String, _ serviceSends: String?, _ expected: String) throws {
        let settings = try #require(RenderNotificationSettings(owner: owner(ownerSends), override: serviceSends.map(override)))
        #expect(settings.effective == expected)
    }

    @Test("failures notified by a channel pass, naming the channel and where the setting comes from")
    func passes() throws {
        let email = try judge(owner("failure"), override("default"))
        #expect(email.status == .pass)
        #expect(email.summary == "failed deploys are notified by email (notificationsToSend failure, the workspace's setting)")
        let both = try judge(owner("none", email: true, slack: true), override("all"))
        #expect(both.status == .pass && both.summary.contains("by email and Slack (notificationsToSend all, the service's override)"), "\(both.summary)")
    }

    @Test("an effective none fails, whether the workspace's or the service's override")
    func none() throws {
        for outcome in [try judge(owner("none"), override("default")), try judge(owner("failure"), override("none")), try judge(owner("none"), nil)] {
            #expect(outcome.status == .fail)
            #expect(outcome.summary.contains("nobody hears of a failed deploy"), "\(outcome.summary)")
            #expect(outcome.hint?.contains("Render Deployment Failures") == true)
        }
    }

    @Test("neither email nor Slack fails, even when failures are to be sent")
    func noChannel() throws {
        let outcome = try judge(owner("failure", email: false, slack: false), override("default"))
        #expect(outcome.status == .fail)
        #expect(outcome.summary.hasPrefix("neither email nor Slack is enabled"), "\(outcome.summary)")
        #expect(outcome.evidence["email_enabled"] == .bool(false) && outcome.evidence["slack_enabled"] == .bool(false))
    }

    @Test("a setting the doctor does not know is unknown, named; a workspace answer without notificationsToSend is not read")
    func odd() throws {
        let outcome = try judge(owner("failure"), override("digest"))
        #expect(outcome.status == .unknown && outcome.summary.contains("\"digest\""), "\(outcome.summary)")
        #expect(RenderNotificationSettings(owner: .object([("ownerId", .string("tea-abc"))]), override: nil) == nil)
    }

    @Test("render-alerts is a registered kind")
    func registered() {
        #expect(CheckRegistry.standard.kind(named: "render-alerts") != nil)
    }
}
