/// Whether and how the text report uses colour: only on a terminal, never with `NO_COLOR`.
public struct TextStyle: Sendable {
    /// Colour is on.
    public var color: Bool
    /// Every step shows its evidence, not only those that did not pass.
    public var verbose: Bool

    /// A style.
    public init(color: Bool, verbose: Bool = false) {
        self.color = color
        self.verbose = verbose
    }

    /// `text` in the colour of `status`.
    public func paint(_ text: String, _ status: Status) -> String {
        guard color else { return text }
        let code: String
        switch status {
        case .pass: code = "32"
        case .warn: code = "33"
        case .fail: code = "31"
        case .skip: code = "2"
        case .unknown: code = "35"
        }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }

    /// `text` in bold.
    public func bold(_ text: String) -> String { color ? "\u{1B}[1m\(text)\u{1B}[0m" : text }
    /// `text` dimmed.
    public func dim(_ text: String) -> String { color ? "\u{1B}[2m\(text)\u{1B}[0m" : text }
}
