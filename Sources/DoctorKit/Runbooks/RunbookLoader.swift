import Foundation

/// Loads runbook files, validating everything a run would need, so a runbook that loads can run.
///
/// Every problem is a `RunbookError` that names `file:line:column`; loading stops at a file's first error.
public struct RunbookLoader: Sendable {
    /// The check kinds steps may name.
    public let registry: CheckRegistry

    /// A loader that builds checks from `registry`.
    public init(registry: CheckRegistry) {
        self.registry = registry
    }

    /// Loads and validates the runbook file at `path`.
    public func load(file path: String) throws(RunbookError) -> Runbook {
        let start = SourceLocation(file: path, line: 1, column: 1)
        let data: [UInt8]
        do {
            data = try BoundedFile.read(path, limit: YAMLGuard.maxBytes)
        } catch .directory {
            throw RunbookError(start, "is a directory, not a runbook file")
        } catch {
            throw RunbookError(start, error == .tooLarge(limit: YAMLGuard.maxBytes)
                ? "the file is larger than the 1 MiB a runbook may have" : error.reason)
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw RunbookError(start, "the file is not UTF-8 text")
        }
        return try load(yaml: text, file: path)
    }

    /// Loads and validates a runbook from YAML text; `file` names it in errors and fixes the expected id.
    public func load(yaml: String, file: String) throws(RunbookError) -> Runbook {
        guard let root = try YAMLReader.read(yaml, file: file) else {
            throw RunbookError(
                SourceLocation(file: file, line: 1, column: 1), "the file holds no runbook (it is empty)")
        }
        return try runbook(from: root, file: file)
    }

    /// All *.yml/*.yaml files of a directory, sorted by name; collects every file's first error instead of stopping.
    public func loadDirectory(_ path: String) -> (runbooks: [Runbook], errors: [RunbookError]) {
        let start = SourceLocation(file: path, line: 1, column: 1)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return ([], [RunbookError(start, "no such directory")])
        }
        guard isDirectory.boolValue else {
            return ([], [RunbookError(start, "is a file, not a directory of runbooks")])
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            return ([], [RunbookError(start, "cannot list the directory (permission denied?)")])
        }
        var runbooks: [Runbook] = []
        var errors: [RunbookError] = []
        var files: [String: String] = [:]  // id → the file that defined it first
        for name in names.sorted() where Self.isRunbookFile(name) {
            let file = (path as NSString).appendingPathComponent(name)
            do {
                let runbook = try load(file: file)
                if let other = files[runbook.id] {
                    errors.append(
                        RunbookError(runbook.idLocation, "runbook id `\(runbook.id)` is already used by \(other)"))
                    continue
                }
                files[runbook.id] = file
                runbooks.append(runbook)
            } catch {
                errors.append(error)
            }
        }
        return (runbooks, errors)
    }

    /// Whether a file name is one of a runbook (`.yml` or `.yaml`, not hidden).
    static func isRunbookFile(_ name: String) -> Bool {
        !name.hasPrefix(".") && (name.hasSuffix(".yml") || name.hasSuffix(".yaml"))
    }

    /// The id a runbook in `file` must have: its base name without `.yml`/`.yaml`.
    static func expectedID(file: String) -> String {
        let name = (file as NSString).lastPathComponent
        for suffix in [".yml", ".yaml"] where name.hasSuffix(suffix) {
            return String(name.dropLast(suffix.count))
        }
        return name
    }
}
