import DoctorKit
import Foundation
import Testing
@testable import DoctorSandbox

@Suite("Sandbox Render logs and faults")
struct SandboxRenderFaultTests {
    private let probeEvent = #"{"id":"evt_doctor_probe_1a2b3c","object":"event","type":"doctor.probe","livemode":false,"data":{"object":{}}}"#

    private func succeeded(_ intent: String) -> String {
        #"{"id":"evt_test_\#(intent)","object":"event","type":"payment_intent.succeeded","livemode":false,"data":{"object":{"id":"\#(intent)","object":"payment_intent"}}}"#
    }

    @Test("logs: a day of the guide's lines, newest first, required parameters checked")
    func logShape() throws {
        let probe = try RenderProbe()
        let owner = probe.ownerID
        let page = probe.get("/logs", [("ownerId", owner), ("resource", probe.serviceID)])
        #expect(page.status == 200)
        let json = try #require(page.json)
        let logs = json["logs"]?.arrayValue ?? []
        #expect(json["hasMore"] != nil && logs.count <= 20)
        let line = try #require(logs.first)
        #expect(line["id"]?.stringValue?.isEmpty == false && line["message"]?.stringValue?.isEmpty == false)
        #expect(renderTime(line["timestamp"]) != nil)
        let labels = line["labels"]?.arrayValue ?? []
        #expect(labels.contains { $0["name"] == .string("resource") && $0["value"] == .string(probe.serviceID) })
        #expect(labels.contains { $0["name"] == .string("type") })
        let times = logs.compactMap { renderTime($0["timestamp"]) }
        #expect(times == times.sorted(by: >), "backward is newest first")

        for query in [[("resource", probe.serviceID)], [("ownerId", owner)]] {
            let refused = probe.get("/logs", query)
            #expect(refused.status == 400)
            #expect(refused.json?["message"]?.stringValue?.hasSuffix("is required") == true)
            #expect(refused.json?["id"] != nil)
        }
        #expect(probe.get("/logs", [("ownerId", owner), ("resource", probe.serviceID), ("limit", "101")]).status == 400)
        #expect(probe.get("/logs", [("ownerId", owner), ("resource", probe.serviceID), ("direction", "sideways")]).status == 400)
        #expect(probe.get("/logs", [("ownerId", "tea-other"), ("resource", probe.serviceID)]).json?["logs"] == .array([]))

        let messages = probe.messages()
        #expect(messages.contains("⚠️ Sentry initialized"))
        #expect(messages.contains("💰 Processing successful payment: pi_sandbox_1"))
        #expect(messages.contains("✅ Payment record created: pi_sandbox_1"))
        #expect(messages.contains("🔄 Starting payment reconciliation..."))
        #expect(messages.contains("✅ Payment reconciliation completed:"))
        #expect(messages.contains { $0.hasPrefix("   Synced: ") && $0.hasSuffix(", Created: 0, Updated: 0") })
        #expect(messages.contains("GET /api/health 200"))
        #expect(!messages.contains { $0.contains("Unhandled event type") || $0.contains("Database connection error") })
        #expect(!messages.contains("✅ Payment record created: pi_sandbox_inflight"))
    }

    @Test("logs page by time window to the end: nothing lost, nothing repeated, either direction")
    func logPaging() throws {
        let probe = try RenderProbe()
        let everything = probe.allLogs(hoursBack: 72, limit: 100)
        let ids = everything.logs.compactMap { $0["id"]?.stringValue }
        #expect(everything.logs.count > 250 && everything.pages >= 3)
        #expect(Set(ids).count == ids.count)
        let small = probe.allLogs(hoursBack: 72, limit: 7)
        #expect(small.logs.compactMap { $0["id"]?.stringValue } == ids)
        let forward = probe.allLogs(hoursBack: 72, limit: 50, direction: "forward")
        #expect(forward.logs.compactMap { $0["id"]?.stringValue } == ids.reversed())
        let times = everything.logs.compactMap { renderTime($0["timestamp"]) }
        #expect(times == times.sorted(by: >) && Set(times).count == times.count)

        let requests = probe.allLogs(hoursBack: 72, limit: 100, [("type", "request")]).logs
        #expect(!requests.isEmpty && requests.allSatisfy { $0["message"]?.stringValue?.hasPrefix("GET ") == true || $0["message"]?.stringValue?.hasPrefix("POST ") == true })
        let reconciliation = probe.messages([("text", "reconciliation")])
        #expect(!reconciliation.isEmpty && reconciliation.allSatisfy { $0.lowercased().contains("reconciliation") })
    }

