import Foundation
import Testing

@testable import DoctorKit

/// UTCTime writes what Foundation's ICU formatters wrote before it replaced them, and reads back
/// what it writes; the formatters stay here as the reference.
@Suite("UTC times")
struct UTCTimeTests {
    /// Random instants from 1970 to 2100, with fractions of a second, and the edges around leap days.
    static let instants: [Date] = {
        var generator = SystemRandomNumberGenerator()
        let random = (0..<20_000).map { _ in
            Date(timeIntervalSince1970: Double.random(in: 0..<4_102_444_800, using: &generator))
        }
        let edges = ["2000-02-29T23:59:59Z", "2024-02-29T00:00:00Z", "2100-03-01T00:00:00Z", "1970-01-01T00:00:00Z",
                     "2026-12-31T23:59:59Z"].map { ISO8601DateFormatter().date(from: $0)! }
        return random + edges
    }()

    func formatter(_ format: String) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = format
        return formatter
    }

    @Test("each layout is what Foundation's formatters write, for 20 005 instants")
    func layoutsMatchFoundation() {
        let iso = ISO8601DateFormatter()
        let milliseconds = ISO8601DateFormatter()
        milliseconds.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let readable = formatter("yyyy-MM-dd HH:mm:ss 'UTC'")
        let minutes = formatter("yyyy-MM-dd HH:mm 'UTC'")
        let compact = formatter("yyyyMMdd'T'HHmmss'Z'")
        for date in Self.instants {
            #expect(UTCTime.string(date, .iso8601) == iso.string(from: date))
            #expect(UTCTime.string(date, .readable) == readable.string(from: date))
            #expect(UTCTime.string(date, .readableMinutes) == minutes.string(from: date))
            #expect(UTCTime.string(date, .compact) == compact.string(from: date))
            // Both round to a millisecond, by different float steps: they name the instant within 1 ms.
            let ours = UTCTime.parseISO8601(UTCTime.string(date, .iso8601Milliseconds))!
            let theirs = milliseconds.date(from: milliseconds.string(from: date))!
            #expect(abs(ours.timeIntervalSince(theirs)) < 0.0011)
            #expect(abs(date.timeIntervalSince(ours)) < 0.000_501)
        }
    }

    @Test("RFC 3339 times are read with a fraction, an offset or Z, and nothing else is")
    func parsing() {
        #expect(UTCTime.parseISO8601("2026-12-02T14:00:00Z") == Date(timeIntervalSince1970: 1_796_220_000))
        #expect(UTCTime.parseISO8601("2026-12-02T14:00:00.250Z") == Date(timeIntervalSince1970: 1_796_220_000.25))
        #expect(UTCTime.parseISO8601("2026-12-02T15:30:00+01:30") == Date(timeIntervalSince1970: 1_796_220_000))
        #expect(UTCTime.parseISO8601("2026-12-02T12:00:00.5-02:00") == Date(timeIntervalSince1970: 1_796_220_000.5))
        for bad in ["", "2026-12-02", "2026-12-02T14:00:00", "2026-12-02 14:00:00Z", "2026-02-30T00:00:00Z",
                    "2026-13-01T00:00:00Z", "2026-12-02T24:00:00Z", "2026-12-02T14:00:00Zjunk", "2026-12-02T14:00:00.Z",
                    "2026-12-02T14:00:00+0100", "２026-12-02T14:00:00Z", "2026-12-02T14:00:00+25:00"] {
            #expect(UTCTime.parseISO8601(bad) == nil, "\(bad)")
        }
    }

    @Test("a time no clock can hold is written clamped, not trapped on")
    func absurdTimes() {
        for seconds in [1e18, -1e18, Double.infinity, -Double.infinity, Double.nan, Double(Int64.max)] {
            let text = UTCTime.string(Date(timeIntervalSince1970: seconds), .iso8601)
            #expect(text.hasSuffix("Z") && text.count >= 20, "\(seconds): \(text)")
        }
        #expect(UTCTime.string(Date(timeIntervalSince1970: .nan), .iso8601) == "1970-01-01T00:00:00Z")
    }

    @Test("HTTP dates are read in RFC 9110's preferred form")
    func httpDates() {
        #expect(UTCTime.parseHTTPDate("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        #expect(UTCTime.parseHTTPDate("Wed, 02 Dec 2026 14:00:00 UTC") == 1_796_220_000)
        for bad in ["Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "Sun, 06 Nov 1994 08:49:37 PST",
                    "Sun, 31 Feb 1994 08:49:37 GMT", "Xyz, 06 Nov 1994 08:49:37 GMT", ""] {
            #expect(UTCTime.parseHTTPDate(bad) == nil, "\(bad)")
        }
    }
}
