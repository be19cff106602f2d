import Foundation

/// One series of Render's metrics answer: `{labels:[{field,value}], unit, values:[{timestamp, value}]}`.
struct MetricSeries: Sendable {
    var instance: String?
    /// The `unit` text as Render sent it; nil when the series had none.
    var unit: String?
    var points: [(timestamp: Date, value: Double)]

    /// What `unit` says the values measure.
    var measure: MetricUnit { MetricUnit(unit) }

    /// Every series of an answer, points in time order; malformed points are left out.
    static func read(_ json: JSONValue) -> [MetricSeries] {
        guard case let .array(list) = json else { return [] }
        return list.map { series in
            var instance: String?
            if case let .array(labels)? = series["labels"] {
                instance = labels.first { $0.string("field") == "instance" }?.string("value")
            }
            var points: [(Date, Double)] = []
            if case let .array(values)? = series["values"] {
                for value in values {
                    let time = value.string("timestamp").flatMap(RenderTime.parse)
                        ?? value.int("timestamp").map { Date(timeIntervalSince1970: Double($0)) }
                    let number: Double?
                    switch value["value"] {
                    case let .double(d)?: number = d
                    case let .int(i)?: number = Double(i)
                    default: number = nil
                    }
                    if let time, let number { points.append((time, number)) }
                }
            }
            return MetricSeries(instance: instance, unit: series.string("unit"), points: points.sorted { $0.0 < $1.0 })
        }
    }
}