    @Test("the doctor's signed probe shows as 'Unhandled event type: doctor.probe' with its id; failures are logged")
    func liveLines() throws {
        let probe = try RenderProbe()
        #expect(probe.deliver(probeEvent).status == 200)
        #expect(probe.deliver(probeEvent, secret: "whsec_wrong").status == 400)
        #expect(probe.deliver(probeEvent, header: "").status == 400)
        #expect(probe.deliver(succeeded("pi_live_1")).status == 200)
        let recent = probe.messages(hoursBack: 0.1)
        #expect(recent.contains("Unhandled event type: doctor.probe (evt_doctor_probe_1a2b3c)"))
        #expect(recent.contains("❌ Webhook signature verification failed: No signatures found matching the expected signature for payload"))
        #expect(recent.contains("❌ Missing Stripe signature"))
        #expect(recent.contains("💰 Processing successful payment: pi_live_1") && recent.contains("✅ Payment record created: pi_live_1"))
        #expect(recent.filter { $0 == "POST /api/webhooks/stripe 400" }.count == 2)
        #expect(recent.contains("POST /api/webhooks/stripe 200"))
        let found = probe.messages(hoursBack: 0.1, [("text", "doctor.probe")])
        #expect(found == ["Unhandled event type: doctor.probe (evt_doctor_probe_1a2b3c)"])
    }

    @Test("no secret of the sandbox appears in any log line, under any fault")
    func noSecretsInLogs() throws {
        for fault in [nil] + SandboxFault.all {
            let probe = try RenderProbe(fault)
            let environment = probe.environment
            probe.deliver(probeEvent)
            probe.deliver(succeeded("pi_live_2"))
            probe.deliver(probeEvent, secret: "whsec_wrong")
            // Secrets in a request's headers and query must not reach the request line.
            let stripeKey = environment["STRIPE_SECRET_KEY"]!
            _ = probe.sandbox.handle(ServerRequest(method: "GET", path: "/api/health", query: ["key": stripeKey],
                                                   headers: [("Authorization", "Bearer \(stripeKey)")]))
            let secrets = [
                stripeKey, environment["STRIPE_WEBHOOK_SECRET"]!, environment["RENDER_API_KEY"]!,
                probe.sandbox.secrets.databasePassword, probe.sandbox.secrets.sentryKey, environment["DATABASE_URL"]!,
            ]
            let deployed = probe.get("/services/\(probe.serviceID)/env-vars").items.compactMap { $0["envVar"]?["value"]?.stringValue }
            let lines = probe.allLogs(hoursBack: 72).logs.map(\.compactJSON)
            #expect(lines.count > 100, "\(fault?.name ?? "healthy")")
            for secret in secrets + deployed.filter({ $0.count > 12 }) {
                #expect(!lines.contains { $0.contains(secret) }, "\(fault?.name ?? "healthy") leaks a secret into the logs")
            }
        }
    }

    @Test("deploy-failed: the two newest deploys failed within the hour, an older one is live")
    func deployFailed() throws {
        let probe = try RenderProbe(.deployFailed)
        let deploys = probe.get("/services/\(probe.serviceID)/deploys").items.compactMap { $0["deploy"] }
        #expect(deploys.prefix(3).map { $0["status"] } == [.string("update_failed"), .string("build_failed"), .string("live")])
        for failed in deploys.prefix(2) {
            let finished = try #require(renderTime(failed["finishedAt"]))
            #expect(nowMilliseconds() - finished < 3_600_000)
            #expect(failed["commit"]?["id"]?.stringValue?.count == 40 && failed["commit"]?["message"]?.stringValue?.isEmpty == false)
        }
        let live = try #require(renderTime(deploys[2]["finishedAt"]))
        #expect(nowMilliseconds() - live > 86_400_000)
        let messages = probe.messages(hoursBack: 2)
        #expect(messages.contains("==> Build failed 😞") && messages.contains("==> Exited with status 1"))
    }

