import Foundation
import Testing
@testable import DoctorKit
import DoctorSandbox

/// `log-scan` through the built binary: `--logs FILE`, `--logs -` from a pipe, `DOCTOR_LOG_FILE`.
@Suite("Log scan end to end", .serialized)
struct LogScanEndToEndTests {
    static let unhandled = [
        stamped(120, "✅ Payment record created pi_1"),
        stamped(60, "Unhandled event type: customer.created"),
        stamped(30, "Unhandled event type: invoice.paid"),
    ].joined(separator: "\n") + "\n"

    func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("render-\(UUID().uuidString).log").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("demo --logs FILE finds \"Unhandled event type\" lines, with the runbook's meaning as the hint (exit 1)")
    func logsFile() throws {
        let path = try write(Self.unhandled)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try DoctorProcess.run(["demo", "webhooks-not-arriving", "--logs", path])
        #expect(result.exitCode == 1, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("[!] The Render logs show webhooks handled, none unhandled or unsigned: 2× \"Unhandled event type\", 1× \"Payment record created\" in 3 lines (last 24h)"))
        #expect(result.stdout.contains("→ \"Unhandled event type\" ×2: Events reach the service but its handler has no case for their type"))
        #expect(result.stdout.contains("Unhandled event type: invoice.paid"), "example lines are shown")
    }

    @Test("cat FILE | doctor … --logs - reads standard input")
    func standardInput() throws {
        let path = try write(Self.unhandled)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try DoctorProcess.run([], shell: "cat '\(path)' | DOCTOR demo webhooks-not-arriving --logs - --format json")
        #expect(result.exitCode == 1, "\(result.stdout)\n\(result.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let steps = try #require(((document["runbooks"] as? [[String: Any]])?.first?["steps"]) as? [[String: Any]])
        let step = try #require(steps.first { $0["id"] as? String == "webhook-logs" })
        #expect(step["status"] as? String == "warn")
        let evidence = try #require(step["evidence"] as? [String: Any])
        #expect(evidence["source"] as? String == "standard input")
        #expect((evidence["counts"] as? [String: Any])?["unhandled-event"] as? Int == 2)
    }

    @Test("--check with DOCTOR_LOG_FILE scans the log alongside the other steps")
    func variable() throws {
        let path = try write(Self.unhandled)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let port = try closedLoopbackPort()
        let result = try DoctorProcess.run(["--check", "webhooks-not-arriving"],
                                           environment: ["API_URL": "http://127.0.0.1:\(port)", "DOCTOR_LOG_FILE": path])
        #expect(result.exitCode == 2, "the API is down")
        #expect(result.stdout.contains("[!] The Render logs show webhooks handled, none unhandled or unsigned: 2× \"Unhandled event type\""))
    }

    @Test("a healthy log raises no warning: the demo still exits 0")
    func healthy() throws {
        let lines = (0..<20).flatMap { i in
            [stamped(600 - i, "💰 Processing successful payment pi_\(i)"), stamped(599 - i, "✅ Payment record created pi_\(i)")]
        }
        let path = try write(lines.joined(separator: "\n") + "\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try DoctorProcess.run(["demo", "webhooks-not-arriving", "--logs", path, "-v"])
        #expect(result.exitCode == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("[✓] The Render logs show webhooks handled, none unhandled or unsigned: 20× \"Processing successful payment\", 20× \"Payment record created\" in 40 lines (last 24h); webhook success 100.0% (20/20)"))
    }

    @Test("without --logs the demo reads the sandbox's Render logs API; with no source at all the step says what to set")
    func noLogs() throws {
        let result = try DoctorProcess.run(["demo", "webhooks-not-arriving", "--verbose"])
        #expect(result.exitCode == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("[✓] The Render logs show webhooks handled, none unhandled or unsigned"))
        #expect(result.stdout.contains("source: the Render logs API (srv-sandbox"))
        #expect(result.stdout.contains("own_probe_lines"))
        let server = try HTTPServer { _ in .json(200, #"{"status":"ok"}"#) }
        defer { server.stop() }
        let bare = try DoctorProcess.run(["--check", "webhooks-not-arriving"], environment: ["API_URL": "http://127.0.0.1:\(server.port)"])
        #expect(bare.stdout.contains("[-] The Render logs show webhooks handled, none unhandled or unsigned: no log to scan"))
        #expect(bare.stdout.contains("DOCTOR_LOG_FILE"))
    }

    @Test("a malformed Render JSON line is a one-line unknown naming file:line (exit 3), and --logs - needs --check")
    func malformed() throws {
        let path = try write("{\"timestamp\":\"2026-01-01T00:00:00Z\",\"message\":\"ok\"}\n{\"message\": Unhandled event type}\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try DoctorProcess.run(["demo", "webhooks-not-arriving", "--logs", path])
        #expect(result.exitCode == 3, "\(result.stdout)")
        #expect(result.stdout.contains("[?] The Render logs show webhooks handled, none unhandled or unsigned: \(path):2: not valid JSON"))
        let session = try DoctorProcess.run(["--logs", "-"], stdin: "help\n")
        #expect(session.exitCode == 64)
        #expect(session.stderr.contains("--logs - (or DOCTOR_LOG_FILE=-) needs --check"))
    }
}
