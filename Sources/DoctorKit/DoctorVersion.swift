import CCurl
import CCurlShim
import CPostgres

/// The doctor's version, as `--version` and the User-Agent show it.
public enum DoctorVersion {
    /// The current version.
    public static let current = "0.1.0"

    /// The loaded libcurl's version with its TLS library, e.g. "7.88.1 (OpenSSL/3.0.19)".
    public static var libcurl: String {
        let info = doctor_curl_version_info().pointee
        let version = String(cString: info.version)
        guard let tls = info.ssl_version else { return version }
        return "\(version) (\(String(cString: tls)))"
    }

    /// The loaded libpq's version, e.g. "15.18" (PQlibVersion).
    public static var libpq: String { postgresVersion(PQlibVersion()) }

    /// PostgreSQL's version number as people write it: 150018 is 15.18, 90605 (before 10) is 9.6.5.
    static func postgresVersion(_ number: Int32) -> String {
        number >= 100_000
            ? "\(number / 10_000).\(number % 10_000)"
            : "\(number / 10_000).\(number / 100 % 100).\(number % 100)"
    }
}