    @Test("env-missing: no STRIPE_WEBHOOK_SECRET on Render, and every signed delivery gets Node's 400")
    func envMissing() throws {
        let probe = try RenderProbe(.envMissing)
        let keys = probe.get("/services/\(probe.serviceID)/env-vars").items.compactMap { $0["envVar"]?["key"]?.stringValue }
        #expect(!keys.contains("STRIPE_WEBHOOK_SECRET") && keys.contains("STRIPE_SECRET_KEY"))
        let answer = probe.deliver(probeEvent)
        #expect(answer.status == 400)
        #expect(answer.body == "Webhook Error: " + SandboxPaymentAPI.undefinedKeyMessage)
        #expect(probe.deliver(probeEvent, secret: "whsec_anything").status == 400)
        #expect(probe.deliver(probeEvent, header: "").body == "Webhook Error: No stripe-signature header value was provided.")
        #expect(probe.messages(hoursBack: 0.1).contains("❌ Webhook signature verification failed: " + SandboxPaymentAPI.undefinedKeyMessage))
    }

    @Test("env-secret-differs: Render holds another secret and the service verifies with it; wrong-secret: Render holds ours")
    func secretDiffers() throws {
        let probe = try RenderProbe(.envSecretDiffers)
        let deployed = probe.get("/services/\(probe.serviceID)/env-vars").items
            .first { $0["envVar"]?["key"] == .string("STRIPE_WEBHOOK_SECRET") }?["envVar"]?["value"]?.stringValue
        let secret = try #require(deployed)
        #expect(secret.hasPrefix("whsec_") && secret != probe.environment["STRIPE_WEBHOOK_SECRET"])
        #expect(probe.deliver(probeEvent).body == "Webhook Error: No signatures found matching the expected signature for payload")
        #expect(probe.deliver(probeEvent, secret: secret).status == 200)

        let stale = try RenderProbe(.wrongSecret)
        let shown = stale.get("/services/\(stale.serviceID)/env-vars").items
            .first { $0["envVar"]?["key"] == .string("STRIPE_WEBHOOK_SECRET") }?["envVar"]?["value"]?.stringValue
        #expect(shown == stale.environment["STRIPE_WEBHOOK_SECRET"])
        #expect(stale.deliver(probeEvent).status == 400)
    }

    @Test("memory-climb: memory rises from about 180 MB to about 540 MB over the hour")
    func memoryClimb() throws {
        let probe = try RenderProbe(.memoryClimb)
        let values = probe.get("/metrics/memory", [("resource", probe.serviceID)]).items.first?["values"]?.arrayValue
            .compactMap { $0["value"]?.numberValue }.map { $0 / 1_000_000 } ?? []
        try #require(values.count >= 60)
        #expect((170...195).contains(values.first!) && (525...560).contains(values.last!))
        let head = values.prefix(10).reduce(0, +) / 10, tail = values.suffix(10).reduce(0, +) / 10
        #expect(tail - head > 250)
        #expect(zip(values.dropFirst(5), values).allSatisfy { $0 > $1 }, "steady, the noise smaller than the climb")
    }

    @Test("suspended: Render says suspended by the user, the API answers 503, the logs and metrics stop")
    func suspended() throws {
        let probe = try RenderProbe(.suspended)
        let service = try #require(probe.get("/services/\(probe.serviceID)").json)
        #expect(service["suspended"] == .string("suspended") && service["suspenders"] == .array([.string("user")]))
        let health = probe.sandbox.handle(ServerRequest(method: "GET", path: "/api/health"))
        #expect(health.status == 503)
        #expect(health.headers.contains { $0 == ("x-render-routing", "suspend-by-user") })
        #expect(probe.deliver(probeEvent).status == 503)
        #expect(probe.messages(hoursBack: 0.5).isEmpty)
        #expect(!probe.messages(hoursBack: 2).isEmpty)
        let points = probe.get("/metrics/memory", [("resource", probe.serviceID)]).items.first?["values"]?.arrayValue ?? []
        let last = try #require(renderTime(points.last?["timestamp"]))
        #expect(nowMilliseconds() - last > 30 * 60_000)
    }

