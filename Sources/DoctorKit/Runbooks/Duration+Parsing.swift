extension Duration {
    /// Parses a duration as runbooks and flags write it: `500ms`, `10s`, `1.5s`, `2m`, `1m30s`, `1h`.
    ///
    /// A bare number is rejected: `timeout: 10` could mean seconds or milliseconds.
    public init?(parsing text: String) {
        let units: [(String, Double)] = [("ms", 0.001), ("h", 3600), ("m", 60), ("s", 1)]
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        guard !rest.isEmpty else { return nil }
        var seconds = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            guard let (unit, factor) = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(unit.count)
            seconds += value * factor
        }
        // Beyond a year is a typo, and a value past Int64 milliseconds would trap on conversion.
        guard seconds.isFinite, seconds >= 0, seconds <= 366 * 24 * 3600 else { return nil }
        self = .milliseconds(Int64((seconds * 1000).rounded()))
    }

    /// The duration in whole milliseconds.
    public var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }

    /// The duration in seconds as a floating-point number.
    public var seconds: Double { Double(milliseconds) / 1000 }

    /// A short human form: `850ms`, `1.2s`, `2m05s`.
    public var short: String {
        let ms = milliseconds
        if ms < 1000 { return "\(ms)ms" }
        if ms < 60_000 {
            let s = Double(ms) / 1000
            return s >= 10 ? "\(Int(s.rounded()))s" : String(format: "%.1fs", s)
        }
        return String(format: "%dm%02ds", ms / 60_000, (ms % 60_000) / 1000)
    }

    /// A window as an operator writes it: `24h`, `90m`, `45s` (`short` for anything finer).
    public var window: String {
        let ms = milliseconds
        guard ms % 1000 == 0, ms > 0 else { return short }
        let seconds = ms / 1000
        if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}

import Foundation
