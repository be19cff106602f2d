import Foundation
import Testing
@testable import DoctorKit
import DoctorSandbox

/// Issue 11 through the binary: the daily checklist runbook read-only and as a Prometheus textfile,
/// its faults found by their steps, and the healthy demo green with the new kinds passing.
@Suite("Daily checklist end to end", .serialized)
struct DailyEndToEndTests {
    static let kinds: Set<String> = ["refunds-disputes", "webhook-volume", "reconciliation-job"]

    func steps(_ output: DoctorProcess.Output) throws -> [[String: Any]] {
        let json = try #require(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any],
                                "\(output.stdout)\n\(output.stderr)")
        return (json["runbooks"] as? [[String: Any]] ?? []).flatMap { $0["steps"] as? [[String: Any]] ?? [] }
    }

    @Test("the healthy demo exits 0 and the new kinds run and pass")
    func healthy() throws {
        let result = try DoctorProcess.run(["demo", "--format", "json"])
        #expect(result.exitCode == 0, "\(result.stdout)")
        let ours = try steps(result).filter { Self.kinds.contains($0["kind"] as? String ?? "") }
        #expect(Set(ours.compactMap { $0["kind"] as? String }) == Self.kinds)
        for step in ours {
            #expect(step["status"] as? String == "pass", "\(step["id"] ?? ""): \(step["summary"] ?? "")")
        }
    }

    @Test("each fault is found by its step in the runbook it names", arguments: [
        ("dispute-spike", "refunds-disputes", "fail", "dispute spike"),
        ("reconciliation-stale", "reconciliation-job", "fail", "stale: no \"Payment reconciliation completed\" in the last 26h"),
    ])
    func fault(_ name: String, _ kind: String, _ status: String, _ words: String) throws {
        let runbook = try #require(SandboxFault(name: name)).runbook
        #expect(runbook == "daily")
        let result = try DoctorProcess.run(["demo", runbook, "--fault", name, "--read-only", "--format", "json"])
        #expect(result.exitCode == 2, "\(result.stdout)")
        let all = try steps(result)
        let step = try #require(all.first { $0["kind"] as? String == kind }, "no \(kind) step")
        #expect(step["status"] as? String == status && (step["summary"] as? String ?? "").contains(words), "\(step["summary"] ?? "")")
        #expect(!(step["hint"] as? String ?? "").isEmpty)
        // The fault is the only finding: every other step of the checklist passes.
        for other in all where other["kind"] as? String != kind {
            #expect(other["status"] as? String == "pass", "\(other["id"] ?? ""): \(other["summary"] ?? "")")
        }
    }

    @Test("doctor demo daily --read-only --format prometheus exits 0 and parses with the official client's parser")
    func prometheus() throws {
        let result = try DoctorProcess.run(["demo", "daily", "--read-only", "--format", "prometheus"])
        #expect(result.exitCode == 0, "\(result.stdout)\n\(result.stderr)")
        let script = """
            import sys
            from prometheus_client.parser import text_string_to_metric_families
            status = {}
            names = set()
            for family in text_string_to_metric_families(sys.stdin.read()):
                for sample in family.samples:
                    names.add(sample.name)
                    if sample.name == 'doctor_step_status' and sample.value == 1:
                        status[sample.labels['step']] = (sample.labels['runbook'], sample.labels['status'])
            assert 'doctor_last_run_timestamp_seconds' in names and 'doctor_exit_code' in names, names
            for step in ['overnight-logs', 'stripe-deliveries', 'latency-sample', 'database-logs', 'reconciliation-job',
                         'reconciliation', 'refunds-disputes', 'webhook-volume']:
                assert status.get(step) == ('daily', 'pass'), (step, status.get(step))
            print(len(status))
            """
        let run = try runPython(script, stdin: result.stdout)
        #expect(run.status == 0, "\(run.output)")
        #expect(Int(run.output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 >= 8, "\(run.output)")
    }

    @Test("the daily runbook sends nothing: no webhook probe, so --read-only skips no step of it")
    func readOnly() throws {
        let result = try DoctorProcess.run(["demo", "daily", "--read-only", "--format", "json"])
        #expect(result.exitCode == 0, "\(result.stdout)")
        let all = try steps(result)
        #expect(!all.isEmpty && all.allSatisfy { $0["status"] as? String == "pass" }, "\(all.map { "\($0["id"] ?? ""): \($0["status"] ?? "")" })")
        #expect(!all.contains { $0["kind"] as? String == "webhook-secret" })
    }
}

