import Foundation
import Testing
@testable import DoctorKit
import DoctorSandbox

/// A one-step runbook folder: the health check of `API_URL`.
private func healthRunbooks() throws -> String {
    try temporaryRunbooks(["health.yml": """
        version: 1
        id: health
        title: Health
        symptom: the API is down
        steps:
          - id: api-health
            title: The API answers its health check
            check: http
            with: { url: "${API_URL}/api/health", expect_status: [200] }
            thresholds: { warn: 1s, fail: 1500ms }
            timeout: 2s
            hint: The API is down or redeploying.
        """])
}

@Suite("Watch through the binary", .serialized)
struct WatchEndToEndTests {
    @Test("--check … --until-pass: a service that answers 503 and then 200 prints ✗→✓ with its UTC time and exits 0")
    func untilPass() throws {
        let started = ContinuousClock.now
        let server = try HTTPServer { _ in
            ContinuousClock.now - started < .milliseconds(2500) ? ServerResponse(status: 503) : ServerResponse(status: 200)
        }
        defer { server.stop() }
        let runbooks = try healthRunbooks()
        // The scratch folder of the run goes when it ends: the state (and the note) must outlive it.
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("doctor-watch-state-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        let result = try DoctorProcess.run(["--check", "health", "--runbooks", runbooks, "--until-pass", "30s", "--interval", "1s"],
                                           environment: ["API_URL": "http://127.0.0.1:\(server.port)", "XDG_STATE_HOME": state])
        #expect(result.exitCode == 0, "\(result.stdout)\n\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("watching 1 step every 3–60 s until ") == true, "\(result.stdout)")
        #expect(lines.first?.contains("at most 20 requests a minute to the service, 20 % of its rate limit") == true)
        #expect(lines.contains { $0.range(of: #"^\d\d:\d\d:\d\d api-health ✗→✓ HTTP 200"#, options: .regularExpression) != nil },
                "\(result.stdout)")
        #expect(result.stdout.contains("all passing after"))
        #expect(result.duration < .seconds(20))
        let notePath = try #require(lines.first { $0.hasPrefix("Incident note: ") }?.dropFirst("Incident note: ".count))
        let note = try String(contentsOfFile: String(notePath), encoding: .utf8)
        #expect(note.contains("## Watched"))
        #expect(note.contains("health/api-health fail → pass"))
    }

    @Test("doctor watch: Retry-After is waited out, and at the deadline it ends with the failing code and says what still fails")
    func deadline() throws {
        // Without the Retry-After the pace (3 s) would allow a round before the deadline.
        let server = try HTTPServer { _ in ServerResponse(status: 503, headers: [("Retry-After", "10")]) }
        defer { server.stop() }
        let runbooks = try healthRunbooks()
        let result = try DoctorProcess.run(["watch", "health", "--runbooks", runbooks, "--until-pass", "5s", "--interval", "1s"],
                                           environment: ["API_URL": "http://127.0.0.1:\(server.port)"])
        #expect(result.exitCode == 2, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("api-health ✗ HTTP 503 (expected 200)"), "\(result.stdout)")
        #expect(result.stdout.contains("deadline reached after 0 rounds"), "\(result.stdout)")
        #expect(result.stdout.contains("still not passing: health/api-health (exit 2)"))
        #expect(!result.stdout.contains("→✓"))
        #expect(result.duration < .seconds(10))
    }

    @Test("usage errors of the watch flags exit 64 with one line")
    func usage() throws {
        for arguments in [["--check", "all", "--until-pass", "soon"], ["--check", "all", "--interval", "2s"], ["watch", "--interval", "10ms"]] {
            let result = try DoctorProcess.run(arguments)
            #expect(result.exitCode == 64, "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").first?.isEmpty == false)
        }
    }
}

@Suite("Watch in the session", .serialized)
struct WatchSessionTests {
    @Test("the session's watch command behaves as --until-pass: ✗→✓ with its UTC time, and the exit code of the last state")
    func scripted() throws {
        let started = ContinuousClock.now
        let server = try HTTPServer { _ in
            ContinuousClock.now - started < .milliseconds(2500) ? ServerResponse(status: 503) : ServerResponse(status: 200)
        }
        defer { server.stop() }
        let runbooks = try healthRunbooks()
        let result = try DoctorProcess.run(["--runbooks", runbooks], environment: ["API_URL": "http://127.0.0.1:\(server.port)"],
                                           stdin: "run health\nwatch 30s\nstatus\n")
        #expect(result.exitCode == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("watching 1 step every 5–60 s until "), "\(result.stdout)")
        #expect(result.stdout.range(of: #"\n\d\d:\d\d:\d\d api-health ✗→✓ HTTP 200"#, options: .regularExpression) != nil, "\(result.stdout)")
        #expect(result.stdout.contains("all passing after 1 round"))
        #expect(result.stdout.contains("(exit 0)"))
    }

    @Test("watch with nothing run and no runbook is refused")
    func nothingRan() throws {
        let result = try DoctorProcess.run(["--runbooks", try healthRunbooks()], environment: ["API_URL": "http://127.0.0.1:9"],
                                           stdin: "watch\n")
        #expect(result.exitCode == 64)
        #expect(result.stderr.contains("nothing ran yet"))
    }
}
