import Foundation
import Testing

@testable import DoctorKit

/// The package root, found from this file's path (Tests/DoctorKitTests/ is two levels down).
private let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
private let schemaPath = packageRoot.appendingPathComponent("runbooks/schema.json").path

/// Validates YAML files against the schema with Python's `jsonschema`, the validator editors and CI tools use.
/// Prints one JSON object: file path → list of error messages (empty when valid).
private let validatorScript = """
    import json, sys
    import jsonschema, yaml
    schema = json.load(open(sys.argv[1]))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    result = {}
    for path in sys.argv[2:]:
        with open(path) as f:
            document = yaml.safe_load(f)
        errors = sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
        result[path] = ["/".join(map(str, e.absolute_path)) + ": " + e.message for e in errors]
    print(json.dumps(result))
    """

/// A runbook that uses every key and both kinds the schema describes in detail, plus a kind it does not.
private let sample = """
    version: 1
    id: sample
    title: Sample
    symptom: Something is wrong
    escalation: render
    guide: High Latency (>5 seconds)
    steps:
      - id: api-health
        title: The API answers its health check
        check: http
        with:
          url: "${API_URL}/api/health"
          method: GET
          headers: { Accept: application/json }
          expect_status: [200, "200-299"]
          expect_body: ok
          expect_json: { "$.status": ok, "$.db": true }
          follow_redirects: 2
        thresholds: { warn: 1s, fail: 5s }
        timeout: 1m30s
        hint: The API is down or redeploying.
        guide: Check the Render deploy status and logs.
      - id: env
        title: The service's variables are set
        check: env
        with: { required: [API_URL, STRIPE_SECRET_KEY], recommended: [SENTRY_DSN] }
      - id: secret-match
        title: The deployed service holds our webhook secret
        check: custom-kind
        with: { mode: probe }
        needs: [api-health, env]
        thresholds: { warn: 70%, fail: 90 }
        timeout: 500ms

    """

/// Runs the validator over `files`; nil (with an issue recorded) when python3 or its modules are missing.
private func validate(_ files: [String]) throws -> [String: [String]]? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", validatorScript, schemaPath] + files
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    do {
        try process.run()
    } catch {
        Issue.record("cannot run python3 (\(error)); install python3 with the jsonschema and yaml modules")
        return nil
    }
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        let problem = err.split(separator: "\n").last.map(String.init) ?? "exit \(process.terminationStatus)"
        if err.contains("ModuleNotFoundError") || err.contains("No such file") {
            // Failing, not skipping: a CI without the validator would otherwise never check the schema.
            Issue.record(
                "the schema test needs python3 with jsonschema and PyYAML (apt-get install python3-jsonschema python3-yaml): \(problem)")
        } else {
            Issue.record("the schema validator failed: \(problem)")
        }
        return nil
    }
    let decoded = try JSONDecoder().decode([String: [String]].self, from: out)
    return decoded
}

/// A fresh temporary directory, removed by the caller.
private func temporaryDirectory() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("schema-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// The property names the schema allows in the object at `path` (a list of keys into the schema).
private func schemaProperties(_ path: [String]) throws -> Set<String> {
    var object = try #require(
        JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: schemaPath))) as? [String: Any])
    for key in path { object = try #require(object[key] as? [String: Any], "no \(path) in the schema") }
    #expect(object["additionalProperties"] as? Bool == false, "\(path) must reject unknown keys")
    let properties = try #require(object["properties"] as? [String: Any])
    return Set(properties.keys)
}

