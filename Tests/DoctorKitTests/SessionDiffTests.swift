import Foundation
import Testing
@testable import DoctorKit

/// What changed between two sessions, in process: each kind of change, the snapshot's round trip
/// through a journal, the likely cause it names, and no value or hash of a secret anywhere.
@Suite("Session diff")
struct SessionDiffTests {
    static let secret = "whsec_Diff0nlyN4mesN3verV4lues0123456789"

    /// A snapshot of a healthy system.
    static var good: StateSnapshot {
        var state = StateSnapshot(target: "https://api.example")
        state.deploy = .init(id: "dep-a", status: "live", commit: "9f8e7d6c5b4a")
        state.variables = .init(names: ["DATABASE_URL", "STRIPE_WEBHOOK_SECRET"],
                                comparedWithLocal: ["STRIPE_WEBHOOK_SECRET": "same as local"])
        state.endpoint = .init(found: true, id: "we_1", url: "https://api.example/api/webhooks/stripe", status: "enabled",
                               enabledEvents: ["charge.refunded", "payment_intent.succeeded"], apiVersion: "2026-06-24.dahlia")
        state.schema = .init(tables: ["Payment": ["amount", "id"]], missing: [])
        state.migrations = .init(applied: 1, newest: "20261008_init", names: ["20261008_init"], unfinished: [])
        state.account = .init(id: "acct_1", mode: "live")
        return state
    }

    static func side(_ id: String, daysAgo: Double) -> SessionDiff.Side {
        .init(id: id, startedAt: Date(timeIntervalSince1970: 1_800_000_000 - daysAgo * 86_400))
    }

    static func diff(_ later: StateSnapshot) -> SessionDiff {
        SessionDiff(from: side("20261129T031240Z-aaaa", daysAgo: 2), good, to: side("20261201T031240Z-bbbb", daysAgo: 0), later)
    }

    @Test("the same state both times: no change, nothing left uncompared")
    func unchanged() {
        let diff = Self.diff(Self.good)
        #expect(diff.changes.isEmpty)
        #expect(diff.notCompared.isEmpty)
        #expect(diff.problem == nil)
        #expect(diff.age == "2 days ago")
    }

    @Test("each kind of change is one line in its area")
    func eachKind() {
        var later = Self.good
        later.deploy = .init(id: "dep-b", status: "update_failed", commit: "1a2b3c4d5e")
        later.variables = .init(names: ["STRIPE_WEBHOOK_SECRET", "SENTRY_DSN"],
                                comparedWithLocal: ["STRIPE_WEBHOOK_SECRET": "differs from local"])
        later.endpoint?.status = "disabled"
        later.endpoint?.enabledEvents = ["charge.refunded", "charge.dispute.created"]
        later.endpoint?.apiVersion = "2026-11-17.dahlia"
        later.schema = .init(tables: ["Payment": ["amount", "id", "refundReason"]], missing: ["AiEvent"])
        later.schema?.tables["Payment"] = ["id", "refundReason"]
        later.migrations = .init(applied: 2, newest: "20261207_refund", names: ["20261008_init", "20261207_refund"], unfinished: [])
        later.account = .init(id: "acct_2", mode: "test")
        let lines = Self.diff(later).changes.map { "\($0.area.rawValue): \($0.summary)" }
        #expect(lines.contains("deploy: new deploy dep-b (update_failed, commit 1a2b3c4), was dep-a (live, commit 9f8e7d6)"))
        #expect(lines.contains("variables: deployed variables added: SENTRY_DSN"))
        #expect(lines.contains("variables: deployed variables removed: DATABASE_URL"))
        #expect(lines.contains("variables: deployed STRIPE_WEBHOOK_SECRET now differs from local, was same as local"))
        #expect(lines.contains("endpoint: webhook endpoint now disabled, was enabled"))
        #expect(lines.contains("endpoint: webhook endpoint now also receives charge.dispute.created"))
        #expect(lines.contains("endpoint: webhook endpoint no longer receives payment_intent.succeeded"))
        #expect(lines.contains("endpoint: webhook endpoint API version now 2026-11-17.dahlia, was 2026-06-24.dahlia"))
        #expect(lines.contains("schema: Payment columns added: refundReason"))
        #expect(lines.contains("schema: Payment columns removed: amount"))
        #expect(lines.contains("migrations: migrations applied since: 20261207_refund"))
        #expect(lines.contains("account: Stripe account now acct_2, was acct_1"))
        #expect(lines.contains("account: Stripe mode now test, was live"))
    }

