import Foundation
import Testing
@testable import DoctorKit
@testable import DoctorSandbox

/// Issue 9 through the binary: each Render fault named by its step with a hint, a healthy sandbox
/// with no warning from the Render and log steps, and no Render key or deployed secret anywhere.
@Suite("Render and logs end to end", .serialized)
struct RenderEndToEndTests {
    static let renderKinds: Set<String> = ["render-service", "render-deploys", "render-env", "render-metrics", "render-alerts", "log-scan"]

    func steps(_ output: DoctorProcess.Output) throws -> [[String: Any]] {
        let json = try #require(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any],
                                "\(output.stdout)\n\(output.stderr)")
        return (json["runbooks"] as? [[String: Any]] ?? []).flatMap { $0["steps"] as? [[String: Any]] ?? [] }
    }

    @Test("the healthy sandbox: every Render and log step runs and passes")
    func healthy() throws {
        let result = try DoctorProcess.run(["demo", "--format", "json"])
        #expect(result.exitCode == 0, "\(result.stdout)")
        let render = try steps(result).filter { Self.renderKinds.contains($0["kind"] as? String ?? "") }
        #expect(Set(render.compactMap { $0["kind"] as? String }) == Self.renderKinds)
        for step in render {
            #expect(step["status"] as? String == "pass", "\(step["id"] ?? ""): \(step["summary"] ?? "")")
        }
    }

    @Test("each Render fault is named by its step, with a hint", arguments: [
        ("deploy-failed", "deploy", "render-deploys", "fail", "deployment fails repeatedly"),
        ("env-missing", "webhooks-not-arriving", "render-env", "fail", "STRIPE_WEBHOOK_SECRET is not set on Render"),
        ("env-secret-differs", "webhooks-not-arriving", "render-env", "fail", "the deployed STRIPE_WEBHOOK_SECRET differs from the local one"),
        ("memory-climb", "high-latency", "render-metrics", "fail", "possible leak in the webhook handlers"),
        ("suspended", "deploy", "render-service", "fail", "is suspended by user"),
        ("notifications-off", "deploy", "render-alerts", "fail", "nobody hears of a failed deploy"),
        ("unhandled-events", "webhooks-not-arriving", "log-scan", "warn", "\"Unhandled event type\""),
        ("db-errors-in-logs", "missing-db-records", "log-scan", "fail", "\"Database connection error\""),
    ])
    func fault(_ name: String, _ runbook: String, _ kind: String, _ status: String, _ words: String) throws {
        let result = try DoctorProcess.run(["demo", runbook, "--fault", name, "--format", "json"])
        #expect(result.exitCode == (status == "fail" ? 2 : 1), "\(result.stdout)")
        let all = try steps(result).filter { $0["kind"] as? String == kind }
        let said = all.map { "\($0["status"] ?? ""): \($0["summary"] ?? "")" }
        let step = try #require(all.first { $0["status"] as? String == status && ($0["summary"] as? String ?? "").contains(words) },
                                "\(kind) did not say \(words): \(said)")
        #expect(!(step["hint"] as? String ?? "").isEmpty)
    }

    @Test("deploy-failed: one problem, printed once with the runbooks that share it; `escalate render` lists it once and quotes no success line")
    func deployFailedIsOneProblem() throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("doctor-deploy-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        let result = try DoctorProcess.run(["demo", "--fault", "deploy-failed"], environment: ["XDG_STATE_HOME": state])
        #expect(result.exitCode == 2, "\(result.stdout)")
        #expect(result.stdout.contains("\n1 problem: 2 deploys failed in the last 24h"), "\(result.stdout)")
        #expect(result.stdout.contains("(render-deploys in deploy, intermittent-failures, missing-db-records, webhooks-not-arriving)"))
        #expect(result.stdout.components(separatedBy: "[✗] The latest deploy is live").count == 2, "printed more than once")
        #expect(result.stdout.contains("Problems found: 1 problem, "))
        let summary = try DoctorProcess.run(["escalate", "render"], environment: ["XDG_STATE_HOME": state])
        #expect(summary.exitCode == 0, "\(summary.stderr)")
        let findings = try #require(summary.stdout.components(separatedBy: "Findings:\n").last?.components(separatedBy: "\n\n").first)
        #expect(findings.split(separator: "\n").count == 1, "\(findings)")
        #expect(findings.contains("[render-deploys in deploy, intermittent-failures, missing-db-records, webhooks-not-arriving]"))
        let excerpts = try #require(summary.stdout.split(separator: "\n").first { $0.hasPrefix("Error-log excerpts:") })
        #expect(!excerpts.contains("Payment record created"), "\(excerpts)")
        let ruledOut = try #require(summary.stdout.components(separatedBy: "Already ruled out:\n").last?.components(separatedBy: "\n\n").first)
        #expect(ruledOut.split(separator: "\n").count <= 8, "\(ruledOut)")
    }

    @Test("a failing step after a recent deploy says it started after that deploy")
    func deployCorrelation() throws {
        // The failed deploys are minutes old; the live probe fails under env-missing in the same run.
        let result = try DoctorProcess.run(["demo", "deploy", "--fault", "deploy-failed", "--format", "json"])
        let deploys = try #require(try steps(result).first { $0["kind"] as? String == "render-deploys" })
        let evidence = try #require(deploys["evidence"] as? [String: Any])
        #expect((evidence["recent_deploy"] as? String ?? "").hasPrefix("dep-"))
        // render-deploys fails itself but is not told it "started after" its own deploy.
        #expect(!(deploys["summary"] as? String ?? "").contains("started after deploy"))
        #expect((deploys["hint"] as? String ?? "").contains("escalate render"))
    }

    @Test("Stripe's own underscore-bearing secret shapes, working, make no false alarm: --check all exits 0")
    func underscoredSecretsWork() throws {
        let sandbox = Sandbox(chosen: SandboxSecrets.Chosen(
            stripeKey: "sk_test_51Fixture_with_underscores_4Kq2", webhookSecret: "whsec_test_secret"))
        try sandbox.start()
        defer { sandbox.stop() }
        _ = sandbox.startDatabase()
        let result = try DoctorProcess.run(["--check", "all", "--format", "json"], environment: sandbox.environment)
        #expect(result.exitCode == 0, "\(result.stdout)\n\(result.stderr)")
        let env = try #require(try steps(result).first { $0["kind"] as? String == "env" })
        #expect((env["summary"] as? String ?? "").contains("STRIPE_WEBHOOK_SECRET looks unusual but webhook-secret-match showed it works"),
                "\(env["summary"] ?? "")")
        #expect(!result.stdout.contains("test_secret"))
    }

    @Test("no Render key, deployed secret or database password in any output, note, journal or escalation, in any encoding")
    func noSecrets() throws {
        let renderKey = "rnd_RenderLeak7Qm2Xw9Zt4Vb6Np1Kd3Hs8Jf5"
        let deployed = "whsec_DeployedOnly3Wq8Zr5Xt1Vm7Nb2Kc9Lp4"
        let password = "DbLeak9Qz3Xw7Vt2"
        let sandbox = Sandbox(fault: .envSecretDiffers, chosen: SandboxSecrets.Chosen(
            databasePassword: password, renderKey: renderKey, otherWebhookSecret: deployed))
        try sandbox.start()
        defer { sandbox.stop() }
        _ = sandbox.startDatabase()
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("doctor-render-leak-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: state) }
        var environment = sandbox.environment
        environment["XDG_STATE_HOME"] = state
        var texts: [(String, String)] = []
        for format in ["text", "json", "junit", "prometheus"] {
            let run = try DoctorProcess.run(["--check", "all", "--verbose", "--format", format], environment: environment)
            #expect(run.exitCode == 2)
            texts.append(("--format \(format)", run.stdout + run.stderr))
        }
        for team in ["render", "stripe"] {
            let run = try DoctorProcess.run(["escalate", team, "--format", "json"], environment: environment)
            texts.append(("escalate \(team)", run.stdout + run.stderr))
        }
        for file in FileManager.default.enumerator(atPath: state)?.compactMap({ $0 as? String }) ?? [] {
            if let text = try? String(contentsOfFile: state + "/" + file, encoding: .utf8) { texts.append((file, text)) }
        }
        #expect(texts.contains { $0.0.hasSuffix("journal.jsonl") })
        for (place, text) in texts {
            for secret in [renderKey, deployed, password] {
                for form in SecretLeakTests.forms(secret) where text.contains(form) {
                    Issue.record("\(place) holds a form of a secret: \(form.prefix(8))…")
                }
            }
            for fragment in ["RenderLeak", "DeployedOnly", "DbLeak9"] where text.contains(fragment) {
                Issue.record("\(place) holds \(fragment)")
            }
        }
    }
}
