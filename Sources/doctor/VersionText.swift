import CBuildInfo
import CEditLineShim
import DoctorKit
import Foundation

/// What `doctor --version` prints: one `name value` line each for the doctor, the commit it was
/// built from, and the libcurl, libpq and libedit it runs with.
enum VersionText {
    /// The whole text.
    static var text: String {
        [
            "doctor \(DoctorVersion.current)",
            "commit \(commit)",
            "libcurl \(DoctorVersion.libcurl)",
            "libpq \(DoctorVersion.libpq)",
            "libedit \(libedit)",
        ].joined(separator: "\n")
    }

    /// The git commit the binary was built from ("HEX", "HEX-dirty"), or "unknown" when the build
    /// was not told (a plain `swift build`, a build from a source tarball); `scripts/install` tells it.
    static var commit: String { String(cString: doctor_build_commit()) }

    /// libedit's headers' version (it has no run-time version call) and the file it was loaded from.
    static var libedit: String {
        var text = "\(String(cString: doctor_editline_header_version())) (the version its headers declare: libedit has no run-time version call"
        if let path = doctor_editline_library_path() {
            let file = URL(fileURLWithPath: String(cString: path)).resolvingSymlinksInPath().path
            text += "; loaded from \(file)"
        }
        return text + ")"
    }
}