    @Test("unhandled-events: recent 'Unhandled event type: customer.subscription.updated' lines, and live ones")
    func unhandledEvents() throws {
        let probe = try RenderProbe(.unhandledEvents)
        let lines = probe.messages(hoursBack: 6, [("text", "Unhandled event type")])
        #expect(lines.count >= 10 && lines.allSatisfy { $0.hasPrefix("Unhandled event type: customer.subscription.updated (evt_") })
        let update = #"{"id":"evt_sub_1","object":"event","type":"customer.subscription.updated","data":{"object":{"id":"sub_1"}}}"#
        #expect(probe.deliver(update).status == 200)
        #expect(probe.messages(hoursBack: 0.1).contains("Unhandled event type: customer.subscription.updated (evt_sub_1)"))

        let healthy = try RenderProbe()
        healthy.deliver(update)
        #expect(healthy.messages([("text", "Unhandled event type")]).isEmpty)
    }

    @Test("db-errors-in-logs: P1001 for the newest payments, whose record lines stop while processing goes on")
    func databaseErrors() throws {
        let probe = try RenderProbe(.dbErrorsInLogs)
        let messages = probe.messages(hoursBack: 30)
        let errors = messages.filter { $0.hasPrefix("❌ Database connection error: Can't reach database server at `127.0.0.1`:`") }
        // The three newest recorded payments, and the one still in flight, all hit the outage.
        #expect(errors.count == 4)
        for index in 1...3 {
            #expect(messages.contains("💰 Processing successful payment: pi_sandbox_\(index)"))
            #expect(!messages.contains("✅ Payment record created: pi_sandbox_\(index)"))
        }
        #expect(messages.contains("✅ Payment record created: pi_sandbox_4"))
        let rowless = probe.sandbox.payments.payments.filter { $0.status == "succeeded" && $0.rowLagMilliseconds == nil }.map(\.id)
        #expect(Set(rowless) == ["pi_sandbox_1", "pi_sandbox_2", "pi_sandbox_3", "pi_sandbox_inflight"])
        #expect(probe.deliver(succeeded("pi_live_3")).status == 200, "the handler swallows the error, so Stripe sees success")
        let live = probe.messages(hoursBack: 0.01)
        #expect(live.contains("💰 Processing successful payment: pi_live_3") && !live.contains("✅ Payment record created: pi_live_3"))
        #expect(live.contains { $0.hasPrefix("❌ Database connection error: ") })
    }

    @Test("every fault names the runbook that finds it")
    func runbooks() throws {
        let shipped = try FileManager.default.contentsOfDirectory(atPath: URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().appendingPathComponent("../../runbooks").standardized.path)
            .filter { $0.hasSuffix(".yml") }.map { String($0.dropLast(4)) }
        for fault in SandboxFault.all {
            // `deploy` is the runbook for "the API crashes on startup / fails after deploy", arriving with the Render steps.
            #expect(shipped.contains(fault.runbook) || fault.runbook == "deploy", "\(fault.name): \(fault.runbook)")
        }
    }

    @Test("Render times: RFC 3339 with milliseconds out; RFC 3339 or epoch seconds in")
    func times() {
        let time = 1_795_000_000_123
        #expect(StandInTime.format(milliseconds: time) == "2026-11-18T11:06:40.123Z")
        #expect(StandInTime.parse(StandInTime.format(milliseconds: time)) == time)
        #expect(StandInTime.parse("2026-11-18T11:06:40Z") == 1_795_000_000_000)
        #expect(StandInTime.parse("2026-11-18T13:06:40.5+02:00") == 1_795_000_000_500)
        #expect(StandInTime.parse("2026-11-18T11:06:40.123456789Z") == time)
        #expect(StandInTime.parse("1795000000") == 1_795_000_000_000)
        #expect(StandInTime.parse("yesterday") == nil && StandInTime.parse("2026-13-01T00:00:00Z") == nil)
    }
}
