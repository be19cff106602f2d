/// The check kinds runbooks may name, looked up by their `check:` name.
///
/// `@unchecked Sendable`: it holds only metatypes of `CheckKind`, which has static members and no
/// state, and the table never changes after `init`; the protocol itself cannot be `Sendable`
/// without forcing that on every kind for no gain.
public struct CheckRegistry: @unchecked Sendable {
    private let kinds: [String: any CheckKind.Type]

    /// A registry of `kinds`; when two share a name, the first wins (a programming error, caught in debug builds).
    public init(kinds: [any CheckKind.Type]) {
        var table: [String: any CheckKind.Type] = [:]
        for kind in kinds {
            assert(table[kind.name] == nil, "check kind `\(kind.name)` is registered twice")
            if table[kind.name] == nil { table[kind.name] = kind }
        }
        self.kinds = table
    }

    /// The registered names, sorted.
    public var names: [String] { kinds.keys.sorted() }

    /// The kind runbooks call `name`.
    public func kind(named name: String) -> (any CheckKind.Type)? {
        kinds[name]
    }
}
