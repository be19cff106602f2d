extension LogScanCheck {
    /// Reads `patterns:`: a list of mappings, each checked where it is written.
    static func readPatterns(_ parameters: ParameterReader) throws(RunbookError) -> [LogPattern] {
        guard let value = parameters.value("patterns") else {
            throw RunbookError(parameters.location, "missing parameter `patterns` (a list of { id, text, meaning, warn, fail })")
        }
        guard case let .sequence(items, _) = value, !items.isEmpty else {
            throw RunbookError(value.location, "`patterns` must be a non-empty list of { id, text, meaning, warn, fail }")
        }
        guard items.count <= maxPatterns else {
            throw RunbookError(value.location, "`patterns` may hold at most \(maxPatterns) patterns, found \(items.count)")
        }
        var patterns: [LogPattern] = []
        for item in items {
            guard case .mapping = item else {
                throw RunbookError(item.location, "each pattern must be a mapping { id, text, meaning, warn, fail }, found \(item.typeName)")
            }
            let reader = try ParameterReader(item, at: item.location)
            // A misspelt key ("txt") is the likelier mistake than a missing one: name it first.
            for key in ["id", "text", "meaning", "warn", "fail"] { _ = reader.value(key) }
            let label = (try? reader.optionalString("id")).flatMap { $0 } ?? "?"
            try reader.finish(kind: "\(name)` pattern `\(label)")
            let idValue = reader.value("id")
            let id = try reader.string("id")
            guard RunbookLoader.isIdentifier(id) else {
                throw RunbookError(idValue?.location ?? item.location, "pattern id must be lower-case letters, digits and dashes, found \"\(id)\"")
            }
            if patterns.contains(where: { $0.id == id }) {
                throw RunbookError(idValue?.location ?? item.location, "duplicate pattern id `\(id)`")
            }
            guard let texts = try reader.stringList("text"), !texts.isEmpty else {
                throw RunbookError(item.location, "pattern `\(id)` needs `text`: the words that identify the line (or a list of alternatives)")
            }
            let textLocation = reader.value("text")?.location ?? item.location
            for text in texts {
                if text.isEmpty { throw RunbookError(textLocation, "pattern `\(id)`: `text` must not be empty") }
                if text.contains(where: { $0 == "\n" || $0 == "\r" }) {
                    throw RunbookError(textLocation, "pattern `\(id)`: `text` must be on one line (lines are searched one by one)")
                }
                if text.utf8.count > maxTextBytes {
                    throw RunbookError(textLocation, "pattern `\(id)`: `text` is over \(maxTextBytes) bytes")
                }
            }
            let meaning = try reader.string("meaning")
            let warn = try reader.int("warn", in: 1...1_000_000_000)
            let fail = try reader.int("fail", in: 1...1_000_000_000)
            if let warn, let fail, fail < warn {
                throw RunbookError(reader.value("fail")!.location, "pattern `\(id)`: `fail` (\(fail)) must not be below `warn` (\(warn)): both are line counts from which the step warns or fails")
            }
            patterns.append(LogPattern(id: id, texts: texts, meaning: meaning, warn: warn, fail: fail))
        }
        return patterns
    }

    /// Reads a mapping parameter whose values name patterns, e.g. `success_rate: { succeeded: created, started: processing }`.
    static func nested(_ parameters: ParameterReader, _ key: String) throws(RunbookError) -> ParameterReader? {
        guard let value = parameters.value(key) else { return nil }
        guard case .mapping = value else {
            throw RunbookError(value.location, "`\(key)` must be a mapping, found \(value.typeName)")
        }
        return try ParameterReader(value, at: value.location)
    }

    /// A pattern id named in `reader[key]`, which must be one of `patterns`.
    static func patternReference(_ reader: ParameterReader, _ key: String, in patterns: [LogPattern], of parent: String,
                                 required: Bool) throws(RunbookError) -> Int? {
        guard let id = try reader.optionalString(key) else {
            if required { throw RunbookError(reader.location, "`\(parent)` needs `\(key)`: the id of a pattern") }
            return nil
        }
        guard let index = patterns.firstIndex(where: { $0.id == id }) else {
            throw RunbookError(reader.value(key)!.location, "`\(parent).\(key)` names no pattern: `\(id)` (patterns: \(patterns.map(\.id).joined(separator: ", ")))")
        }
        return index
    }

    /// Reads `success_rate: { succeeded, started, min_started }`.
    static func readSuccessRate(_ parameters: ParameterReader, patterns: [LogPattern]) throws(RunbookError) -> SuccessRate? {
        guard let reader = try nested(parameters, "success_rate") else { return nil }
        let succeeded = try patternReference(reader, "succeeded", in: patterns, of: "success_rate", required: true)!
        let started = try patternReference(reader, "started", in: patterns, of: "success_rate", required: true)!
        let minimum = try reader.int("min_started", in: 1...1_000_000) ?? 10
        try reader.finish(kind: "\(name)` `success_rate")
        return SuccessRate(succeeded: succeeded, started: started, minimum: minimum)
    }

    /// Reads `reconciliation: { figures, started, completed, warn, fail }`.
    static func readReconciliation(_ parameters: ParameterReader, patterns: [LogPattern]) throws(RunbookError) -> Reconciliation? {
        guard let reader = try nested(parameters, "reconciliation") else { return nil }
        let figures = try patternReference(reader, "figures", in: patterns, of: "reconciliation", required: true)!
        let started = try patternReference(reader, "started", in: patterns, of: "reconciliation", required: false)
        let completed = try patternReference(reader, "completed", in: patterns, of: "reconciliation", required: false)
        let warn = try HTTPSampleCheck.percent(reader, "warn") ?? 0
        let fail = try HTTPSampleCheck.percent(reader, "fail") ?? 5
        if fail < warn {
            throw RunbookError(reader.value("fail")!.location, "`reconciliation.fail` (\(fail)%) must not be below `reconciliation.warn` (\(warn)%)")
        }
        try reader.finish(kind: "\(name)` `reconciliation")
        return Reconciliation(figures: figures, started: started, completed: completed, warn: warn, fail: fail)
    }
}
