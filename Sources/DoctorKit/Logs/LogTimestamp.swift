/// Reads the RFC 3339 / ISO 8601 time a log line starts with, as Render writes it
/// (`2026-11-29T03:12:40.123456Z`), straight from the bytes: no Foundation, no allocation.
///
/// Accepted: an optional `[`, `YYYY-MM-DD`, `T` or a space, `HH:MM:SS`, an optional fraction, then
/// `Z`, `±HH:MM`, `±HHMM` or nothing (taken as UTC: Render and most log shippers write UTC).
enum LogTimestamp {
    /// Seconds since 1970 of the time at the start of `bytes`, or nil when it does not start with one.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        if bytes.count > 0, bytes[0] == UInt8(ascii: "[") { i = 1 }
        guard bytes.count - i >= 19 else { return nil }
        func digits(_ at: Int, _ count: Int) -> Int? {
            var value = 0
            for k in at..<(at + count) {
                let d = Int(bytes[k]) &- 48
                guard d >= 0 && d <= 9 else { return nil }
                value = value * 10 + d
            }
            return value
        }
        guard let year = digits(i, 4), bytes[i + 4] == UInt8(ascii: "-"),
              let month = digits(i + 5, 2), bytes[i + 7] == UInt8(ascii: "-"),
              let day = digits(i + 8, 2),
              bytes[i + 10] == UInt8(ascii: "T") || bytes[i + 10] == UInt8(ascii: " ") || bytes[i + 10] == UInt8(ascii: "t"),
              let hour = digits(i + 11, 2), bytes[i + 13] == UInt8(ascii: ":"),
              let minute = digits(i + 14, 2), bytes[i + 16] == UInt8(ascii: ":"),
              let second = digits(i + 17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= 60
        else { return nil }
        i += 19
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") || bytes[i] == UInt8(ascii: ",") {
            i += 1
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 { i += 1 }
        }
        var offset = 0
        if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
            let sign = bytes[i] == UInt8(ascii: "-") ? -1 : 1
            if bytes.count - i >= 6, let h = digits(i + 1, 2), bytes[i + 3] == UInt8(ascii: ":"), let m = digits(i + 4, 2) {
                offset = sign * (h * 3600 + m * 60)
            } else if bytes.count - i >= 5, let h = digits(i + 1, 2), let m = digits(i + 3, 2) {
                offset = sign * (h * 3600 + m * 60)
            }
        }
        return Int64(daysFromCivil(year, month, day)) * 86400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offset)
    }

    /// Seconds since 1970 of the time `text` starts with.
    static func parse(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { parse($0) }
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
