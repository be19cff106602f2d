import CEditLineShim
import DoctorKit
import Foundation

/// What `doctor --version` prints: the version, the commit, and the C libraries it runs with.
enum VersionText {
    /// The whole text (DoctorKit's report plus libedit, which only the executable links).
    static var text: String { DoctorVersion.report(others: [("libedit", libedit)]) }

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
