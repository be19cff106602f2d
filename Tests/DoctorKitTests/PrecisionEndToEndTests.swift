import Foundation
import Testing
@testable import DoctorKit
@testable import DoctorSandbox

/// Issue 10 through the binary: no false alarm, a verdict in seconds on a slow service, cold starts named.
@Suite("Diagnosis precision end to end", .serialized)
struct PrecisionEndToEndTests {
    /// The JSON document of a run.
    func document(_ output: DoctorProcess.Output) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any], "\(output.stdout)\n\(output.stderr)")
    }

    func steps(_ document: [String: Any]) -> [[String: Any]] {
        (document["runbooks"] as? [[String: Any]] ?? []).flatMap { $0["steps"] as? [[String: Any]] ?? [] }
    }

    @Test("high-latency on a service that takes 1.5 s a request ends in under 10 s and still says it is slow")
    func slowServiceVerdictInSeconds() throws {
        let result = try DoctorProcess.run(["demo", "high-latency", "--fault", "slow", "--format", "json"])
        #expect(result.exitCode == 1, "\(result.stdout)\n\(result.stderr)")
        let json = try document(result)
        let duration = try #require(json["duration_ms"] as? Int)
        #expect(duration < 10_000, "the runbook took \(duration) ms")
        let sample = try #require(steps(json).first { $0["id"] as? String == "latency-sample" })
        #expect(sample["status"] as? String == "warn")
        #expect((sample["summary"] as? String ?? "").contains("p90 over the 1.0s healthy threshold"))
        let evidence = try #require(sample["evidence"] as? [String: Any])
        #expect((evidence["samples"] as? Int ?? 0) < 10)
        #expect((evidence["stopped_early"] as? String ?? "").contains("sampling budget was reached"))
    }

    @Test("a slow first request followed by fast ones is named a cold start, with both figures")
    func coldStartNamed() throws {
        // Like an instance spinning up: every request that arrives in the first 3 s waits until then.
        let firstSeen = Locked<ContinuousClock.Instant?>(nil)
        let server = try HTTPServer { request in
            let now = ContinuousClock.now
            let ready = firstSeen.withLock { first -> ContinuousClock.Instant in
                if first == nil { first = now }
                return first! + .seconds(3)
            }
            let delay = ready > now ? ready - now : nil
            if request.path.hasPrefix("/api/webhooks/stripe") {
                return ServerResponse(status: 400, headers: [("Content-Type", "text/plain")],
                                      body: Array("Webhook Error: No stripe-signature header value was provided.".utf8), delay: delay)
            }
            return ServerResponse(status: 200, headers: [("Content-Type", "application/json")],
                                  body: Array(#"{"status":"ok"}"#.utf8), delay: delay)
        }
        defer { server.stop() }
        let result = try DoctorProcess.run(["--check", "high-latency", "--format", "json"],
                                           environment: ["API_URL": "http://127.0.0.1:\(server.port)"])
        let json = try document(result)
        let health = try #require(steps(json).first { $0["id"] as? String == "api-health" })
        let summary = health["summary"] as? String ?? ""
        #expect(summary.contains("a cold start: the run's first request took 3."), "\(summary)")
        #expect(summary.contains("after it") && summary.contains("(median)"))
        #expect((health["hint"] as? String ?? "").contains("spinning up"))
        let cold = try #require((health["evidence"] as? [String: Any])?["cold_start"] as? [String: Any])
        #expect((cold["first_request_ms"] as? Int ?? 0) >= 2900)
        #expect((cold["later_median_ms"] as? Int ?? 9999) < 1000)
        // The warm samples after it are healthy: no sampling warning on top.
        let sample = try #require(steps(json).first { $0["id"] as? String == "latency-sample" })
        #expect(sample["status"] as? String == "pass")
    }

    @Test("the cold-start fault is named by the health step, the warm samples pass, and a scripted session shows, journals and exits as the report does")
    func coldStartFault() throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("doctor-cold-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        let result = try DoctorProcess.run(["demo", "high-latency", "--fault", "cold-start", "--format", "json"],
                                           environment: ["XDG_STATE_HOME": state])
        let json = try document(result)
        let health = try #require(steps(json).first { $0["id"] as? String == "api-health" })
        #expect(health["status"] as? String == "warn")
        #expect((health["summary"] as? String ?? "").contains("a cold start: the run's first request took 3."))
        let sample = try #require(steps(json).first { $0["id"] as? String == "latency-sample" })
        #expect(sample["status"] as? String == "pass")
        let findings = try #require(json["findings"] as? [[String: Any]])
        #expect(findings.map { $0["id"] as? String } == ["api-health"])

        // The same system through the REPL's face: the revision is on screen, in `status`, in the
        // note, and the exit code is the report's.
        let repl = try DoctorProcess.run(["demo", "--interactive", "--fault", "cold-start"],
                                         environment: ["XDG_STATE_HOME": state], stdin: "run high-latency\nstatus\n")
        #expect(repl.exitCode == result.exitCode, "\(repl.stdout)\n\(repl.stderr)")
        #expect(repl.stdout.contains("↻ high-latency/api-health revised: the run's requests show a cold start"))
        let status = try #require(repl.stdout.components(separatedBy: "exit code if the session ended now").first?
            .components(separatedBy: "1 run,").last)
        #expect(status.contains("[!] high-latency/api-health: HTTP 200 in 3."), "\(status)")
        #expect(status.contains("a cold start: the run's first request took 3."))
        #expect(status.contains("[✓] high-latency/latency-sample"))
        let line = try #require(repl.stdout.split(separator: "\n").last { $0.hasPrefix("session note written to ") })
        let note = try String(contentsOfFile: String(line.dropFirst("session note written to ".count).prefix { $0 != " " }), encoding: .utf8)
        #expect(note.contains("a cold start: the run's first request took 3."))
    }

    @Test("a run whose requests are all fast names no cold start")
    func noColdStartWhenWarm() throws {
        let server = try HTTPServer { request in
            request.path.hasPrefix("/api/webhooks/stripe")
                ? ServerResponse(status: 400, text: "Webhook Error: No stripe-signature header value was provided.")
                : .json(200, #"{"status":"ok"}"#)
        }
        defer { server.stop() }
        let result = try DoctorProcess.run(["--check", "high-latency"], environment: ["API_URL": "http://127.0.0.1:\(server.port)"])
        #expect(!result.stdout.contains("cold start"), "\(result.stdout)")
    }
}
