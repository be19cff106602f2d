import Foundation
import Testing

@testable import DoctorKit

private let here = SourceLocation(file: "deploy.yml", line: 1, column: 1)

/// A series of `count` points a minute apart ending now, each `value` in `unit`.
private func series(_ unit: String?, _ values: [Double], instance: String = "srv-a-1") -> MetricSeries {
    let now = Date()
    let points = values.enumerated().map { (now.addingTimeInterval(Double($0.offset - values.count) * 60), $0.element) }
    return MetricSeries(instance: instance, unit: unit, points: points.map { (timestamp: $0.0, value: $0.1) })
}

private let probe = RenderMetricsCheck.Probe(window: .seconds(3600), warn: 200, fail: 500, timeout: .seconds(20))
private let flatCPU = [series("cpu", Array(repeating: 0.1, count: 10))]
private let flatNetwork: Result<[MetricSeries], RenderAPIError> = .success([series("bytes", Array(repeating: 200_000, count: 10))])

/// Issue 19, item 2: Render's metrics read in the unit each series carries, never assumed to be bytes.
@Suite("Render metric units")
struct RenderMetricUnitTests {
    @Test("units: bytes, decimal SI sizes, binary IEC sizes, cores, counts; anything else is unknown and keeps its text")
    func units() {
        #expect(MetricUnit("bytes") == .data(bytesPerUnit: 1))
        #expect(MetricUnit("B") == .data(bytesPerUnit: 1))
        #expect(MetricUnit("kB") == .data(bytesPerUnit: 1000))
        #expect(MetricUnit("KB") == .data(bytesPerUnit: 1000))
        #expect(MetricUnit("MB") == .data(bytesPerUnit: 1_000_000))
        #expect(MetricUnit("GB") == .data(bytesPerUnit: 1_000_000_000))
        #expect(MetricUnit("KiB") == .data(bytesPerUnit: 1024))
        #expect(MetricUnit("MiB") == .data(bytesPerUnit: 1_048_576))
        #expect(MetricUnit("GiB") == .data(bytesPerUnit: 1_073_741_824))
        #expect(MetricUnit("cpu") == .cores)
        #expect(MetricUnit("count") == .count)
        #expect(MetricUnit("percent") == .unknown("percent"))
        #expect(MetricUnit("mb") == .unknown("mb"), "millibits or megabytes: not guessed")
        #expect(MetricUnit(nil) == .unknown(""))
    }

    @Test("the schema's own example: memory in GB is converted, 0.6 GB is over the 500 MB critical band")
    func gigabytes() {
        let outcome = probe.judge(memory: [series("GB", Array(repeating: 0.6, count: 10))], cpu: flatCPU, bandwidth: flatNetwork, evidence: Evidence())
        #expect(outcome.status == .fail, "\(outcome.summary)")
        #expect(outcome.summary.hasPrefix("memory 600 MB now, 600 MB at most over 1h (over the 500 MB critical threshold)"), "\(outcome.summary)")
        #expect(outcome.evidence["memory"]?["unit"] == .string("GB"))
    }

    @Test("MiB are binary: 180 MiB is 189 MB, still healthy; 200 MiB is 210 MB, over the healthy band")
    func mebibytes() {
        let healthy = probe.judge(memory: [series("MiB", Array(repeating: 180, count: 10))], cpu: flatCPU, bandwidth: flatNetwork, evidence: Evidence())
        #expect(healthy.status == .pass && healthy.summary.hasPrefix("memory 189 MB now"), "\(healthy.summary)")
        let warned = probe.judge(memory: [series("MiB", Array(repeating: 200, count: 10))], cpu: flatCPU, bandwidth: flatNetwork, evidence: Evidence())
        #expect(warned.status == .warn && warned.summary.hasPrefix("memory 210 MB now"), "\(warned.summary)")
    }

