import Foundation
import Testing
@testable import DoctorKit

/// `doctor demo --serve`: the sandbox stays up, prints the variables to export, and another
/// doctor diagnoses it as a real service; SIGTERM stops it and everything it started (issue 18, item 6).
@Suite("Sandbox served", .serialized)
struct DemoServeTests {
    @Test("served with a fault: exports work for --check in another process; SIGTERM stops it cleanly, the port closes")
    func serve() throws {
        let served = try ServedSandbox(["--fault", "endpoint-disabled"])
        let exports = served.exports()
        #expect(served.text.contains("with fault endpoint-disabled"), "\(served.text)")
        let api = try #require(exports["API_URL"])
        #expect(exports["STRIPE_API_BASE"] != nil && exports["STRIPE_SECRET_KEY"]?.hasPrefix("sk_test_") == true)

        let check = try DoctorProcess.run(["--check", "webhooks-not-arriving"], environment: exports)
        #expect(check.exitCode == 2, "\(check.stdout)")
        #expect(check.stdout.contains("is disabled"), "\(check.stdout)")

        #expect(served.terminate() == 0)
        let after = try DoctorProcess.run(["--check", "webhooks-not-arriving"], environment: ["API_URL": api])
        #expect(after.stdout.contains("connection refused"), "the sandbox stopped: \(after.stdout)")
    }
}
