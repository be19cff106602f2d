import Foundation
import Testing
@testable import DoctorKit
@testable import DoctorSandbox

private let here = SourceLocation(file: "test.yml", line: 1, column: 1)
private func scalar(_ text: String) -> RunbookValue { .scalar(text, here, quoted: false) }

private func build(_ parameters: [(String, String)] = [], warn: String? = nil, fail: String? = nil) throws(RunbookError) -> any Check {
    let mapping = RunbookValue.mapping(parameters.map { (key: $0.0, keyLocation: here, value: scalar($0.1)) }, here)
    let reader = try ParameterReader(parameters.isEmpty ? nil : mapping, at: here)
    let step = StepSettings(id: "t", warn: warn.map(scalar), fail: fail.map(scalar), timeout: nil, timeoutLocation: here, location: here)
    return try ReconciliationJobCheck.make(reader, step: step)
}

private func runStep(_ check: any Check, environment: [String: String]) async -> CheckOutcome {
    var configuration = Configuration()
    for (name, value) in environment { configuration.set(name, value, origin: .sandbox) }
    let http = HTTPClient()
    defer { http.close() }
    return await check.run(in: CheckContext(configuration: configuration, http: http, readOnly: true, deadline: .now + check.timeout))
}

@Suite("reconciliation-job", .serialized)
struct ReconciliationJobTests {
    /// A plain log whose lines are `(hours ago, message)`, as Render's export writes them.
    func log(_ lines: [(Double, String)]) throws -> String {
        let now = Date()
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let text = lines.sorted { $0.0 > $1.0 }.map { hours, message in
            formatter.string(from: now.addingTimeInterval(-hours * 3600)) + " " + message
        }.joined(separator: "\n") + "\n"
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("recon-\(UUID().uuidString).log").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func run(_ lines: [(Double, String)], _ parameters: [(String, String)] = []) async throws -> CheckOutcome {
        let path = try log(lines + [(0.1, "GET /api/health 200")])
        defer { try? FileManager.default.removeItem(atPath: path) }
        return await runStep(try build(parameters), environment: ["DOCTOR_LOG_FILE": path])
    }

    static func job(_ hours: Double, synced: Int = 30, created: Int = 0, updated: Int = 0) -> [(Double, String)] {
        [(hours + 0.001, "🔄 Starting payment reconciliation..."), (hours, "✅ Payment reconciliation completed:"),
         (hours - 0.0001, "   Synced: \(synced), Created: \(created), Updated: \(updated)")]
    }

    @Test("a completion within 26 hours passes with the figures read as the guide reads them")
    func healthy() async throws {
        let outcome = try await run(Self.job(5))
        #expect(outcome.status == .pass, "\(outcome.summary)")
        #expect(outcome.summary.contains("completed 5.0h ago") && outcome.summary.contains("Synced 30, Created 0, Updated 0 (everything matched)"))
        guard case let .object(figures)? = outcome.evidence["figures"] else { Issue.record("no figures"); return }
        #expect(figures.contains { $0.0 == "reading" && $0.1.text.contains("Synced 30: everything matched") })
    }

    @Test("stale: the last completion 30 hours ago, or none at all, fails with what to check")
    func stale() async throws {
        let old = try await run(Self.job(30), [("lookback", "48h")])
        #expect(old.status == .fail && old.summary.contains("stale: the last reconciliation completed 30.0h ago"), "\(old.summary)")
        #expect(old.hint?.contains("has not completed within 26h") == true)
        let none = try await run(Self.job(30))
        #expect(none.status == .fail && none.summary.contains("stale: no \"Payment reconciliation completed\" in the last 26h"), "\(none.summary)")
    }

    @Test("a start with no completion after it warns; Created and Updated are read as missed webhooks")
    func unfinishedAndDiscrepancies() async throws {
        let unfinished = try await run(Self.job(25) + [(1, "🔄 Starting payment reconciliation...")])
        #expect(unfinished.status == .warn && unfinished.summary.contains("has not completed"), "\(unfinished.summary)")
        #expect(unfinished.hint?.contains("may have crashed or still be running") == true)
        let created = try await run(Self.job(3, synced: 97, created: 2, updated: 1))
        #expect(created.status == .warn, "\(created.summary)")
        #expect(created.hint?.contains("Created 2: Stripe had a payment you didn't track (webhook missed it)") == true)
        #expect(created.hint?.contains("Updated 1: status changed in Stripe before webhook arrived") == true)
        #expect(try await run(Self.job(3, synced: 80, created: 10, updated: 0)).status == .fail)
    }

    @Test("no log source skips with what to set; an empty log is unknown; bad parameters are rejected")
    func edges() async throws {
        let skipped = await runStep(try build(), environment: [:])
        #expect(skipped.status == .skip && skipped.summary.contains("DOCTOR_LOG_FILE is not set"))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("recon-empty-\(UUID().uuidString).log").path
        try "".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(await runStep(try build(), environment: ["DOCTOR_LOG_FILE": path]).status == .unknown)
        #expect(throws: RunbookError.self) { try build([("within", "30m")]) }
        #expect(throws: RunbookError.self) { try build([("within", "26h"), ("lookback", "12h")]) }
        #expect(throws: RunbookError.self) { try build(warn: "10%", fail: "5%") }
        #expect(throws: RunbookError.self) { try build([("started", "")]) }
    }

    @Test("the Render logs API of the sandbox: healthy passes; reconciliation-stale fails")
    func sandbox() async throws {
        let healthy = Sandbox()
        try healthy.start()
        defer { healthy.stop() }
        let check = try build()
        let passed = await runStep(check, environment: healthy.environment)
        #expect(passed.status == .pass, "\(passed.summary)")
        #expect(passed.evidence["source"]?.text.contains("Render logs API") == true)

        let stale = Sandbox(fault: .reconciliationStale)
        try stale.start()
        defer { stale.stop() }
        let failed = await runStep(try build([("lookback", "48h")]), environment: stale.environment)
        #expect(failed.status == .fail && failed.summary.contains("completed 30.0h ago"), "\(failed.summary)")
    }
}