    @Test("an endpoint gone, recreated or moved; a deploy's status; a table dropped")
    func endpointAndDeploy() {
        var gone = Self.good
        gone.endpoint = .init(found: false, enabledEvents: [])
        #expect(Self.diff(gone).changes.map(\.summary) == ["the webhook endpoint we_1 (https://api.example/api/webhooks/stripe) is gone"])
        var recreated = Self.good
        recreated.endpoint?.id = "we_2"
        recreated.endpoint?.url = "https://api.example/api/webhook"
        #expect(Self.diff(recreated).changes.map(\.summary) == [
            "webhook endpoint URL now https://api.example/api/webhook, was https://api.example/api/webhooks/stripe",
            "webhook endpoint recreated: we_2, was we_1 (a new endpoint has a new signing secret)",
        ])
        // The same path under a moved API_URL (the sandbox's new port) is the same endpoint.
        var moved = Self.good
        moved.target = "http://127.0.0.1:4242"
        moved.endpoint?.url = "http://127.0.0.1:4242/api/webhooks/stripe"
        #expect(Self.diff(moved).changes.isEmpty)
        var failed = Self.good
        failed.deploy?.status = "update_failed"
        #expect(Self.diff(failed).changes.map(\.summary) == ["deploy dep-a is now update_failed, was live"])
        var dropped = Self.good
        dropped.schema = .init(tables: [:], missing: ["Payment"])
        #expect(Self.diff(dropped).changes.map(\.summary) == ["table Payment no longer exists"])
    }

    @Test("an area one session did not read is said, not guessed; a session with no snapshot says so")
    func unreadAndMissing() {
        var later = Self.good
        later.schema = nil
        let diff = Self.diff(later)
        #expect(diff.changes.isEmpty)
        #expect(diff.notCompared == ["schema: not read in 20261201T031240Z-bbbb"])
        let none = SessionDiff(from: Self.side("20261129T031240Z-aaaa", daysAgo: 2), nil, to: Self.side("20261201T031240Z-bbbb", daysAgo: 0), Self.good)
        #expect(none.problem?.contains("session 20261129T031240Z-aaaa recorded no state snapshot") == true)
        #expect(TextRenderer.changeLines(none).contains("recorded no state snapshot"))
    }

    @Test("a snapshot from render-env's evidence keeps names and the comparison only: no value, no hash")
    func noSecretFromEvidence() throws {
        let probe = RenderEnvCheck.Probe(required: ["STRIPE_WEBHOOK_SECRET"], recommended: [], compare: ["STRIPE_WEBHOOK_SECRET"], timeout: .seconds(5))
        var local = Configuration()
        local.set("STRIPE_WEBHOOK_SECRET", "whsec_theLocalOneDiffers000000000000", origin: .process)
        var evidence = Evidence()
        evidence["deployed_names"] = .array([.string("NODE_ENV"), .string("STRIPE_WEBHOOK_SECRET")])
        let outcome = probe.judge(["STRIPE_WEBHOOK_SECRET": Self.secret, "NODE_ENV": "production"], local: local, evidence: evidence)
        let result = StepResult(id: "render-env", kind: "render-env", title: "t", status: outcome.status, durationMs: 1,
                                summary: outcome.summary, hint: nil, evidence: outcome.evidence, startedAt: Date())
        let report = DiagnosisTests.report([("deploy", [result])])
        let state = StateSnapshot(report)
        #expect(state.variables == .init(names: ["NODE_ENV", "STRIPE_WEBHOOK_SECRET"],
                                         comparedWithLocal: ["STRIPE_WEBHOOK_SECRET": "differs from local"]))
        let written = String(decoding: try JournalCoding.encoder().encode(JournalEvent.snapshot(state, time: Date())), as: UTF8.self)
        let diffText = TextRenderer.changeLines(Self.diff(state))
        for text in [written, diffText] {
            #expect(!text.contains(Self.secret))
            #expect(!text.contains("production"))
            #expect(text.range(of: "[0-9a-f]{32,}", options: .regularExpression) == nil, "no digest-like string: \(text)")
        }
    }

    @Test("a snapshot survives the journal, and a session's runs merge: the latest look at each area wins")
    func journalRoundTrip() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("doctor-diff-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = SessionStore(root: folder + "/sessions")
        let recorder = try SessionRecorder(id: "20261201T031240Z-0001", mode: "check", configuration: Configuration(), store: store)
        var second = StateSnapshot(target: "https://api.example")
        second.deploy = .init(id: "dep-b", status: "live", commit: nil)
        recorder.snapshot(Self.good)
        recorder.snapshot(second)
        recorder.snapshot(StateSnapshot())
        try recorder.finish(status: .pass, exitCode: 0)
        let events = SessionStore.readJournal(store.journalPath(of: "20261201T031240Z-0001"))
        let recorded = events.compactMap { event -> StateSnapshot? in
            if case let .snapshot(state, _) = event { return state } else { return nil }
        }
        #expect(recorded == [Self.good, second], "an empty snapshot is not written")
        var expected = Self.good
        expected.deploy = second.deploy
        #expect(try store.load("20261201T031240Z-0001").snapshot == expected)
    }

    @Test("a change in a failing finding's area is named as its likely cause; others are not")
    func likelyCause() {
        let deploys = DiagnosisTests.step("render-deploys", "render-deploys", .fail, "latest deploy dep-b is update_failed")
        let schema = DiagnosisTests.step("tables", "postgres-schema", .fail, "Payment lacks refundReason")
        var report = DiagnosisTests.report([("deploy", [deploys]), ("db", [schema])])
        var later = Self.good
        later.deploy = .init(id: "dep-b", status: "update_failed", commit: nil)
        later.endpoint?.status = "disabled"
        report.changes = Self.diff(later)
        let diagnosis = Diagnosis(report)
        let cause = diagnosis.findings.first { $0.id == "render-deploys" }
        #expect(cause?.likelyChange == "new deploy dep-b (update_failed), was dep-a (live, commit 9f8e7d6) (changed since 20261129T031240Z-aaaa, 2 days ago)")
        #expect(diagnosis.findings.first { $0.id == "tables" }?.likelyChange == nil, "an endpoint change does not explain a schema")
        let text = TextRenderer(style: TextStyle(color: false, verbose: false)).render(report)
        #expect(text.contains("Changed since the last good run (20261129T031240Z-aaaa, 2 days ago)"))
        #expect(text.contains("likely cause: new deploy dep-b"))
        let json = JSONRenderer.render(report)
        #expect(json.contains("\"likely_change\""))
        #expect(json.contains("\"changes\""))
    }
}
