import Foundation
import Testing

@testable import DoctorKit

/// A check that does nothing; the loader tests only look at how it was built.
private struct RecordedCheck: Check {
    var timeout: Duration
    var value: String?
    var warn: Duration?
    var fail: Duration?

    func run(in context: CheckContext) async -> CheckOutcome { CheckOutcome(.pass, "ok") }
}

/// `test`: one optional parameter `value`, no thresholds.
private enum TestKind: CheckKind {
    static let name = "test"

    static func make(_ parameters: ParameterReader, step: StepSettings) throws(RunbookError) -> any Check {
        let value = try parameters.optionalString("value")
        try step.rejectThresholds(kind: name)
        return RecordedCheck(timeout: step.timeout ?? .seconds(5), value: value)
    }
}

/// `timed`: duration thresholds whose fail must lie below the timeout, as the real latency kinds require.
private enum TimedKind: CheckKind {
    static let name = "timed"

    static func make(_ parameters: ParameterReader, step: StepSettings) throws(RunbookError) -> any Check {
        let warn = try step.durationThreshold(step.warn, name: "warn")
        let fail = try step.durationThreshold(step.fail, name: "fail")
        let timeout = step.timeout ?? .seconds(10)
        if let fail, fail >= timeout {
            throw RunbookError(
                step.fail!.location, "thresholds.fail (\(fail.short)) must be below the timeout (\(timeout.short))")
        }
        return RecordedCheck(timeout: timeout, warn: warn, fail: fail)
    }
}

private let loader = RunbookLoader(registry: CheckRegistry(kinds: [TimedKind.self, TestKind.self]))

private let valid = """
    version: 1
    id: rb
    title: A runbook
    symptom: Something is wrong
    escalation: stripe
    guide: Webhooks Not Arriving
    steps:
      - id: first
        title: First step
        check: test
        with: { value: on }
        timeout: 2s
        hint: Do this.
        guide: The guide says so.
      - id: second
        title: Second step
        check: timed
        needs: [first]
        thresholds: { warn: 1s, fail: 5s }
        timeout: 10s

    """

/// The error loading `yaml` as `file` throws, or nil when it loads.
private func loadError(_ yaml: String, file: String = "rb.yml") -> RunbookError? {
    do {
        _ = try loader.load(yaml: yaml, file: file)
        return nil
    } catch {
        return error
    }
}

/// Expects loading `yaml` to fail at `place` (`file:line:column`) with a message containing each of `parts`.
private func expectError(
    _ yaml: String, at place: String, _ parts: String..., file: String = "rb.yml",
    sourceLocation: Testing.SourceLocation = #_sourceLocation
) {
    guard let error = loadError(yaml, file: file) else {
        Issue.record("expected an error at \(place), but the runbook loaded", sourceLocation: sourceLocation)
        return
    }
    #expect(error.description.hasPrefix(place + ": "), "\(error)", sourceLocation: sourceLocation)
    for part in parts {
        #expect(error.message.contains(part), "\(error)", sourceLocation: sourceLocation)
    }
    #expect(!error.message.contains("\n"), "messages are one line: \(error)", sourceLocation: sourceLocation)
}

/// A minimal runbook around the given step lines (each already indented by four spaces).
private func runbook(steps: String, header: String = "") -> String {
    "version: 1\nid: rb\ntitle: T\nsymptom: S\n\(header)steps:\n\(steps)"
}

@Suite("RunbookLoader")
struct RunbookLoaderTests {
    @Test("a valid runbook loads with every field")
    func loadsValidRunbook() throws {
        let book = try loader.load(yaml: valid, file: "dir/rb.yml")
        #expect(book.version == 1)
        #expect(book.id == "rb")
        #expect(book.title == "A runbook")
        #expect(book.symptom == "Something is wrong")
        #expect(book.escalation == .stripe)
        #expect(book.guide == "Webhooks Not Arriving")
        #expect(book.file == "dir/rb.yml")
        #expect(book.steps.map(\.id) == ["first", "second"])

        let first = book.steps[0]
        #expect(first.title == "First step")
        #expect(first.kind == "test")
        #expect(first.needs.isEmpty)
        #expect(first.hint == "Do this.")
        #expect(first.guide == "The guide says so.")
        #expect(first.timeout == .seconds(2))
        #expect(first.thresholds == nil)
        #expect(first.location == DoctorKit.SourceLocation(file: "dir/rb.yml", line: 8, column: 5))
        // YAML 1.1 would read `on` as true; runbooks keep it as written.
        #expect((first.check as? RecordedCheck)?.value == "on")
        #expect(first.parameters == .object([("value", .string("on"))]))

        let second = book.steps[1]
        #expect(second.needs == ["first"])
        #expect(second.timeout == .seconds(10))
        #expect(second.thresholds == .object([("warn", .string("1s")), ("fail", .string("5s"))]))
        let timed = try #require(second.check as? RecordedCheck)
        #expect(timed.warn == .seconds(1))
        #expect(timed.fail == .seconds(5))
    }