@Suite("RunbookSchema")
struct RunbookSchemaTests {
    @Test("every shipped runbook and a sample using every key validate against the schema")
    func validRunbooks() throws {
        let runbooksDir = packageRoot.appendingPathComponent("runbooks").path
        let shipped = ((try? FileManager.default.contentsOfDirectory(atPath: runbooksDir)) ?? [])
            .filter(RunbookLoader.isRunbookFile).sorted().map { "\(runbooksDir)/\($0)" }
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try sample.write(toFile: "\(dir)/sample.yml", atomically: true, encoding: .utf8)

        guard let results = try validate(shipped + ["\(dir)/sample.yml"]) else { return }
        #expect(results.count == shipped.count + 1)
        for (file, errors) in results.sorted(by: { $0.key < $1.key }) {
            #expect(errors.isEmpty, "\(file) does not match runbooks/schema.json: \(errors)")
        }
    }

    @Test("every shipped runbook loads with the standard check kinds")
    func shippedRunbooksLoad() {
        let runbooksDir = packageRoot.appendingPathComponent("runbooks").path
        let (runbooks, errors) = RunbookLoader(registry: .standard).loadDirectory(runbooksDir)
        #expect(errors.isEmpty, "\(errors.map(\.description))")
        for runbook in runbooks {
            #expect(runbook.escalation != nil, "\(runbook.id) feeds no escalation summary")
            #expect(runbook.guide != nil, "\(runbook.id) names no guide section")
        }
    }

    @Test("the schema rejects unknown keys and malformed values")
    func invalidRunbooks() throws {
        let cases: [(name: String, from: String, to: String, expected: String)] = [
            ("top-level-key", "guide: High", "giude: High", "'giude' was unexpected"),
            ("step-key", "hint: The API", "hnit: The API", "'hnit' was unexpected"),
            ("http-parameter", "expect_body: ok", "expect_bdy: ok", "'expect_bdy' was unexpected"),
            ("http-url", "url: \"${API_URL}/api/health\"", "uri: x", "'url' is a required property"),
            ("duration", "timeout: 1m30s", "timeout: 90", "90 is not of type 'string'"),
            ("http-threshold", "{ warn: 1s, fail: 5s }", "{ warn: 1s, fail: 95% }", "'95%' does not match"),
            ("env-name", "recommended: [SENTRY_DSN]", "recommended: [sentry_dsn]", "'sentry_dsn' does not match"),
            ("escalation", "escalation: render", "escalation: sentry", "'sentry' is not one of"),
            ("version", "version: 1", "version: 2", "1 was expected"),
            ("step-id", "id: env\n", "id: Env\n", "'Env' does not match"),
        ]
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var files: [String: (expected: String, name: String)] = [:]
        for item in cases {
            #expect(sample.contains(item.from), "case \(item.name) changes nothing")
            let file = "\(dir)/\(item.name).yml"
            try sample.replacingOccurrences(of: item.from, with: item.to)
                .write(toFile: file, atomically: true, encoding: .utf8)
            files[file] = (item.expected, item.name)
        }
        let envThresholds = "\(dir)/env-thresholds.yml"
        let withThresholds = "recommended: [SENTRY_DSN] }\n    thresholds: { warn: 1s }"
        try sample.replacingOccurrences(of: "recommended: [SENTRY_DSN] }", with: withThresholds)
            .write(toFile: envThresholds, atomically: true, encoding: .utf8)
        files[envThresholds] = ("False schema does not allow", "env-thresholds")

        guard let results = try validate(files.keys.sorted()) else { return }
        for (file, (expected, name)) in files {
            let errors = results[file] ?? []
            #expect(!errors.isEmpty, "the schema accepted the \(name) case")
            #expect(errors.contains { $0.contains(expected) }, "\(name): expected \"\(expected)\" in \(errors)")
        }
    }

    @Test("the schema allows exactly the keys the loader allows")
    func keysMatchLoader() throws {
        #expect(try schemaProperties([]) == Set(RunbookLoader.runbookKeys))
        #expect(try schemaProperties(["$defs", "step"]) == Set(RunbookLoader.stepKeys))
        #expect(try schemaProperties(["$defs", "step", "properties", "thresholds"]) == Set(RunbookLoader.thresholdKeys))
    }
}
