import DoctorKit
import Foundation

/// The secrets known before the arguments are parsed: the process environment's and `./.env`'s.
///
/// A usage error is printed before there is a configuration, and it quotes the value it rejects;
/// secret-shaped values are masked by the redactor's patterns whatever this finds.
enum UsageRedaction {
    /// A redactor over the environment and `./.env` (when it can be read).
    static func redactor() -> Redactor {
        let file = (try? DotEnv.load(path: ".env")).map { (path: ".env", variables: $0) }
        return Redactor(Configuration(process: ProcessInfo.processInfo.environment, file: file))
    }
}
