import Foundation

/// UTC times as the doctor writes and reads them, computed from the seconds alone.
///
/// Every time the doctor shows or stores is UTC in a fixed layout, so none needs a calendar or a
/// locale. Foundation's `ISO8601DateFormatter` and `DateFormatter` go through ICU: each one made
/// opened a calendar and a formatter (hundreds per `--check all`, one per journal record), and
/// touching ICU's code and data added about 5 MB to the run's resident memory.
public enum UTCTime {
    /// A layout of a UTC time.
    public enum Layout: Sendable {
        /// `2026-12-02T14:00:00Z` (RFC 3339, as Stripe, Render and the JSON report write it).
        case iso8601
        /// `2026-12-02T14:00:00.250Z`: milliseconds, so journal records sort and round-trip.
        case iso8601Milliseconds
        /// `2026-12-02 14:00:05 UTC`, for people.
        case readable
        /// `2026-12-02 14:00 UTC`, for summaries.
        case readableMinutes
        /// `20261202T140005Z`, for names that sort (session ids).
        case compact
        /// `Wed, 02 Dec 2026 14:00:05 GMT`: RFC 9110's HTTP date, as servers send it in `Date`.
        case http
    }

    /// `date` in `layout`: rounded to the nearest millisecond, then cut to the layout's precision,
    /// as Foundation's formatters did (`…:59.9996` is written `…:00` of the next second).
    public static func string(_ date: Date, _ layout: Layout) -> String {
        // A server that talks garbage can send a time of 10^18 seconds: clamped to ±142 000 years
        // rather than trapping on the conversion (NaN reads as 1970).
        let scaled = (date.timeIntervalSince1970 * 1000).rounded()
        let milliseconds = scaled.isNaN ? 0 : Int64(max(-maxMilliseconds, min(maxMilliseconds, scaled)))
        let (seconds, millisecond) = floorDivision(milliseconds, 1000)
        let (days, secondOfDay) = floorDivision(seconds, 86_400)
        let (year, month, day) = civil(fromDays: days)
        let hour = Int(secondOfDay / 3600), minute = Int(secondOfDay / 60 % 60), second = Int(secondOfDay % 60)
        let calendarDay = "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))"
        let time = "\(padded(hour, 2)):\(padded(minute, 2))"
        switch layout {
        case .iso8601: return "\(calendarDay)T\(time):\(padded(second, 2))Z"
        case .iso8601Milliseconds: return "\(calendarDay)T\(time):\(padded(second, 2)).\(padded(Int(millisecond), 3))Z"
        case .readable: return "\(calendarDay) \(time):\(padded(second, 2)) UTC"
        case .readableMinutes: return "\(calendarDay) \(time) UTC"
        case .compact:
            return "\(padded(year, 4))\(padded(month, 2))\(padded(day, 2))T\(padded(hour, 2))\(padded(minute, 2))\(padded(second, 2))Z"
        case .http:
            // 1970-01-01 was a Thursday.
            let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][Int(floorDivision(days, 7).1)]
            let monthName = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][month - 1]
            return "\(weekday), \(padded(day, 2)) \(monthName) \(padded(year, 4)) \(time):\(padded(second, 2)) GMT"
        }
    }

    /// An RFC 3339 time, the whole of `text`: `YYYY-MM-DDTHH:MM:SS`, an optional fraction, then `Z`
    /// or `±HH:MM`. Nil for anything else, a date that does not exist included.
    public static func parseISO8601(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t"),
              let whole = fields(bytes, dateAt: 0, timeAt: 11)
        else { return nil }
        var index = 19
        var fraction = 0.0
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            let start = index
            while index < bytes.count, let digit = digit(bytes[index]) {
                fraction += Double(digit) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        guard index < bytes.count else { return nil }
        var offset: Int64 = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            index += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard bytes.count - index >= 6, bytes[index + 3] == UInt8(ascii: ":"),
                  let hours = number(bytes, index + 1, 2), let minutes = number(bytes, index + 4, 2),
                  hours < 24, minutes < 60
            else { return nil }
            offset = Int64(hours * 3600 + minutes * 60) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
            index += 6
        default:
            return nil
        }
        guard index == bytes.count else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(whole - offset) + fraction)
    }

    /// An HTTP date in RFC 9110's preferred form, `Sun, 06 Nov 1994 08:49:37 GMT`, as seconds since
    /// 1970; nil for anything else (the obsolete RFC 850 and asctime forms are not read).
    public static func parseHTTPDate(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        let weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard bytes.count == 29, weekdays.contains(String(decoding: bytes[0..<3], as: UTF8.self)),
              bytes[3] == UInt8(ascii: ","), bytes[4] == UInt8(ascii: " "), bytes[7] == UInt8(ascii: " "),
              bytes[11] == UInt8(ascii: " "), bytes[16] == UInt8(ascii: " "), bytes[19] == UInt8(ascii: ":"),
              bytes[22] == UInt8(ascii: ":"), bytes[25] == UInt8(ascii: " "),
              ["GMT", "UTC"].contains(String(decoding: bytes[26..<29], as: UTF8.self)),
              let monthIndex = months.firstIndex(of: String(decoding: bytes[8..<11], as: UTF8.self)),
              let day = number(bytes, 5, 2), let year = number(bytes, 12, 4),
              let hour = number(bytes, 17, 2), let minute = number(bytes, 20, 2), let second = number(bytes, 23, 2)
        else { return nil }
        return seconds(year: year, month: monthIndex + 1, day: day, hour: hour, minute: minute, second: second)
    }

    // MARK: - Parts

    /// 2^52 milliseconds, about 142 000 years: every such count is exact in a Double.
    private static let maxMilliseconds = Double(1 << 52)

    /// Seconds since 1970 of `YYYY-MM-DD` at `dateAt` and `HH:MM:SS` at `timeAt`, checked.
    private static func fields(_ bytes: [UInt8], dateAt: Int, timeAt: Int) -> Int64? {
        guard bytes[dateAt + 4] == UInt8(ascii: "-"), bytes[dateAt + 7] == UInt8(ascii: "-"),
              bytes[timeAt + 2] == UInt8(ascii: ":"), bytes[timeAt + 5] == UInt8(ascii: ":"),
              let year = number(bytes, dateAt, 4), let month = number(bytes, dateAt + 5, 2),
              let day = number(bytes, dateAt + 8, 2), let hour = number(bytes, timeAt, 2),
              let minute = number(bytes, timeAt + 3, 2), let second = number(bytes, timeAt + 6, 2)
        else { return nil }
        return seconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    }

    /// Seconds since 1970, or nil when a field is out of range or the day is not in the month
    /// (a leap second, `:60`, is read as the next second, as RFC 3339 allows it to be written).
    private static func seconds(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int64? {
        guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
              hour < 24, minute < 60, second <= 60
        else { return nil }
        let days = Int64(LogTimestamp.daysFromCivil(year, month, day))
        return days * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's algorithm, the
    /// inverse of `LogTimestamp.daysFromCivil`).
    static func civil(fromDays days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (Int(yearOfEra + era * 400 + (month <= 2 ? 1 : 0)), Int(month), Int(day))
    }

    private static func floorDivision(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        let remainder = value % divisor
        return remainder < 0 ? (value / divisor - 1, remainder + divisor) : (value / divisor, remainder)
    }

    private static func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    private static func digit(_ byte: UInt8) -> Int? {
        (48...57).contains(byte) ? Int(byte - 48) : nil
    }

    private static func number(_ bytes: [UInt8], _ start: Int, _ count: Int) -> Int? {
        guard start + count <= bytes.count else { return nil }
        var value = 0
        for index in start..<(start + count) {
            guard let digit = digit(bytes[index]) else { return nil }
            value = value * 10 + digit
        }
        return value
    }
}
