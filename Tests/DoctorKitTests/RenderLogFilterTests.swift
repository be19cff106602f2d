import Foundation
import Testing
@testable import DoctorKit
@testable import DoctorSandbox

/// The Render logs API read for the whole window through its server-side filters (issue 19,
/// item 3): every count equals a count over every line of the stand-in's log, and a read the page
/// bound or the rate budget cut short says so instead of presenting a sample as the whole.
@Suite("Render logs: whole windows through server-side filters", .serialized)
struct RenderLogFilterTests {
    static let texts = ["Payment record created", "Processing successful payment", "Unhandled event type", "statusCode=429",
                        "Webhook signature verification failed", "Missing Stripe signature"]

    func runbook() throws -> Runbook {
        let patterns = Self.texts.enumerated().map { "          - { id: p\($0.offset), text: \"\($0.element)\", meaning: x }" }
        return try RunbookLoader(registry: .standard).load(yaml: """
            version: 1
            id: r
            title: R
            symptom: test
            steps:
              - id: scan
                title: Scan
                check: log-scan
                with:
                  window: 24h
                  patterns:
            \(patterns.joined(separator: "\n"))
            """, file: "r.yml")
    }

    @Test("each pattern's count covers the whole 24 h window and equals a count over every line the stand-in holds")
    func wholeWindow() async throws {
        let probe = try RenderProbe(.unhandledEvents)
        defer { probe.sandbox.stop() }
        var configuration = Configuration()
        for (name, value) in probe.environment where name.hasPrefix("RENDER_") { configuration.set(name, value, origin: .process) }
        let http = HTTPClient()
        defer { http.close() }
        let report = await Runner(configuration: configuration, http: http, options: RunOptions(timeout: .seconds(30))).run([try runbook()])
        let step = report.runbooks[0].steps[0]
        let read = step.evidence["read"]?.stringValue ?? ""
        #expect(read.contains("filtered server-side") && read.contains("the whole window"), "\(read)")

        // The reference: every line of the last 24 h, read page by page without a filter.
        let now = nowMilliseconds()
        let all = probe.allLogs(hoursBack: 24).logs.filter { (renderTime($0["timestamp"]) ?? 0) >= now - 86_400_000 + 5000 }
        for (index, text) in Self.texts.enumerated() {
            let expected = all.filter { line in
                let pieces = [line["message"]?.stringValue ?? ""] + (line["labels"]?.arrayValue ?? []).map {
                    "\($0["name"]?.stringValue ?? "")=\($0["value"]?.stringValue ?? "")"
                }
                guard !pieces.contains(where: { piece in LogPattern.ownProbeMarkers.contains { piece.contains($0) } }) else { return false }
                return pieces.contains { $0.contains(text) }
            }.count
            #expect(step.evidence["counts"]?["p\(index)"] == .int(expected), "\(text): \(String(describing: step.evidence["counts"]))")
        }
        #expect(step.evidence["counts"]?["p2"] != .int(0), "the fault's unhandled lines were found")
    }

    @Test("a read the page bound cuts short names what it could not finish, and a clean result over part of the window is unknown")
    func cutShort() async throws {
        let probe = try RenderProbe()
        defer { probe.sandbox.stop() }
        var configuration = Configuration()
        for (name, value) in probe.environment where name.hasPrefix("RENDER_") { configuration.set(name, value, origin: .process) }
        let http = HTTPClient()
        defer { http.close() }
        let client = try RenderClient(configuration: configuration, http: http)
        let source = RenderLogSource(client: client, service: probe.serviceID, start: Date().addingTimeInterval(-86_400), end: Date(),
                                     texts: ["GET", "Payment record created"])
        source.maxPages = 1
        var entries = 0
        try await source.read(until: .now + .seconds(10)) { input in
            if case let .entries(list) = input { entries = list.count }
        }
        #expect(entries == 100, "one page of request lines")
        #expect(source.outcome.cut == ["GET", "Payment record created"], "\(source.outcome)")
        #expect(source.outcome.description.contains("not all read (the page bound was reached)"), "\(source.outcome.description)")
        #expect(RenderLogSource.filter(for: "statusCode=429") == ("statusCode", "429"))
        #expect(RenderLogSource.filter(for: "status=429") == ("text", "status=429"))
        #expect(RenderLogSource.filter(for: "statusCode=5*") == ("text", "statusCode=5*"))
    }
}
