import Foundation
import Testing
@testable import DoctorKit
@testable import DoctorSandbox

/// Issue 11 through the binary: the healthy demo passes the Sentry and security steps, each new
/// fault is named by its step with a hint, and the Sentry token appears nowhere in any encoding.
@Suite("Sentry and security end to end", .serialized)
struct SentrySecurityEndToEndTests {
    static let kinds: Set<String> = ["sentry-errors", "duplicate-processing", "audit-retention"]

    func steps(_ output: DoctorProcess.Output) throws -> [[String: Any]] {
        let json = try #require(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any],
                                "\(output.stdout)\n\(output.stderr)")
        return (json["runbooks"] as? [[String: Any]] ?? []).flatMap { $0["steps"] as? [[String: Any]] ?? [] }
    }

    @Test("the healthy sandbox: every Sentry and security step runs and passes, exit 0")
    func healthy() throws {
        let result = try DoctorProcess.run(["demo", "--format", "json"])
        #expect(result.exitCode == 0, "\(result.stdout)")
        let ours = try steps(result).filter { Self.kinds.contains($0["kind"] as? String ?? "") }
        #expect(Set(ours.compactMap { $0["kind"] as? String }) == Self.kinds)
        for step in ours {
            #expect(step["status"] as? String == "pass", "\(step["id"] ?? ""): \(step["summary"] ?? "")")
        }
        let sentry = try #require(ours.first { $0["kind"] as? String == "sentry-errors" })
        let evidence = try #require(sentry["evidence"] as? [String: Any])
        #expect((evidence["rate_over"] as? String ?? "").contains("HTTP requests Render's proxy counted"))
    }

    @Test("each new fault is named by its step, with a hint", arguments: [
        ("error-spike", "intermittent-failures", "sentry-errors", "fail", "an error rate of 20%"),
        ("error-spike", "missing-db-records", "sentry-errors", "fail", "PAYMENTS-API-9"),
        // Issue 19: the top issue's day (its stats["24h"]) and its lifetime count, each named.
        ("error-spike", "missing-db-records", "sentry-errors", "fail", "108 events in the last 24 h (145 in all)"),
        ("duplicate-payment", "security", "duplicate-processing", "warn", "evt_sandbox_5 (pi_sandbox_5) ×2"),
        ("audit-short", "security", "audit-retention", "fail", "older events were deleted"),
    ])
    func fault(_ name: String, _ runbook: String, _ kind: String, _ status: String, _ words: String) throws {
        #expect(SandboxFault(name: name)?.runbook == (runbook == "missing-db-records" ? "intermittent-failures" : runbook))
        let result = try DoctorProcess.run(["demo", runbook, "--fault", name, "--format", "json"])
        #expect(result.exitCode == (status == "fail" ? 2 : 1), "\(result.stdout)")
        let all = try steps(result).filter { $0["kind"] as? String == kind }
        let said = all.map { "\($0["status"] ?? ""): \($0["summary"] ?? "")" }
        let step = try #require(all.first { $0["status"] as? String == status && ($0["summary"] as? String ?? "").contains(words) },
                                "\(kind) did not say \(words): \(said)")
        #expect(!(step["hint"] as? String ?? "").isEmpty)
    }

    @Test("the duplicated events are listed with their payment intents and times")
    func duplicateEvidence() throws {
        let result = try DoctorProcess.run(["demo", "security", "--fault", "duplicate-payment", "--format", "json"])
        let step = try #require(try steps(result).first { $0["kind"] as? String == "duplicate-processing" })
        let evidence = try #require(step["evidence"] as? [String: Any])
        #expect(evidence["duplicated_events"] as? Int == 2)
        let events = try #require(evidence["events"] as? [[String: Any]])
        #expect(Set(events.compactMap { $0["payment_intent"] as? String }) == ["pi_sandbox_5", "pi_sandbox_12"])
        #expect(events.allSatisfy { $0["times"] as? Int == 2 && $0["first_at"] != nil && $0["last_at"] != nil })
    }

    @Test("no Sentry token in any output, note, journal or escalation, in any encoding")
    func noToken() throws {
        let token = "sntrys_SentryLeak7Qm2Xw9Zt4Vb6Np1Kd3Hs8Jf5+/Aa_TokenTail9Wq8Zr5Xt1Vm"
        let sandbox = Sandbox(fault: .errorSpike, chosen: SandboxSecrets.Chosen(sentryToken: token))
        try sandbox.start()
        defer { sandbox.stop() }
        _ = sandbox.startDatabase()
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("doctor-sentry-leak-\(UUID().uuidString)").path
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
        // A rejected token is the likeliest to be echoed.
        var rejected = environment
        rejected["SENTRY_AUTH_TOKEN"] = token.replacingOccurrences(of: "Leak", with: "Lost")
        let refused = try DoctorProcess.run(["--check", "missing-db-records", "--verbose", "--format", "json"], environment: rejected)
        #expect(refused.stdout.contains("Sentry rejected SENTRY_AUTH_TOKEN"))
        texts.append(("rejected token", refused.stdout + refused.stderr))
        for team in ["render", "stripe"] {
            let run = try DoctorProcess.run(["escalate", team, "--format", "json"], environment: environment)
            texts.append(("escalate \(team)", run.stdout + run.stderr))
        }
        for file in FileManager.default.enumerator(atPath: state)?.compactMap({ $0 as? String }) ?? [] {
            if let text = try? String(contentsOfFile: state + "/" + file, encoding: .utf8) { texts.append((file, text)) }
        }
        #expect(texts.contains { $0.0.hasSuffix("journal.jsonl") })
        for (place, text) in texts {
            for secret in [token, rejected["SENTRY_AUTH_TOKEN"]!] {
                for form in SecretLeakTests.forms(secret) where text.contains(form) {
                    Issue.record("\(place) holds a form of the token: \(form.prefix(10))…")
                }
            }
            for fragment in ["SentryLeak", "SentryLost", "TokenTail"] where text.contains(fragment) {
                Issue.record("\(place) holds \(fragment)")
            }
        }
    }
}
