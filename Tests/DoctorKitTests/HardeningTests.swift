import Foundation
import Testing
@testable import DoctorKit

/// Issue 20: what an attacker or an unlucky operator tried, each refused or contained.
@Suite("Hardening")
struct HardeningTests {
    /// `x0: &a0 [lol ×10]`, then `levels` levels of ten aliases of the level before.
    static func aliasBomb(levels: Int) -> String {
        var lines = ["version: 1", "x0: &a0 [" + Array(repeating: "lol", count: 10).joined(separator: ", ") + "]"]
        for level in 1...levels {
            lines.append("x\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test("a YAML alias bomb is refused before it is composed, at the first anchor, in bounded time")
    func aliasBomb() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let loader = RunbookLoader(registry: .standard)
        #expect(throws: RunbookError.self) { try loader.load(yaml: Self.aliasBomb(levels: 9), file: "bomb.yml") }
        do {
            _ = try loader.load(yaml: Self.aliasBomb(levels: 9), file: "bomb.yml")
        } catch {
            #expect(error.description == "bomb.yml:2:5: YAML anchors (&name) are not allowed in runbooks: write the value out")
        }
        // Composing nine levels would take 10^10 nodes: refusing it takes no time at all.
        #expect(clock.now - start < .seconds(1))
    }

    @Test("a runbook that uses an alias is invalid, with the alias's place")
    func aliasInRunbook() throws {
        let yaml = """
            version: 1
            id: r
            title: R
            symptom: s
            steps:
              - id: a
                title: A
                check: http
                with: { url: "${API_URL}/api/health" }
                hint: &shared Fix it.
              - id: b
                title: B
                check: http
                with: { url: "${API_URL}/api/health", expect_status: [201] }
                hint: *shared
            """
        #expect(throws: RunbookError.self) { try RunbookLoader(registry: .standard).load(yaml: yaml, file: "r.yml") }
        do {
            _ = try RunbookLoader(registry: .standard).load(yaml: yaml, file: "r.yml")
        } catch {
            #expect(error.description.hasPrefix("r.yml:10:"), "\(error)")
        }
    }

    @Test("YAML over the size bound is refused with the file and the limit")
    func oversizedYAML() {
        let yaml = "version: 1\n" + String(repeating: "# padding\n", count: 120_000)
        do {
            _ = try RunbookLoader(registry: .standard).load(yaml: yaml, file: "big.yml")
            Issue.record("an oversized runbook loaded")
        } catch {
            #expect(error.description.hasPrefix("big.yml:1:1: the file is "))
            #expect(error.description.hasSuffix("over the 1024 KiB a runbook may have"))
        }
    }
}