    @Test("the same step in two runbooks has the same fingerprint; a different timeout does not")
    func fingerprints() throws {
        let a = try loader.load(yaml: valid, file: "rb.yml")
        let renamed = valid.replacingOccurrences(of: "id: first", with: "id: renamed")
            .replacingOccurrences(of: "[first]", with: "[renamed]")
            .replacingOccurrences(of: "title: First step", with: "title: Other words")
        let b = try loader.load(yaml: renamed, file: "rb.yml")
        #expect(a.steps[0].fingerprint == b.steps[0].fingerprint)
        let slower = try loader.load(
            yaml: valid.replacingOccurrences(of: "timeout: 2s", with: "timeout: 3s"), file: "rb.yml")
        #expect(a.steps[0].fingerprint != slower.steps[0].fingerprint)
        #expect(a.steps[0].fingerprint != a.steps[1].fingerprint)
    }

    @Test("a runbook encodes as JSON with its steps' parameters")
    func encodesJSON() throws {
        let book = try loader.load(yaml: valid, file: "rb.yml")
        let data = try JSONEncoder().encode(book)
        let json = try #require(JSONValue.parse(data))
        #expect(json["id"] == .string("rb"))
        #expect(json["escalation"] == .string("stripe"))
        guard case let .array(steps)? = json["steps"] else {
            Issue.record("no steps in \(json)")
            return
        }
        #expect(steps[0]["kind"] == .string("test"))
        #expect(steps[0]["parameters"] == .object([("value", .string("on"))]))
        #expect(steps[0]["timeout_ms"] == .int(2000))
        #expect(steps[1]["needs"] == .array([.string("first")]))
    }

    @Test("unknown keys are errors at the key, with the allowed keys and a suggestion")
    func unknownKeys() {
        expectError(
            valid.replacingOccurrences(of: "guide: Webhooks", with: "giude: Webhooks"), at: "rb.yml:6:1",
            "unknown key `giude`", "did you mean `guide`?",
            "allowed: version, id, title, symptom, escalation, guide, steps")
        expectError(
            valid.replacingOccurrences(of: "needs: [first]", with: "neds: [first]"), at: "rb.yml:18:5",
            "unknown key `neds` in a step", "did you mean `needs`?", "allowed: id, title, check, with")
        expectError(
            valid.replacingOccurrences(of: "{ warn: 1s, fail: 5s }", with: "{ warn: 1s, critical: 5s }"),
            at: "rb.yml:19:29", "unknown key `critical`", "allowed: warn, fail")
        let error = loadError(valid.replacingOccurrences(of: "symptom:", with: "colour:"))
        #expect(error?.message.contains("did you mean") == false, "no suggestion for a far-off word")
    }

    @Test("missing fields are reported at the mapping that lacks them")
    func missingFields() {
        expectError(valid.replacingOccurrences(of: "symptom: Something is wrong\n", with: ""), at: "rb.yml:1:1",
            "missing `symptom`")
        expectError(valid.replacingOccurrences(of: "    check: timed\n", with: ""), at: "rb.yml:15:5",
            "a step is missing `check`")
        expectError(runbook(steps: "  []\n"), at: "rb.yml:6:3", "at least one step")
    }

