import Foundation

/// A problem with the doctor's configuration: an env file, a flag or a variable.
///
/// Messages name the place and what is wrong, never a value: a value may be a secret.
public enum ConfigurationError: Error, Sendable, Equatable {
    /// The env file could not be read.
    case unreadableFile(path: String, reason: String)
    /// A line of the env file is not `KEY=VALUE`; `line` is 1-based.
    case malformedFile(path: String, line: Int, problem: String)
    /// A command-line flag has a value it does not accept.
    case invalidFlag(name: String, problem: String)
    /// A variable is set to something the doctor cannot use.
    case invalidVariable(name: String, problem: String)
}

extension ConfigurationError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case let .unreadableFile(path, reason): "cannot read env file \(path): \(reason)"
        case let .malformedFile(path, line, problem): "\(path):\(line): \(problem)"
        case let .invalidFlag(name, problem): "invalid value for \(name): \(problem)"
        case let .invalidVariable(name, problem): "\(name): \(problem)"
        }
    }
}
