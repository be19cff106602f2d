import DoctorKit
import Foundation

/// The payment API as Render knows it: the web service, its workspace, its serving instance and
/// its deploy history, made once from the sandbox's clock reading so the logs and metrics agree
/// with it (the boot lines follow the live deploy; a suspended service stops printing).
struct SandboxRenderService: Sendable {
    /// One deploy in Render's `Deploy` shape; times in milliseconds since the epoch.
    struct Deploy: Sendable {
        var id: String
        /// `live`, `deactivated`, `build_failed`, `update_failed`, … (api-facts §3).
        var status: String
        var trigger: String
        var commitID: String
        var commitMessage: String
        var commitCreated: Int
        var created: Int
        var started: Int
        var finished: Int

        var json: JSONValue {
            .object([
                ("id", .string(id)),
                ("commit", .object([
                    ("id", .string(commitID)), ("message", .string(commitMessage)),
                    ("createdAt", .string(StandInTime.format(milliseconds: commitCreated))),
                ])),
                ("status", .string(status)), ("trigger", .string(trigger)),
                ("createdAt", .string(StandInTime.format(milliseconds: created))),
                ("startedAt", .string(StandInTime.format(milliseconds: started))),
                ("finishedAt", .string(StandInTime.format(milliseconds: finished))),
                ("updatedAt", .string(StandInTime.format(milliseconds: finished))),
            ])
        }
    }

    static let name = "payments-api"
    static let repo = "https://github.com/example/payments-api"
    /// Deploys of history in the healthy sandbox: more than one page of Render's default 20.
    static let historyCount = 25

    /// `srv-…`, the sandbox's `RENDER_SERVICE_ID`.
    let id: String
    /// The workspace, `tea-…`, that `/logs` wants as `ownerId`.
    let ownerID: String
    /// The instance serving now, `srv-…-xxxxx`.
    let instance: String
    /// The instance a failed update started and Render stopped (`deploy-failed`).
    let failedInstance: String
    let created: Int
    /// Newest first, as Render lists them.
    let deploys: [Deploy]
    /// When the owner suspended the service (`suspended`), else nil.
    let suspendedAt: Int?

    /// The deploy that serves now.
    var liveDeploy: Deploy { deploys.first { $0.status == "live" }! }

    /// The service's data at `now` (Unix seconds) under `fault`.
    static func make(id: String, fault: SandboxFault?, now: Int) -> SandboxRenderService {
        let nowMS = now * 1000
        var deploys: [Deploy] = []
        // The live deploy finished two days ago; each older one a day or three before the next.
        var finished = nowMS - (2 * 86_400 + 17 * 60) * 1000
        for index in 0..<historyCount {
            deploys.append(deploy(status: index == 0 ? "live" : "deactivated", trigger: index % 6 == 5 ? "manual" : "new_commit",
                                  message: commitMessages[index % commitMessages.count], finished: finished, buildSeconds: 150 + index * 37 % 90,
                                  seed: "history \(index)"))
            finished -= (29 + index * 7 % 50) * 3_600_000 + index * 61_000
        }
        if fault == .deployFailed {
            // The two newest failed within the hour: a build that broke, then a build that crashed on start.
            deploys.insert(deploy(status: "build_failed", trigger: "new_commit",
                                  message: "Move webhook handler to routes/webhooks and upgrade Prisma",
                                  finished: nowMS - 48 * 60_000, buildSeconds: 95, seed: "build_failed"), at: 0)
            deploys.insert(deploy(status: "update_failed", trigger: "new_commit",
                                  message: "Fix import path of the webhook router",
                                  finished: nowMS - 14 * 60_000, buildSeconds: 360, seed: "update_failed"), at: 0)
        }
        return SandboxRenderService(
            id: id, ownerID: "tea-" + SandboxSecrets.stable(20, from: "0123456789abcdefghijklmnopqrstuvwxyz", seed: "owner"), instance: id + "-" + lowercaseID(5), failedInstance: id + "-" + lowercaseID(5),
            created: nowMS - 190 * 86_400_000, deploys: deploys, suspendedAt: fault == .suspended ? nowMS - 35 * 60_000 : nil)
    }

    /// Render's `Service` for a web service whose public URL is `url`.
    func json(url: String) -> JSONValue {
        let updated = suspendedAt ?? liveDeploy.finished
        return .object([
            ("id", .string(id)), ("autoDeploy", .string("yes")), ("branch", .string("main")),
            ("createdAt", .string(StandInTime.format(milliseconds: created))),
            ("dashboardUrl", .string("https://dashboard.render.com/web/" + id)),
            ("name", .string(Self.name)), ("notifyOnFail", .string("default")), ("ownerId", .string(ownerID)),
            ("repo", .string(Self.repo)), ("rootDir", .string("")),
            ("serviceDetails", .object([
                ("buildPlan", .string("starter")), ("env", .string("node")),
                ("envSpecificDetails", .object([
                    ("buildCommand", .string("npm ci && npx prisma generate")), ("startCommand", .string("npm start")),
                ])),
                ("healthCheckPath", .string("/api/health")), ("maxShutdownDelaySeconds", .int(30)),
                ("numInstances", .int(1)), ("openPorts", .array([.object([("port", .int(10000)), ("protocol", .string("TCP"))])])),
                // Standard (2 GB), so `memory-climb` can pass 500 MB without the instance being killed.
                ("plan", .string("standard")), ("pullRequestPreviewsEnabled", .string("no")),
                ("region", .string("oregon")), ("runtime", .string("node")), ("url", .string(url)),
            ])),
            ("slug", .string(Self.name)),
            ("suspended", .string(suspendedAt == nil ? "not_suspended" : "suspended")),
            ("suspenders", .array(suspendedAt == nil ? [] : [.string("user")])),
            ("type", .string("web_service")),
            ("updatedAt", .string(StandInTime.format(milliseconds: updated))),
        ])
    }

    /// A deploy whose id and commit come from `seed`: the same history in every sandbox.
    private static func deploy(status: String, trigger: String, message: String, finished: Int, buildSeconds: Int, seed: String) -> Deploy {
        let created = finished - buildSeconds * 1000
        return Deploy(
            id: "dep-" + SandboxSecrets.stable(20, from: "0123456789abcdefghijklmnopqrstuvwxyz", seed: "deploy " + seed),
            status: status, trigger: trigger, commitID: SandboxSecrets.stable(40, from: "0123456789abcdef", seed: "commit " + seed),
            commitMessage: message,
            commitCreated: created - 41_000, created: created, started: created + 3_000, finished: finished)
    }

    static func lowercaseID(_ count: Int) -> String { SandboxSecrets.random(count, from: "0123456789abcdefghijklmnopqrstuvwxyz") }

    private static let commitMessages = [
        "Log the payment intent id on every webhook", "Retry Prisma writes on P1017", "Bump stripe to 18.2",
        "Reconcile at 03:00 UTC instead of midnight", "Add /api/health uptime field", "Handle charge.dispute.created",
        "Rate-limit the public API to 100 requests per minute", "Record every webhook in AiEvent", "Upgrade Node to 22",
        "Sentry: drop breadcrumbs with card data", "Index Payment.createdAt", "Handle customer.subscription.deleted",
        "Use the raw body for webhook verification", "Prisma Accelerate for the connection pool", "Fix refund amount rounding",
    ]
}