    @Test("values of the wrong type are errors at the value")
    func wrongTypes() {
        expectError(runbook(steps: "  first: x\n"), at: "rb.yml:6:3", "`steps` must be a list")
        expectError(runbook(steps: "  - just a string\n"), at: "rb.yml:6:5", "a step must be a mapping, found a scalar")
        expectError(valid.replacingOccurrences(of: "hint: Do this.", with: "hint: [Do, this]"), at: "rb.yml:13:11",
            "`hint` must be a single value, found a list")
        expectError(valid.replacingOccurrences(of: "title: A runbook", with: "title:"), at: "rb.yml:3:7",
            "`title` has no value")
        expectError(valid.replacingOccurrences(of: "{ value: on }", with: "[on]"), at: "rb.yml:11:11",
            "`with` must be a mapping")
        expectError(valid.replacingOccurrences(of: "thresholds: { warn: 1s, fail: 5s }", with: "thresholds: 5s"),
            at: "rb.yml:19:17", "`thresholds` must be a mapping")
    }

    @Test("version, id and escalation are checked")
    func headerValues() {
        expectError(valid.replacingOccurrences(of: "version: 1", with: "version: 2"), at: "rb.yml:1:10",
            "unsupported runbook version 2", "supported: 1")
        expectError(valid.replacingOccurrences(of: "version: 1", with: "version: one"), at: "rb.yml:1:10",
            "`version` must be a number")
        expectError(valid, at: "other.yml:2:5", "runbook id `rb` does not match its file name", "expected `other`",
            file: "other.yml")
        #expect(loadError(valid, file: "some/dir/rb.yaml") == nil)
        expectError(
            runbook(steps: "  - { id: a, title: A, check: test }\n").replacingOccurrences(of: "id: rb", with: "id: Rb"),
            at: "Rb.yml:2:5", "must use only a-z, 0-9 and -", file: "Rb.yml")
        expectError(valid.replacingOccurrences(of: "escalation: stripe", with: "escalation: sentry"),
            at: "rb.yml:5:13", "`escalation` must be stripe or render, found \"sentry\"")
    }

    @Test("duplicate step ids point at the second and name the first's line")
    func duplicateStepIDs() {
        expectError(valid.replacingOccurrences(of: "id: second", with: "id: first"), at: "rb.yml:15:9",
            "duplicate step id `first`", "first defined at line 8")
    }

    @Test("needs must name other steps of the runbook, without cycles")
    func dependencies() {
        expectError(valid.replacingOccurrences(of: "[first]", with: "[frist]"), at: "rb.yml:18:13",
            "step `second` needs `frist`, which is not a step of this runbook", "did you mean `first`?")
        expectError(valid.replacingOccurrences(of: "[first]", with: "[first, second]"), at: "rb.yml:18:20",
            "step `second` needs itself")
        let cycle = runbook(steps: """
              - { id: z, title: Z, check: test, needs: [b] }
              - { id: a, title: A, check: test, needs: [b] }
              - { id: b, title: B, check: test, needs: c }
              - { id: c, title: C, check: test, needs: [a] }

            """)
        expectError(cycle, at: "rb.yml:7:5", "dependency cycle: a → b → c → a")
    }

    @Test("unknown check kinds list the known ones and suggest the nearest")
    func unknownKind() {
        expectError(valid.replacingOccurrences(of: "check: test", with: "check: tset"), at: "rb.yml:10:12",
            "unknown check kind `tset`", "did you mean `test`?", "known: test, timed")
    }

    @Test("parameters are validated by the kind, and unknown ones rejected")
    func parameters() {
        expectError(valid.replacingOccurrences(of: "{ value: on }", with: "{ value: on, vale: 2 }"), at: "rb.yml:11:24",
            "unknown parameter `vale` for check `test`")
        expectError(valid.replacingOccurrences(of: "{ value: on }", with: "{ value: [on] }"), at: "rb.yml:11:20",
            "`value` must be a scalar")
    }

    @Test("a timeout must be a duration")
    func timeouts() {
        expectError(valid.replacingOccurrences(of: "timeout: 2s", with: "timeout: 10"), at: "rb.yml:12:14",
            "`timeout` must be a duration such as 10s or 500ms, found \"10\"")
        expectError(valid.replacingOccurrences(of: "timeout: 2s", with: "timeout: 1:30"), at: "rb.yml:12:14",
            "found \"1:30\"")
        expectError(valid.replacingOccurrences(of: "timeout: 2s", with: "timeout: 0s"), at: "rb.yml:12:14",
            "longer than 0s")
    }

