import Foundation

/// Turning a `RunbookValue` tree into a `Runbook`, rejecting anything a run could trip over later.
extension RunbookLoader {
    /// The keys a runbook may have; `runbooks/schema.json` lists the same.
    static let runbookKeys = ["version", "id", "title", "symptom", "escalation", "guide", "steps"]
    /// The keys a step may have; `runbooks/schema.json` lists the same.
    static let stepKeys = ["id", "title", "check", "with", "needs", "thresholds", "timeout", "hint", "guide"]
    /// The keys of a step's `thresholds`.
    static let thresholdKeys = ["warn", "fail"]
    /// The runbook format versions this build reads.
    static let supportedVersions = [1]

    func runbook(from root: RunbookValue, file: String) throws(RunbookError) -> Runbook {
        let fields = try Fields(root, what: "a runbook", keys: Self.runbookKeys)
        for key in ["version", "id", "title", "symptom", "steps"] { _ = try fields.required(key) }

        let versionValue = try fields.required("version")
        guard case let .scalar(versionText, _, false) = versionValue, let version = Int(versionText) else {
            throw RunbookError(versionValue.location, "`version` must be a number (supported: \(Self.versionList))")
        }
        guard Self.supportedVersions.contains(version) else {
            throw RunbookError(
                versionValue.location, "unsupported runbook version \(version) (supported: \(Self.versionList))")
        }

        let (id, idLocation) = try fields.identifier("id", what: "runbook id")
        let expected = Self.expectedID(file: file)
        guard id == expected else {
            throw RunbookError(
                idLocation, "runbook id `\(id)` does not match its file name: expected `\(expected)`")
        }
        let title = try fields.text("title")!
        let symptom = try fields.text("symptom")!
        var escalation: Escalation?
        if let text = try fields.text("escalation") {
            guard let value = Escalation(rawValue: text) else {
                throw RunbookError(
                    fields.value("escalation")!.location, "`escalation` must be stripe or render, found \"\(text)\"")
            }
            escalation = value
        }
        let guide = try fields.text("guide")

        let stepsValue = try fields.required("steps")
        guard case let .sequence(items, _) = stepsValue else {
            throw RunbookError(stepsValue.location, "`steps` must be a list of steps, found \(stepsValue.typeName)")
        }
        guard !items.isEmpty else { throw RunbookError(stepsValue.location, "`steps` must list at least one step") }
        var steps: [Step] = []
        var needLocations: [[SourceLocation]] = []
        var firstLines: [String: Int] = [:]
        for item in items {
            let (step, locations, idLocation) = try self.step(from: item)
            if let line = firstLines[step.id] {
                throw RunbookError(idLocation, "duplicate step id `\(step.id)` (first defined at line \(line))")
            }
            firstLines[step.id] = idLocation.line
            steps.append(step)
            needLocations.append(locations)
        }
        try Self.checkDependencies(steps, needLocations: needLocations)
        return Runbook(
            version: version, id: id, title: title, symptom: symptom, escalation: escalation, guide: guide,
            steps: steps, file: file, idLocation: idLocation)
    }

    private static var versionList: String { supportedVersions.map(String.init).joined(separator: ", ") }

