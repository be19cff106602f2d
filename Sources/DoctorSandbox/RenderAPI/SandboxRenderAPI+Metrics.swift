import DoctorKit
import Foundation

extension SandboxRenderAPI {
    /// The most points one series holds; a finer resolution over a longer range is coarsened to fit.
    static let maxPoints = 1000
    /// The doctor reads `MB` as 10^6 bytes; the stand-in's figures are made in the same unit so the
    /// README's "about 150 MB" is what the doctor prints.
    static let megabyte = 1_000_000.0
    /// The unit each metric's series carries: memory and network I/O in bytes, CPU in cores (the
    /// names Render's own tools' fakes use; the field is a free string, api-facts section 9).
    static let metricUnits = ["memory": "bytes", "cpu": "cpu", "bandwidth": "bytes"]

    /// `GET /metrics/memory`, `/metrics/cpu` and `/metrics/bandwidth`: one series per instance of
    /// each asked-for resource, `{labels:[{field,value}], unit, values:[{timestamp, value}]}`; memory
    /// in bytes, CPU in cores, network I/O as the bytes sent and received in each interval.
    ///
    /// Parameters: `resource` (repeatable; the deprecated `service` too), `startTime`/`endTime`
    /// (RFC 3339 or epoch seconds; default the hour to now), `resolutionSeconds` (default 60, at
    /// least 30), `instance`, and for CPU `aggregationMethod` (AVG, MAX, MIN); any other is a 400.
    func metrics(_ name: String, _ request: ServerRequest) -> ServerResponse {
        let known = ["resource", "service", "startTime", "endTime", "resolutionSeconds", "instance"] + (name == "cpu" ? ["aggregationMethod"] : [])
        if let refusal = unknownParameter(request, allowed: known) { return refusal }
        let resources = request.queryItems.filter { $0.0 == "resource" || $0.0 == "service" }.map(\.1)
        guard !resources.isEmpty else { return error(400, "resource is required") }
        let nowMS = Int((Date().timeIntervalSince1970 * 1000).rounded())
        var end = nowMS
        if let text = request.query["endTime"] {
            guard let time = StandInTime.parse(text) else { return error(400, "invalid endTime: \(Self.clipped(text))") }
            end = time
        }
        var start = end - 3_600_000
        if let text = request.query["startTime"] {
            guard let time = StandInTime.parse(text) else { return error(400, "invalid startTime: \(Self.clipped(text))") }
            start = time
        }
        guard start <= end else { return error(400, "startTime must be before endTime") }
        var resolution = 60
        if let text = request.query["resolutionSeconds"] {
            guard let value = Double(text), value >= 30 else { return error(400, "resolutionSeconds must be a number of at least 30") }
            resolution = Int(value)
        }
        if name == "cpu", let method = request.query["aggregationMethod"], !["AVG", "MAX", "MIN"].contains(method) {
            return error(400, "aggregationMethod must be one of AVG, MAX, MIN")
        }
        let span = end - start
        if span / (resolution * 1000) >= Self.maxPoints { resolution = span / 1000 / (Self.maxPoints - 1) + 1 }
        guard resources.contains(service.id), request.query["instance"].map({ $0 == service.instance }) ?? true else {
            return ok(.array([]))
        }
        // Points on multiples of the resolution; none before the service existed or while it is suspended.
        let step = resolution * 1000
        var time = max(start, service.created).ceilingMultiple(of: step)
        let last = min(end, service.suspendedAt ?? end)
        var values: [JSONValue] = []
        while time <= last {
            let value: JSONValue = switch name {
            case "memory": .int(Int(memoryBytes(at: time).rounded()))
            case "bandwidth": .int(Int(networkBytes(at: time, interval: resolution).rounded()))
            default: .double((cpuCores(at: time) * 10_000).rounded() / 10_000)
            }
            values.append(.object([("timestamp", .string(StandInTime.format(milliseconds: time))), ("value", value)]))
            time += step
        }
        return ok(.array([.object([
            ("labels", .array([
                .object([("field", .string("resource")), ("value", .string(service.id))]),
                .object([("field", .string("instance")), ("value", .string(service.instance))]),
            ])),
            ("unit", .string(Self.metricUnits[name] ?? "unitless")),
            ("values", .array(values)),
        ])]))
    }

    /// The instance's memory at `time` (ms): flat about 150 MB; under `memory-climb` a leak from
    /// 180 MB an hour before the sandbox started, 360 MB an hour, so the default hour ends near 540.
    func memoryBytes(at time: Int) -> Double {
        let seconds = Double(time) / 1000
        if fault == .memoryClimb {
            let leakStart = Double(createdAt - 3600)
            let climbed = max(0, seconds - leakStart) / 3600 * 360
            return (180 + climbed + 4 * Self.noise(time, salt: 1)) * Self.megabyte
        }
        return (150 + 6 * sin(seconds / 5400 * 2 * .pi) + 3 * Self.noise(time, salt: 1)) * Self.megabyte
    }

    /// The bytes in and out over the `interval` seconds ending at `time` (ms): each request and
    /// its answer about 1.5 kB, plus Stripe's deliveries, so a steady hour is about 11 MB.
    func networkBytes(at time: Int, interval: Int) -> Double {
        let perSecond = Double(Self.requestsPerSecond) * 1500 * (1 + 0.1 * Self.noise(time, salt: 3))
        return perSecond * Double(interval)
    }

    /// The instance's CPU at `time` (ms), in cores: 0.05–0.2, as a lightly used Node process.
    func cpuCores(at time: Int) -> Double {
        let seconds = Double(time) / 1000
        return min(0.2, max(0.05, 0.11 + 0.04 * sin(seconds / 3700 * 2 * .pi) + 0.04 * Self.noise(time, salt: 2)))
    }

    /// Noise in -1…1 that depends only on the time, so two requests for a point agree.
    static func noise(_ time: Int, salt: UInt64) -> Double {
        // SplitMix64's finaliser: a well-mixed hash of the time.
        var z = UInt64(bitPattern: Int64(time / 1000)) &+ salt &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 53) * 2 - 1
    }
}

extension Int {
    /// The smallest multiple of `step` at or above the value.
    func ceilingMultiple(of step: Int) -> Int { -((-self).floorDivided(by: step)) * step }
}
