import Foundation

/// Finds the runbook folder: the one the user named, else the one shipped with the binary.
///
/// A stray `./runbooks` in the working directory is never used: running the doctor in someone
/// else's checkout must not run their runbooks.
public enum RunbookLocator {
    /// The folder to load, and where the choice came from; nil when no shipped folder exists.
    ///
    /// - Parameters:
    ///   - explicit: `--runbooks DIR`.
    ///   - environment: the process environment (`DOCTOR_RUNBOOKS`).
    ///   - executable: the running binary's path.
    public static func directory(explicit: String?, environment: [String: String], executable: String) -> String? {
        if let explicit, !explicit.isEmpty { return explicit }
        if let fromEnvironment = environment["DOCTOR_RUNBOOKS"], !fromEnvironment.isEmpty { return fromEnvironment }
        return shipped(executable: executable)
    }

    /// The runbooks installed beside the binary (`bin/runbooks`, `share/doctor/runbooks`), else those
    /// of the source tree it was built from.
    public static func shipped(executable: String) -> String? {
        let binary = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        let candidates = [
            binary.appendingPathComponent("runbooks").path,
            binary.deletingLastPathComponent().appendingPathComponent("share/doctor/runbooks").path,
            sourceTreeRunbooks,
        ]
        return candidates.first { isDirectory($0) }
    }

    /// `runbooks/` of the package this file was compiled from.
    static let sourceTreeRunbooks: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("runbooks").path

    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
