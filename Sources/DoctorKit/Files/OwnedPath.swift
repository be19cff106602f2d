import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether a path in a state folder is safe to write through: not a symbolic link, and owned by
/// the user running the doctor. A folder others can write to (a shared `/tmp`, a 0777 state
/// folder) may hold a link planted to redirect a write or an append to the victim's file.
public enum OwnedPath {
    /// nil when `path` is missing or is ours and of the expected kind; else why it must not be used.
    public static func problem(_ path: String, directory: Bool) -> String? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        if info.st_mode & S_IFMT == S_IFLNK {
            // A link the user made (a dotfile manager, a state folder on another disk) to their own
            // folder or file is theirs; one planted by someone else in a shared folder is not.
            guard info.st_uid == geteuid() else { return "\(path) is a symbolic link made by another user (uid \(info.st_uid))" }
            guard stat(path, &info) == 0 else { return "\(path) is a symbolic link to nothing" }
        }
        let kind = info.st_mode & S_IFMT
        if directory && kind != S_IFDIR { return "\(path) is not a folder" }
        if !directory && kind != S_IFREG { return "\(path) is not a regular file" }
        if info.st_uid != geteuid() { return "\(path) belongs to another user (uid \(info.st_uid))" }
        return nil
    }
}
