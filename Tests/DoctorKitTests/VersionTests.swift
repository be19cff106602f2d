import Foundation
import Testing
@testable import DoctorKit

@Suite("--version")
struct VersionTests {
    @Test("--version names the doctor, its commit, and the libcurl, libpq and libedit it runs with")
    func versionShape() throws {
        let result = try DoctorProcess.run(["--version"])
        #expect(result.exitCode == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        try #require(lines.count == 5, "\(result.stdout)")
        #expect(lines[0] == "doctor \(DoctorVersion.current)")
        #expect(lines[1].wholeMatch(of: /commit ([0-9a-f]{7,40}(-dirty)?|unknown)/) != nil, "\(lines[1])")
        if ProcessInfo.processInfo.environment["DOCTOR_BINARY"] == nil {
            // `swift build` is not told the commit (only scripts/install is): never a made-up one.
            #expect(lines[1] == "commit unknown")
        }
        // The binary links the same libraries as this test process, so they must agree.
        #expect(lines[2] == "libcurl \(DoctorVersion.libcurl)")
        #expect(lines[2].prefixMatch(of: /libcurl \d+\.\d+\.\d+/) != nil, "\(lines[2])")
        #expect(lines[3] == "libpq \(DoctorVersion.libpq)")
        #expect(lines[3].wholeMatch(of: /libpq \d+\.\d+(\.\d+)?/) != nil, "\(lines[3])")
        #expect(lines[4].prefixMatch(of: /libedit \d+\.\d+ \(/) != nil, "\(lines[4])")
    }

    @Test("PostgreSQL version numbers read as people write them", arguments: [
        (Int32(150018), "15.18"), (170000, "17.0"), (100001, "10.1"), (90605, "9.6.5"), (90224, "9.2.24"),
    ])
    func postgresVersion(number: Int32, text: String) {
        #expect(DoctorVersion.postgresVersion(number) == text)
    }
}