    /// A step, where each of its `needs` is written, and where its id is written.
    private func step(from value: RunbookValue) throws(RunbookError) -> (Step, [SourceLocation], SourceLocation) {
        let fields = try Fields(value, what: "a step", keys: Self.stepKeys)
        for key in ["id", "title", "check"] { _ = try fields.required(key) }
        let (id, idLocation) = try fields.identifier("id", what: "step id")
        let title = try fields.text("title")!

        let kindName = try fields.text("check")!
        guard let kind = registry.kind(named: kindName) else {
            let names = registry.names
            throw RunbookError(
                fields.value("check")!.location,
                "unknown check kind `\(kindName)`\(Suggestion.didYouMean(kindName, among: names)); known: "
                    + names.joined(separator: ", "))
        }

        var needs: [String] = []
        var needLocations: [SourceLocation] = []
        if let value = fields.value("needs") {
            let items: [RunbookValue]
            switch value {
            case .scalar: items = [value]
            case let .sequence(list, _): items = list
            case .mapping: throw RunbookError(value.location, "`needs` must be a list of step ids, found a mapping")
            }
            for item in items {
                guard case let .scalar(text, location, _) = item, !text.isEmpty else {
                    throw RunbookError(item.location, "`needs` must be a list of step ids")
                }
                if needs.contains(text) { continue }
                needs.append(text)
                needLocations.append(location)
            }
        }

        var warn: RunbookValue?
        var fail: RunbookValue?
        var thresholds: JSONValue?
        if let value = fields.value("thresholds") {
            let limits = try Fields(value, what: "`thresholds`", keys: Self.thresholdKeys)
            warn = limits.value("warn")
            fail = limits.value("fail")
            let written = [("warn", warn), ("fail", fail)]
            thresholds = .object(written.compactMap { key, value in value.map { (key, $0.json) } })
        }

        var timeout: Duration?
        let timeoutLocation = fields.value("timeout")?.location ?? fields.location
        if let text = try fields.text("timeout") {
            guard let duration = Duration(parsing: text) else {
                throw RunbookError(
                    timeoutLocation, "`timeout` must be a duration such as 10s or 500ms, found \"\(text)\"")
            }
            guard duration > .zero else { throw RunbookError(timeoutLocation, "`timeout` must be longer than 0s") }
            timeout = duration
        }
        let hint = try fields.text("hint")
        let guide = try fields.text("guide")

        var withValue = fields.value("with")
        if case let .scalar(text, _, false)? = withValue, Fields.isNull(text) { withValue = nil }
        let settings = StepSettings(
            id: id, warn: warn, fail: fail, timeout: timeout, timeoutLocation: timeoutLocation,
            location: fields.location)
        let reader = try ParameterReader(withValue, at: fields.location)
        let check = try kind.make(reader, step: settings)
        try reader.finish(kind: kindName)

        let step = Step(
            id: id, title: title, kind: kindName, check: check, needs: needs, hint: hint, guide: guide,
            parameters: reader.json, thresholds: thresholds, location: fields.location)
        return (step, needLocations, idLocation)
    }

    /// Rejects `needs` that name no step, that name the step itself, or that go round in a cycle.
    static func checkDependencies(_ steps: [Step], needLocations: [[SourceLocation]]) throws(RunbookError) {
        let ids = steps.map(\.id)
        let known = Set(ids)
        for (step, locations) in zip(steps, needLocations) {
            for (need, location) in zip(step.needs, locations) {
                if need == step.id { throw RunbookError(location, "step `\(step.id)` needs itself") }
                guard known.contains(need) else {
                    let others = ids.filter { $0 != step.id }
                    throw RunbookError(
                        location,
                        "step `\(step.id)` needs `\(need)`, which is not a step of this runbook"
                            + Suggestion.didYouMean(need, among: others))
                }
            }
        }
        if let cycle = findCycle(steps) {
            let first = cycle.min { ids.firstIndex(of: $0)! < ids.firstIndex(of: $1)! }!
            let start = cycle.firstIndex(of: first)!
            let ordered = Array(cycle[start...] + cycle[..<start])
            let step = steps.first { $0.id == first }!
            throw RunbookError(
                step.location, "dependency cycle: " + (ordered + [first]).joined(separator: " → "))
        }
    }

    /// The steps of one dependency cycle, in `needs` order, or nil when there is none.
    private static func findCycle(_ steps: [Step]) -> [String]? {
        let needs = Dictionary(uniqueKeysWithValues: steps.map { ($0.id, $0.needs) })
        var done: Set<String> = []
        var path: [String] = []
        // Where each step on the current path stands in it: finding a cycle stays linear.
        var onPath: [String: Int] = [:]
        func visit(_ id: String) -> [String]? {
            if let index = onPath[id] { return Array(path[index...]) }
            if done.contains(id) { return nil }
            onPath[id] = path.count
            path.append(id)
            for need in needs[id] ?? [] {
                if let cycle = visit(need) { return cycle }
            }
            path.removeLast()
            onPath[id] = nil
            done.insert(id)
            return nil
        }
        for step in steps {
            if let cycle = visit(step.id) { return cycle }
        }
        return nil
    }
}

