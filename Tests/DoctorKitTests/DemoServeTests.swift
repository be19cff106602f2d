import Foundation
import Testing
@testable import DoctorKit

/// `doctor demo --serve`: the sandbox stays up, prints the variables to export, and another
/// doctor diagnoses it as a real service; SIGTERM stops it and everything it started (issue 18, item 6).
@Suite("Sandbox served", .serialized)
struct DemoServeTests {
    @Test("served with a fault: exports work for --check in another process; SIGTERM stops it cleanly, the port closes")
    func serve() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: DoctorProcess.binary)
        process.arguments = ["demo", "--serve", "--fault", "endpoint-disabled"]
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("serve-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: home) }
        process.environment = ["PATH": "/usr/bin:/bin", "HOME": home, "XDG_STATE_HOME": home]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        // A reader blocked on a silent pipe must not hang the suite: past the bound the server is
        // stopped, its pipe closes, and the reads below end.
        let bound = process
        DispatchQueue.global().asyncAfter(deadline: .now() + 60) { if bound.isRunning { bound.terminate() } }

        // Read until the last line of the preamble.
        var text = ""
        let deadline = Date().addingTimeInterval(20)
        while !text.contains("Ctrl-C stops the sandbox"), Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        #expect(text.contains("with fault endpoint-disabled"), "\(text)")
        var exports: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("export ") {
            let body = line.dropFirst("export ".count)
            guard let equals = body.firstIndex(of: "=") else { continue }
            exports[String(body[..<equals])] = String(body[body.index(after: equals)...]).trimmingCharacters(in: CharacterSet(charactersIn: "'"))
        }
        let api = try #require(exports["API_URL"])
        #expect(exports["STRIPE_API_BASE"] != nil && exports["STRIPE_SECRET_KEY"]?.hasPrefix("sk_test_") == true)

        let check = try DoctorProcess.run(["--check", "webhooks-not-arriving"], environment: exports)
        #expect(check.exitCode == 2, "\(check.stdout)")
        #expect(check.stdout.contains("is disabled"), "\(check.stdout)")

        process.terminate()  // SIGTERM
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let after = try DoctorProcess.run(["--check", "webhooks-not-arriving"], environment: ["API_URL": api])
        #expect(after.stdout.contains("connection refused"), "the sandbox stopped: \(after.stdout)")
    }
}
