import Foundation
import Testing

@testable import DoctorKit

@Suite("DotEnv")
struct DotEnvTests {
    private func parse(_ text: String) throws -> [String: String] {
        Dictionary(try DotEnv.parse(text, file: ".env"), uniquingKeysWith: { _, last in last })
    }

    @Test func readsPlainQuotedAndExportedValues() throws {
        let values = try parse(
            """
            # the service's configuration

            API_URL=https://pay.onrender.com
            export STRIPE_SECRET_KEY=sk_test_abc123
            SINGLE='literal \\n $HOME # not a comment'
            DOUBLE="line one\\nline \\"two\\" \\\\ end"
            SPACED = value with spaces   # a comment
            HASH=abc#def
            EMPTY=
            COMMENT_ONLY= # nothing here
            _UNDER_1=x
            """)
        #expect(values["API_URL"] == "https://pay.onrender.com")
        #expect(values["STRIPE_SECRET_KEY"] == "sk_test_abc123")
        #expect(values["SINGLE"] == "literal \\n $HOME # not a comment")
        #expect(values["DOUBLE"] == "line one\nline \"two\" \\ end")
        #expect(values["SPACED"] == "value with spaces")
        #expect(values["HASH"] == "abc#def")
        #expect(values["EMPTY"] == "")
        #expect(values["COMMENT_ONLY"] == "")
        #expect(values["_UNDER_1"] == "x")
        #expect(values.count == 9)
    }

    @Test func keepsFileOrderAndLetsLaterDuplicatesWin() throws {
        let pairs = try DotEnv.parse("B=1\nA=2\nB=3\n", file: ".env")
        #expect(pairs.map(\.0) == ["B", "A", "B"])
        #expect(try parse("B=1\nA=2\nB=3\n")["B"] == "3")
    }

    @Test func doubleQuotedValuesMaySpanLines() throws {
        let values = try parse("KEY=\"-----BEGIN KEY-----\nabc\n-----END KEY-----\"  # pem\nNEXT=1\n")
        #expect(values["KEY"] == "-----BEGIN KEY-----\nabc\n-----END KEY-----")
        #expect(values["NEXT"] == "1")
    }

    @Test func acceptsWindowsLineEndingsAndAByteOrderMark() throws {
        let values = try parse("\u{FEFF}A=1\r\nB=\"two\"\r\n")
        #expect(values == ["A": "1", "B": "two"])
    }

    @Test func aLineWithoutEqualsNamesItsLineButNotItsText() {
        let secret = "sk_live_Zq7Xw9VkMn"
        #expect(throws: ConfigurationError.malformedFile(path: ".env", line: 4, problem: "expected KEY=VALUE")) {
            try DotEnv.parse("A=1\n\n# comment\n\(secret)\n", file: ".env")
        }
        let message = ConfigurationError.malformedFile(path: ".env", line: 4, problem: "expected KEY=VALUE")
            .localizedDescription
        #expect(message == ".env:4: expected KEY=VALUE")
    }

    @Test func anUnterminatedQuoteIsReportedAtItsLineWithoutTheValue() throws {
        let secret = "Zq7Xw9VkMnB4"
        do {
            _ = try DotEnv.parse("A=1\nSTRIPE_WEBHOOK_SECRET=\"whsec_\(secret)\nB=2\n", file: "prod.env")
            Issue.record("expected an error")
        } catch {
            let message = error.localizedDescription
            #expect(message.hasPrefix("prod.env:2: unterminated double quote"))
            #expect(message.contains("STRIPE_WEBHOOK_SECRET"))
            #expect(!message.contains(secret.prefix(4)))
        }
        #expect(throws: ConfigurationError.self) { try DotEnv.parse("A='open\n", file: ".env") }
    }

    @Test func rejectsBadNamesAndTextAfterAClosingQuote() {
        for text in ["1KEY=x", "MY-KEY=x", "=x", "KEY NAME=x"] {
            #expect(throws: ConfigurationError.self, "\(text)") { try DotEnv.parse(text, file: ".env") }
        }
        do {
            _ = try DotEnv.parse("PASSWORD=\"Zq7Xw9\"Vk", file: ".env")
            Issue.record("expected an error")
        } catch {
            #expect(error.localizedDescription == ".env:1: unexpected text after the closing double quote of PASSWORD")
        }
    }

    @Test func loadReadsAFileAndExplainsAMissingOne() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dotenv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent(".env").path
        try "API_URL=https://pay.onrender.com\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try DotEnv.load(path: path).first?.1 == "https://pay.onrender.com")

        let missing = directory.appendingPathComponent("nope.env").path
        #expect(throws: ConfigurationError.unreadableFile(path: missing, reason: "no such file")) {
            try DotEnv.load(path: missing)
        }
        #expect(throws: ConfigurationError.unreadableFile(path: directory.path, reason: "is a directory")) {
            try DotEnv.load(path: directory.path)
        }
    }
}
