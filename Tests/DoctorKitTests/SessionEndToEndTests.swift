import Foundation
import Testing
@testable import DoctorKit
import DoctorSandbox

/// Sessions, notes, escalations and report files through the built binary.
@Suite("Sessions end to end", .serialized)
struct SessionEndToEndTests {
    /// A state folder shared by the invocations of one test.
    func stateFolder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("doctor-state-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("kill -9 during a run leaves a journal from which `doctor note` rebuilds every finished step")
    func killNine() throws {
        let state = try stateFolder()
        // Health answers at once; the webhook route never answers, so the run is mid-flight when killed.
        let server = try HTTPServer { request in
            request.path == "/api/health" ? .json(200, #"{"status":"ok"}"#) : ServerResponse(status: 200, behaviour: .hang)
        }
        defer { server.stop() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: DoctorProcess.binary)
        process.arguments = ["--check", "webhooks-not-arriving"]
        process.environment = ["PATH": "/usr/bin:/bin", "HOME": state, "XDG_STATE_HOME": state,
                               "API_URL": "http://127.0.0.1:\(server.port)"].merging(DoctorProcess.sanitizerEnvironment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let sessions = state + "/doctor/sessions"
        let deadline = Date().addingTimeInterval(15)
        var journal: String?
        while Date() < deadline {
            if let id = try? FileManager.default.contentsOfDirectory(atPath: sessions).first,
               let text = try? String(contentsOfFile: "\(sessions)/\(id)/journal.jsonl", encoding: .utf8),
               text.contains(#""id":"api-health""#), text.contains(#""step":"webhook-route""#) {
                journal = text
                break
            }
            usleep(20_000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(journal != nil, "the journal never showed the finished health step")

        let note = try DoctorProcess.run(["note"], environment: ["XDG_STATE_HOME": state])
        #expect(note.exitCode == 0, "\(note.stderr)")
        #expect(note.stdout.contains("| api-health | webhooks-not-arriving | ✓ pass |"))
        #expect(note.stdout.contains("| env-vars | webhooks-not-arriving |"))
        #expect(note.stdout.contains("| webhook-route | webhooks-not-arriving | ? unknown | | started"))
        #expect(note.stdout.contains("did not end cleanly"))
        let list = try DoctorProcess.run(["sessions"], environment: ["XDG_STATE_HOME": state])
        #expect(list.stdout.contains("(did not end cleanly)"))
    }

    @Test("a run writes its note in the session folder and to --note; sessions lists it")
    func noteFiles() throws {
        let state = try stateFolder()
        let copy = state + "/incident.md"
        let run = try DoctorProcess.run(["demo", "webhooks-not-arriving", "--fault", "webhook-missing", "--note", copy],
                                        environment: ["XDG_STATE_HOME": state])
        #expect(run.exitCode == 2)
        #expect(run.stdout.contains("Incident note: \(state)/doctor/sessions/"))
        let note = try String(contentsOfFile: copy, encoding: .utf8)
        #expect(note.hasPrefix("# Incident note: "))
        #expect(note.contains("HTTP 404 (expected 400)"))
        var info = stat()
        stat(copy, &info)
        #expect(info.st_mode & 0o777 == 0o600)
        let list = try DoctorProcess.run(["sessions"], environment: ["XDG_STATE_HOME": state])
        #expect(list.stdout.contains("demo"))
        #expect(list.stdout.contains("webhooks-not-arriving"))
    }

    @Test("--output writes the report atomically to a file; JUnit and Prometheus come out of the binary")
    func outputFiles() throws {
        let state = try stateFolder()
        let junit = state + "/doctor.xml"
        let prom = state + "/doctor.prom"
        let first = try DoctorProcess.run(["demo", "--format", "junit", "--output", junit], environment: ["XDG_STATE_HOME": state])
        #expect(first.exitCode == 0)
        #expect(first.stdout.isEmpty)
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        let lint = try xmllint(xml)
        #expect(lint.valid, "\(lint.output)")
        _ = try DoctorProcess.run(["demo", "--format", "prometheus", "--output", prom], environment: ["XDG_STATE_HOME": state])
        let text = try String(contentsOfFile: prom, encoding: .utf8)
        #expect(text.contains("doctor_last_run_timestamp_seconds "))
        #expect(text.contains(#"doctor_step_status{runbook="webhooks-not-arriving",step="api-health",status="pass"} 1"#))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: state).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test("escalate stripe on a session whose endpoint answers 404 does not send us to Stripe; render marks what it cannot know")
    func escalation() throws {
        let state = try stateFolder()
        _ = try DoctorProcess.run(["demo", "--fault", "webhook-missing"], environment: ["XDG_STATE_HOME": state])
        let stripe = try DoctorProcess.run(["escalate", "stripe"], environment: ["XDG_STATE_HOME": state])
        #expect(stripe.exitCode == 0, "\(stripe.stderr)")
        #expect(stripe.stdout.hasPrefix("Stripe support summary (doctor session "))
        #expect(stripe.stdout.contains("Time window: "))
        #expect(stripe.stdout.contains("Webhook endpoint consistently returns 5XX errors: not met"))
        #expect(stripe.stdout.contains("HTTP 404"))
        #expect(stripe.stdout.contains("Already ruled out:"))
        let render = try DoctorProcess.run(["escalate", "render", "--format", "json"], environment: ["XDG_STATE_HOME": state])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(render.stdout.utf8)) as? [String: Any])
        #expect(json["team"] as? String == "render")
        let fields = try #require(json["fields"] as? [[String: Any]])
        let deploy = try #require(fields.first { $0["label"] as? String == "Latest deploy" })
        #expect((deploy["value"] as? String ?? "").contains(" live (commit "), "the sandbox's Render stand-in knows its deploys")
        let criteria = try #require(json["criteria"] as? [[String: Any]])
        #expect(criteria.count == 3)
        #expect(criteria.allSatisfy { $0["text"] is String && $0["evidence"] is String })

        // A session without Render credentials cannot know the deploys: unknown, never invented.
        let bare = try stateFolder()
        let server = try HTTPServer { _ in .json(200, #"{"status":"ok"}"#) }
        defer { server.stop() }
        let environment = ["XDG_STATE_HOME": bare, "API_URL": "http://127.0.0.1:\(server.port)"]
        _ = try DoctorProcess.run(["--check", "deploy"], environment: environment)
        let unknown = try DoctorProcess.run(["escalate", "render", "--format", "json"], environment: environment)
        let other = try #require(try JSONSerialization.jsonObject(with: Data(unknown.stdout.utf8)) as? [String: Any])
        let otherFields = try #require(other["fields"] as? [[String: Any]])
        let unknownDeploy = try #require(otherFields.first { $0["label"] as? String == "Latest deploy" })
        #expect(unknownDeploy["value"] == nil, "an unknown field must not be invented")
    }

    @Test("an endpoint answering 5xx is the service's own fault, not Stripe's")
    func fiveHundredIsOurs() throws {
        let state = try stateFolder()
        let server = try HTTPServer { request in
            request.path == "/api/health" ? .json(200, #"{"status":"ok"}"#) : ServerResponse(status: 500, text: "Internal Server Error")
        }
        defer { server.stop() }
        _ = try DoctorProcess.run(["--check", "webhooks-not-arriving"], environment: ["XDG_STATE_HOME": state, "API_URL": "http://127.0.0.1:\(server.port)"])
        let stripe = try DoctorProcess.run(["escalate", "stripe"], environment: ["XDG_STATE_HOME": state])
        #expect(stripe.stdout.contains("Do not escalate to Stripe yet: our own endpoint answers HTTP 500"))
        #expect(stripe.stdout.contains("Webhook endpoint consistently returns 5XX errors: MET"))
    }

    @Test("escalate with no session yet runs the runbooks that feed it first")
    func escalateRunsFirst() throws {
        let state = try stateFolder()
        let port = try closedLoopbackPort()
        let result = try DoctorProcess.run(["escalate", "render"], environment: ["XDG_STATE_HOME": state, "API_URL": "http://127.0.0.1:\(port)"])
        #expect(result.stderr.contains("running them first"))
        #expect(result.stdout.contains("Render support summary"))
        #expect(result.stdout.contains("the health check fails"))
    }
}
