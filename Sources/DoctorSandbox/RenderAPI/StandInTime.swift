import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Times as Render's API writes and reads them: RFC 3339 in UTC with milliseconds on the way
/// out (`2026-11-29T16:40:10.123Z`); RFC 3339 (any offset, any fraction) or Unix epoch seconds on
/// the way in, because Render's docs say "epoch" while its generated client sends RFC 3339.
///
/// The stand-in keeps every time in whole milliseconds since the epoch, so a time it wrote comes
/// back exactly when a client echoes it (the log pages' `nextEndTime`).
enum StandInTime {
    /// `2026-11-29T16:40:10.123Z` for a time in milliseconds since the epoch.
    static func format(milliseconds: Int) -> String {
        var seconds = time_t(milliseconds.floorDivided(by: 1000))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), milliseconds.floorModulo(by: 1000))
    }

    /// Milliseconds since the epoch for an RFC 3339 time or epoch seconds; nil when it is neither.
    static func parse(_ text: String) -> Int? {
        let text = text.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(text), text.allSatisfy({ $0.isNumber || $0 == "." }) {
            return Int((seconds * 1000).rounded())
        }
        return parseRFC3339(text)
    }

    private static func parseRFC3339(_ text: String) -> Int? {
        let characters = Array(text.utf8)
        // YYYY-MM-DDTHH:MM:SS is 19 bytes; a zone (Z or ±HH:MM) follows, with a fraction between.
        guard characters.count >= 20 else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= characters.count else { return nil }
            var value = 0
            for byte in characters[range] {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard characters[4] == UInt8(ascii: "-"), characters[7] == UInt8(ascii: "-"),
              [UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")].contains(characters[10]),
              characters[13] == UInt8(ascii: ":"), characters[16] == UInt8(ascii: ":"),
              let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= 60
        else { return nil }
        var index = 19
        var milliseconds = 0
        if characters[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < characters.count, (0x30...0x39).contains(characters[index]) {
                // Only the first three digits count; finer ones are truncated, as Render keeps milliseconds.
                if digits < 3 { milliseconds = milliseconds * 10 + Int(characters[index] - 0x30) }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 3) { milliseconds *= 10 }
        }
        guard index < characters.count else { return nil }
        var offsetSeconds = 0
        switch characters[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == characters.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 == characters.count, characters[index + 3] == UInt8(ascii: ":"),
                  let hours = number((index + 1)..<(index + 3)), let minutes = number((index + 4)..<(index + 6))
            else { return nil }
            offsetSeconds = (hours * 3600 + minutes * 60) * (characters[index] == UInt8(ascii: "+") ? 1 : -1)
        default:
            return nil
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(min(second, 59))
        let seconds = Int(timegm(&parts)) - offsetSeconds
        return seconds * 1000 + milliseconds
    }
}

extension Int {
    /// Division rounding towards minus infinity, so times before 1970 format too.
    func floorDivided(by divisor: Int) -> Int {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    /// The remainder that goes with `floorDivided(by:)`, always in `0..<divisor`.
    func floorModulo(by divisor: Int) -> Int { self - floorDivided(by: divisor) * divisor }
}
