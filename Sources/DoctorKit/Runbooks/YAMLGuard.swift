import CYaml

/// Refuses YAML that could cost more to compose than it weighs, before Yams composes it: anchors
/// and aliases (an alias is expanded where it is used, so ten aliases of ten aliases of … make a
/// few hundred bytes compose into gigabytes), more nodes than any runbook has, and oversized text.
///
/// It reads libyaml's event stream, which never expands anything; a syntax error is left for the
/// composer to report in its own words.
enum YAMLGuard {
    /// The largest YAML text read (runbooks are a few kilobytes).
    static let maxBytes = 1 << 20
    /// The most nodes (scalars, sequences, mappings) one document may hold.
    static let maxNodes = 100_000

    /// Throws a `file:line:column` error for the first anchor or alias, or when a bound is passed.
    static func check(_ yaml: String, file: String) throws(RunbookError) {
        let bytes = Array(yaml.utf8)
        guard bytes.count <= maxBytes else {
            throw RunbookError(SourceLocation(file: file, line: 1, column: 1),
                               "the file is \(bytes.count) bytes, over the \(maxBytes / 1024) KiB a runbook may have")
        }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return }
        defer { yaml_parser_delete(&parser) }
        try bytes.withUnsafeBufferPointer { (buffer) throws(RunbookError) in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var nodes = 0
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return }
                defer { yaml_event_delete(&event) }
                let place = SourceLocation(file: file, line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return
                case YAML_ALIAS_EVENT:
                    throw RunbookError(place, "YAML aliases (*name) are not allowed in runbooks: write the value out")
                case YAML_SCALAR_EVENT, YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    let anchor: UnsafeMutablePointer<yaml_char_t>? = switch event.type {
                    case YAML_SCALAR_EVENT: event.data.scalar.anchor
                    case YAML_SEQUENCE_START_EVENT: event.data.sequence_start.anchor
                    default: event.data.mapping_start.anchor
                    }
                    if anchor != nil {
                        throw RunbookError(place, "YAML anchors (&name) are not allowed in runbooks: write the value out")
                    }
                    nodes += 1
                    if nodes > maxNodes {
                        throw RunbookError(place, "more than \(maxNodes) YAML nodes: not a runbook")
                    }
                default:
                    continue
                }
            }
        }
    }
}