    @Test("memory in a unit the doctor does not know is unknown, naming the unit, and not judged", arguments: ["percent", "mb", ""])
    func unknownMemoryUnit(_ unit: String) {
        let outcome = probe.judge(memory: [series(unit.isEmpty ? nil : unit, Array(repeating: 9000, count: 10))], cpu: flatCPU,
                                  bandwidth: flatNetwork, evidence: Evidence())
        #expect(outcome.status == .unknown)
        #expect(outcome.summary.contains(unit.isEmpty ? "no unit" : "unit \"\(unit)\""), "\(outcome.summary)")
        #expect(outcome.summary.contains("memory not judged"))
        #expect(!(outcome.hint ?? "").isEmpty)
        #expect(outcome.evidence["memory_over_critical"] == nil)
    }

    @Test("one instance in bytes and one in an unknown unit: not judged either, rather than half the service")
    func mixedUnits() {
        let memory = [series("bytes", Array(repeating: 100_000_000, count: 10)), series("furlongs", Array(repeating: 3, count: 10), instance: "srv-a-2")]
        #expect(probe.judge(memory: memory, cpu: flatCPU, bandwidth: flatNetwork, evidence: Evidence()).status == .unknown)
    }

    @Test("CPU in cores is shown as cores; in another unit it is shown as sent, not converted, and changes no verdict")
    func cpuUnits() {
        let memory = [series("bytes", Array(repeating: 150_000_000, count: 10))]
        let cores = probe.judge(memory: memory, cpu: flatCPU, bandwidth: flatNetwork, evidence: Evidence())
        #expect(cores.status == .pass && cores.summary.contains("CPU 0.10 cores now"), "\(cores.summary)")
        let percent = probe.judge(memory: memory, cpu: [series("percent", Array(repeating: 95, count: 10))], bandwidth: flatNetwork, evidence: Evidence())
        #expect(percent.status == .pass)
        #expect(percent.summary.contains("CPU 95.00 now, 95.00 at most (in unit \"percent\", not converted)"), "\(percent.summary)")
    }

    @Test("network I/O is shown in MB over the window and never judged: huge, unknown-unit or unreadable, the verdict stays")
    func networkIO() {
        let memory = [series("bytes", Array(repeating: 150_000_000, count: 10))]
        let shown = probe.judge(memory: memory, cpu: flatCPU, bandwidth: flatNetwork, evidence: Evidence())
        #expect(shown.summary.hasSuffix("network I/O 2.0 MB over 1h"), "\(shown.summary)")
        #expect(shown.evidence["network_io"]?["total_mb"] == .double(2))
        let huge = probe.judge(memory: memory, cpu: flatCPU, bandwidth: .success([series("GB", Array(repeating: 50, count: 10))]), evidence: Evidence())
        #expect(huge.status == .pass && huge.summary.contains("network I/O 500000.0 MB over 1h"), "\(huge.summary)")
        let odd = probe.judge(memory: memory, cpu: flatCPU, bandwidth: .success([series("packets", Array(repeating: 7, count: 10))]), evidence: Evidence())
        #expect(odd.status == .pass && odd.summary.contains("network I/O 70.00 over 1h (in unit \"packets\", not converted)"), "\(odd.summary)")
        let failed = probe.judge(memory: memory, cpu: flatCPU, bandwidth: .failure(.api(status: 500, message: nil, code: nil, retryAfter: nil)), evidence: Evidence())
        #expect(failed.status == .pass && failed.summary.hasSuffix("network I/O could not be read"), "\(failed.summary)")
    }

    @Test("thresholds: MB and GB decimal, MiB and GiB binary, a bare number megabytes; another unit refused")
    func thresholds() throws {
        func read(_ text: String) throws -> Double? {
            try RenderMetricsCheck.megabytes(.scalar(text, here, quoted: false), "warn")
        }
        #expect(try read("200MB") == 200)
        #expect(try read("1GB") == 1000)
        #expect(try read("512 MiB") == 536.870912)
        #expect(try read("1GiB") == 1073.741824)
        #expect(try read("250") == 250)
        #expect(throws: RunbookError.self) { try read("200 furlongs") }
        #expect(throws: RunbookError.self) { try read("MB") }
    }
}
