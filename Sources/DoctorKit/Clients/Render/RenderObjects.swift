import Foundation

/// A Render service (`GET /services/{id}`), the fields the doctor reads.
public struct RenderService: Sendable, Equatable {
    /// `srv-…`.
    public var id: String
    /// The service's name.
    public var name: String?
    /// `web_service`, `private_service`, …
    public var type: String?
    /// Whether Render has suspended it (`suspended: "suspended"`).
    public var suspended: Bool
    /// Who suspended it (`user`, `billing`, …).
    public var suspenders: [String]
    /// The workspace (`tea-…`): the logs API needs it.
    public var ownerID: String?
    /// `serviceDetails.url`: the public URL Render serves it at.
    public var url: String?
    /// `serviceDetails.healthCheckPath`; nil or empty when Render only checks the port.
    public var healthCheckPath: String?
    /// `serviceDetails.numInstances`.
    public var instances: Int?
    /// `serviceDetails.plan`, `.region`, `branch`, `dashboardUrl`.
    public var plan: String?, region: String?, branch: String?, dashboardURL: String?

    /// Reads a service object; nil when it has no id.
    public init?(_ json: JSONValue) {
        guard let id = json.string("id") else { return nil }
        self.id = id
        name = json.string("name")
        type = json.string("type")
        suspended = json.string("suspended") == "suspended"
        if case let .array(list)? = json["suspenders"] {
            suspenders = list.compactMap { if case let .string(s) = $0 { s } else { nil } }
        } else {
            suspenders = []
        }
        ownerID = json.string("ownerId")
        let details = json["serviceDetails"] ?? .object([])
        url = details.string("url")
        healthCheckPath = details.string("healthCheckPath")
        instances = details.int("numInstances")
        plan = details.string("plan")
        region = details.string("region")
        branch = json.string("branch")
        dashboardURL = json.string("dashboardUrl")
    }
}

/// A deploy (`GET /services/{id}/deploys`), the fields the doctor reads.
public struct RenderDeploy: Sendable, Equatable {
    /// `dep-…`.
    public var id: String
    /// `live`, `build_failed`, `update_failed`, `pre_deploy_failed`, `canceled`, `deactivated`, …
    public var status: String
    /// What started it (`new_commit`, `api`, `manual`, …).
    public var trigger: String?
    /// The commit id and the first line of its message.
    public var commitID: String?, commitMessage: String?
    /// When it was created, and when it finished (nil while it runs).
    public var createdAt: Date?, finishedAt: Date?

    /// The statuses of a deploy that did not go live because it failed.
    public static let failedStatuses: Set<String> = ["build_failed", "update_failed", "pre_deploy_failed"]
    /// The statuses of a deploy still on its way.
    public static let runningStatuses: Set<String> = [
        "created", "queued", "build_in_progress", "update_in_progress", "pre_deploy_in_progress",
    ]

    /// Whether the deploy failed (canceled is not counted: a person or a newer deploy may cancel one).
    public var failed: Bool { Self.failedStatuses.contains(status) }

    /// Reads a deploy object; nil without an id and status.
    public init?(_ json: JSONValue) {
        guard let id = json.string("id"), let status = json.string("status") else { return nil }
        self.id = id
        self.status = status
        trigger = json.string("trigger")
        commitID = json["commit"]?.string("id")
        commitMessage = json["commit"]?.string("message").map { String($0.split(separator: "\n").first ?? "") }
        createdAt = json.string("createdAt").flatMap(RenderTime.parse)
        finishedAt = json.string("finishedAt").flatMap(RenderTime.parse)
    }

    /// `dep-… (commit abc1234 "message")`.
    public var described: String {
        var text = id
        if let commit = commitID {
            text += " (commit \(commit.prefix(7))" + (commitMessage.map { " \"\($0.prefix(60))\"" } ?? "") + ")"
        }
        return text
    }
}

/// Render's times: RFC 3339, with or without fractional seconds.
public enum RenderTime {
    /// Parses an RFC 3339 time.
    public static func parse(_ text: String) -> Date? { UTCTime.parseISO8601(text) }

    /// Formats a time as Render's API takes it (`2026-12-02T14:00:00Z`).
    public static func format(_ date: Date) -> String { UTCTime.string(date, .iso8601) }

    /// `2026-12-02 14:00 UTC`, for summaries.
    public static func short(_ date: Date) -> String { UTCTime.string(date, .readableMinutes) }
}
