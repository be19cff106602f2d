import Foundation
import Testing
@testable import DoctorKit

/// `doctor runbooks --format json`: the listing, and the command that prints it.
@Suite("Runbook listing")
struct RunbookListingTests {
    static let shippedRunbooks = DoctorProcess.packageRoot.appendingPathComponent("runbooks").path

    static func parse(_ text: String) throws -> [[String: Any]] {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(Array(document.keys) == ["runbooks"])
        return try #require(document["runbooks"] as? [[String: Any]])
    }

    @Test("the listing of the shipped runbooks is JSON naming every runbook and every step")
    func listing() throws {
        let (runbooks, errors) = RunbookLoader(registry: .standard).loadDirectory(Self.shippedRunbooks)
        #expect(errors.isEmpty, "\(errors)")
        #expect(runbooks.count >= 7)
        let listed = try Self.parse(RunbookListing(runbooks).json)
        #expect(listed.map { $0["id"] as? String } == runbooks.map(\.id))
        for (entry, runbook) in zip(listed, runbooks) {
            #expect(Set(entry.keys) == ["id", "title", "symptom", "escalation", "file", "steps"])
            #expect(entry["title"] as? String == runbook.title)
            #expect(entry["symptom"] as? String == runbook.symptom)
            #expect(entry["file"] as? String == runbook.file)
            if let escalation = runbook.escalation {
                #expect(entry["escalation"] as? String == escalation.rawValue)
            } else {
                #expect(entry["escalation"] is NSNull)
            }
            let steps = try #require(entry["steps"] as? [[String: Any]])
            #expect(!steps.isEmpty)
            #expect(steps.map { $0["id"] as? String } == runbook.steps.map(\.id), "\(runbook.id)")
            for (listedStep, step) in zip(steps, runbook.steps) {
                #expect(Set(listedStep.keys) == ["id", "kind", "title", "needs"])
                #expect(listedStep["kind"] as? String == step.kind)
                #expect(listedStep["title"] as? String == step.title)
                #expect(listedStep["needs"] as? [String] == step.needs)
            }
        }
    }

    @Test("doctor runbooks --format json prints the listing; --runbooks reaches it; junit is a usage error (64)")
    func command() throws {
        let json = try DoctorProcess.run(["runbooks", "--runbooks", Self.shippedRunbooks, "--format", "json"])
        #expect(json.exitCode == 0, "\(json.stderr)")
        let ids = try Self.parse(json.stdout).compactMap { $0["id"] as? String }
        for id in ["daily", "deploy", "high-latency", "intermittent-failures", "missing-db-records", "security", "webhooks-not-arriving"] {
            #expect(ids.contains(id), "missing \(id)")
        }

        // A folder of its own: the subcommand's --runbooks, not the root's, must receive it.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("doctor-listing-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(atPath: Self.shippedRunbooks + "/daily.yml", toPath: folder.appendingPathComponent("daily.yml").path)
        let one = try DoctorProcess.run(["runbooks", "--format", "json", "--runbooks", folder.path])
        #expect(one.exitCode == 0, "\(one.stderr)")
        #expect(try Self.parse(one.stdout).map { $0["id"] as? String } == ["daily"])

        for bad in [["--format", "junit"], ["--format", "prometheus"], ["--bogus"], ["extra"]] {
            let result = try DoctorProcess.run(["runbooks"] + bad)
            #expect(result.exitCode == 64, "\(bad): \(result.stdout) \(result.stderr)")
            #expect(result.stdout.isEmpty, "\(bad)")
        }
    }

    @Test("doctor sessions --format json prints JSON (the root's --format no longer takes it); junit is a usage error")
    func sessionsJSON() throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("doctor-sessions-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        let run = try DoctorProcess.run(["--check", "daily", "--runbooks", Self.shippedRunbooks], environment: ["XDG_STATE_HOME": state])
        #expect(run.exitCode != 64, "\(run.stderr)")
        let listed = try DoctorProcess.run(["sessions", "--format", "json"], environment: ["XDG_STATE_HOME": state])
        let rows = try #require(JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]], "\(listed.stdout)")
        #expect(rows.count == 1 && rows[0]["mode"] as? String == "check")
        #expect(try DoctorProcess.run(["sessions", "--format", "junit"], environment: ["XDG_STATE_HOME": state]).exitCode == 64)
    }
}
