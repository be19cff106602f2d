import Foundation

/// The machine-readable report of docs/architecture.md, "Statuses and exit codes": one JSON document per run.
public enum JSONRenderer {
    /// The report as pretty-printed JSON text.
    public static func render(_ report: RunReport) -> String {
        render(encodable: report)
    }

    /// Any encodable value as the doctor's JSON (ISO 8601 UTC dates, stable key order).
    public static func render(encodable value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .withoutEscapingSlashes, .sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(UTCTime.string(date, .iso8601))
        }
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
