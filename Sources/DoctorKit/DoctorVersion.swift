/// The doctor's version, as `--version` and the User-Agent show it.
public enum DoctorVersion {
    /// The current version.
    public static let current = "0.1.0"
}
