/// What a Render metric series' `unit` says its values measure, as far as the doctor can tell.
///
/// Render documents the field as a free string (its schema's example is `GB`), so the doctor
/// converts only the units it can name with confidence and says which unit it could not read
/// rather than guess: a memory figure judged in the wrong unit is worse than none.
enum MetricUnit: Sendable, Equatable {
    /// An amount of data; multiply a value by `bytesPerUnit` to get bytes.
    case data(bytesPerUnit: Double)
    /// CPU time as a number of cores (`cpu`: 0.5 is half a core busy over the interval).
    case cores
    /// A count of events (`count`, `unitless`).
    case count
    /// A unit the doctor does not know; the text as Render sent it.
    case unknown(String)

    /// The unit of a series' `unit` text.
    ///
    /// The SI prefixes (`kB`/`KB`, `MB`, `GB`, `TB`) are decimal and the IEC ones (`KiB`, `MiB`,
    /// `GiB`, `TiB`) binary, as IEC 80000-13 defines them: a machine-written unit field that
    /// meant 2^20 had the binary name to say so. The runbooks' thresholds (`200MB`) follow the same
    /// rule, so "MB" means one thing everywhere in the doctor and a figure is never off by the 5 %
    /// (MB) to 7 % (GB) between the two readings.
    init(_ text: String?) {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
            self = .unknown("")
            return
        }
        switch text.lowercased() {
        case "b", "byte", "bytes": self = .data(bytesPerUnit: 1); return
        case "cpu", "cpus": self = .cores; return
        case "count", "unitless": self = .count; return
        default: break
        }
        let prefixes: [(String, Double)] = [("K", 1), ("M", 2), ("G", 3), ("T", 4)]
        for (prefix, power) in prefixes {
            // `kB` is the SI spelling, `KB` the common one; both mean 1000 bytes.
            if text == prefix + "B" || (prefix == "K" && text == "kB") {
                self = .data(bytesPerUnit: Self.power(1000, power))
                return
            }
            if text == prefix + "iB" {
                self = .data(bytesPerUnit: Self.power(1024, power))
                return
            }
        }
        self = .unknown(text)
    }

    /// How the unit is named in a summary: the text Render sent, or that it sent none.
    static func described(_ text: String?) -> String {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return "no unit" }
        return "unit \"\(String(text.prefix(24)))\""
    }

    private static func power(_ base: Double, _ exponent: Double) -> Double {
        (0..<Int(exponent)).reduce(1) { total, _ in total * base }
    }
}