    @Test("thresholds are checked by the kind through the step settings")
    func thresholds() {
        expectError(valid.replacingOccurrences(of: "timeout: 2s", with: "thresholds: { warn: 1s }"), at: "rb.yml:12:25",
            "check `test` takes no thresholds")
        expectError(valid.replacingOccurrences(of: "fail: 5s", with: "fail: 10s"), at: "rb.yml:19:35",
            "thresholds.fail (10s) must be below the timeout (10s)")
        expectError(valid.replacingOccurrences(of: "warn: 1s", with: "warn: soon"), at: "rb.yml:19:25",
            "thresholds.warn must be a duration")
    }

    @Test("YAML syntax errors and duplicate keys are located")
    func yamlErrors() {
        expectError("version: 1\nid: rb\ntitle: [unclosed\nsymptom: S\n", at: "rb.yml:4:8", "invalid YAML")
        expectError("version: 1\nid: rb\n  title: T\n", at: "rb.yml:3:8", "invalid YAML")
        expectError(valid.replacingOccurrences(of: "hint: Do this.", with: "title: Again"), at: "rb.yml:13:5",
            "duplicate key `title`", "first at line 9")
        expectError(valid.replacingOccurrences(of: "guide: The guide says so.", with: "id: again"), at: "rb.yml:14:5",
            "duplicate key `id`", "first at line 8")
        expectError(valid + "---\nid: other\n", at: "rb.yml:21:1", "invalid YAML", "single document")
        expectError("", at: "rb.yml:1:1", "empty")
        expectError("- a\n- b\n", at: "rb.yml:1:1", "a runbook must be a mapping, found a list")
    }

    @Test("a missing file is an error at path:1:1")
    func missingFile() {
        do {
            _ = try loader.load(file: "/nonexistent/rb.yml")
            Issue.record("loaded a file that does not exist")
        } catch {
            #expect(error.description == "/nonexistent/rb.yml:1:1: no such file")
        }
        let result = loader.loadDirectory("/nonexistent")
        #expect(result.runbooks.isEmpty)
        #expect(result.errors.map(\.description) == ["/nonexistent:1:1: no such directory"])
    }

    @Test("loadDirectory loads the good files and collects each bad file's error")
    func directory() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("loader-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func write(_ name: String, _ text: String) throws {
            try text.write(toFile: "\(dir)/\(name)", atomically: true, encoding: .utf8)
        }
        try write("rb.yml", valid)
        try write("bad-syntax.yml", "version: 1\nid: [\n")
        try write("bad-key.yaml", runbook(steps: "  - { id: a, title: A, check: test, colour: red }\n")
            .replacingOccurrences(of: "id: rb", with: "id: bad-key"))
        try write("notes.txt", "not a runbook")
        try write("rb.yaml", valid)

        let (runbooks, errors) = loader.loadDirectory(dir)
        #expect(runbooks.map(\.id) == ["rb"])
        #expect(runbooks.first?.file == "\(dir)/rb.yaml")
        #expect(errors.count == 3)
        #expect(errors.map(\.location.file) == ["\(dir)/bad-key.yaml", "\(dir)/bad-syntax.yml", "\(dir)/rb.yml"])
        #expect(errors[0].message.contains("unknown key `colour`"))
        #expect(errors[0].location.line == 6)
        #expect(errors[1].message.contains("invalid YAML"))
        #expect(errors[2].description == "\(dir)/rb.yml:2:5: runbook id `rb` is already used by \(dir)/rb.yaml")
    }

    @Test("the registry lists its kinds sorted and finds them by name")
    func registry() {
        let registry = CheckRegistry(kinds: [TimedKind.self, TestKind.self])
        #expect(registry.names == ["test", "timed"])
        #expect(registry.kind(named: "timed") == TimedKind.self)
        #expect(registry.kind(named: "http") == nil)
    }

    @Test("suggestions allow a typo or two, not a different word")
    func suggestions() {
        #expect(Suggestion.closest(to: "tilte", among: RunbookLoader.runbookKeys) == "title")
        #expect(Suggestion.closest(to: "stpes", among: RunbookLoader.runbookKeys) == "steps")
        #expect(Suggestion.closest(to: "timout", among: RunbookLoader.stepKeys) == "timeout")
        #expect(Suggestion.closest(to: "colour", among: RunbookLoader.stepKeys) == nil)
        #expect(Suggestion.closest(to: "x", among: ["id"]) == nil)
    }
}