extension RunbookLoader {
    /// Whether `text` is an id as runbooks write them: lower-case letters, digits and dashes,
    /// starting with a letter or digit (runbook, step and log-pattern ids alike).
    static func isIdentifier(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.enumerated().allSatisfy { index, c in
            ("a"..."z").contains(c) || ("0"..."9").contains(c) || (index > 0 && c == "-")
        }
    }
}

/// A mapping being validated: unknown keys are rejected up front, then fields are read by name.
private struct Fields {
    let members: [(key: String, keyLocation: SourceLocation, value: RunbookValue)]
    let location: SourceLocation
    let what: String

    init(_ value: RunbookValue, what: String, keys: [String]) throws(RunbookError) {
        guard case let .mapping(members, location) = value else {
            throw RunbookError(value.location, "\(what) must be a mapping, found \(value.typeName)")
        }
        for member in members where !keys.contains(member.key) {
            throw RunbookError(
                member.keyLocation,
                "unknown key `\(member.key)` in \(what)\(Suggestion.didYouMean(member.key, among: keys)); allowed: "
                    + keys.joined(separator: ", "))
        }
        self.members = members
        self.location = location
        self.what = what
    }

    func value(_ key: String) -> RunbookValue? {
        members.first { $0.key == key }?.value
    }

    func required(_ key: String) throws(RunbookError) -> RunbookValue {
        guard let value = value(key) else { throw RunbookError(location, "\(what) is missing `\(key)`") }
        return value
    }

    /// A non-empty scalar, or nil when the key is absent.
    func text(_ key: String) throws(RunbookError) -> String? {
        guard let value = value(key) else { return nil }
        guard case let .scalar(text, location, quoted) = value else {
            throw RunbookError(value.location, "`\(key)` must be a single value, found \(value.typeName)")
        }
        // Unicode scalars' own property, not Foundation's CharacterSet: this runs for every field of
        // every runbook loaded, and the bridged trim was 7 % of `doctor runbooks`' instructions.
        if !quoted && Self.isNull(text) || text.unicodeScalars.allSatisfy(\.properties.isWhitespace) {
            throw RunbookError(location, "`\(key)` has no value")
        }
        return text
    }

    /// An id: lower-case letters, digits and dashes, starting with a letter or digit.
    func identifier(_ key: String, what: String) throws(RunbookError) -> (String, SourceLocation) {
        let text = try self.text(key)!
        let location = value(key)!.location
        guard RunbookLoader.isIdentifier(text) else {
            throw RunbookError(location, "\(what) `\(text)` must use only a-z, 0-9 and -, and not start with -")
        }
        return (text, location)
    }

    /// Whether an unquoted scalar is YAML's null (`key:` with nothing after it, `~`, `null`).
    static func isNull(_ text: String) -> Bool {
        ["", "~", "null", "Null", "NULL"].contains(text)
    }
}

/// "Did you mean" suggestions for misspelt names.
enum Suggestion {
    /// ` (did you mean `x`?)` for the closest of `candidates`, or an empty string when none is close.
    static func didYouMean(_ word: String, among candidates: [String]) -> String {
        guard let best = closest(to: word, among: candidates) else { return "" }
        return " (did you mean `\(best)`?)"
    }

    /// The candidate with the fewest edits from `word`, if few enough that it is likely a typo.
    static func closest(to word: String, among candidates: [String]) -> String? {
        let limit = word.count >= 5 ? 2 : 1
        var best: (String, Int)?
        for candidate in candidates {
            let d = distance(word.lowercased(), candidate.lowercased())
            if d <= limit, d < candidate.count, d < (best?.1 ?? .max) { best = (candidate, d) }
        }
        return best?.0
    }

    /// Edits (insert, delete, substitute, swap two neighbours) turning `a` into `b`.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}
