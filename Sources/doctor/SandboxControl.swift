import DoctorKit
import DoctorSandbox
import Foundation

/// `doctor demo --lift-fault` and `--set-fault NAME`: switch the fault of a sandbox served in
/// another terminal (`doctor demo --serve`) through its `/sandbox/fault` route, so a `doctor watch`
/// elsewhere sees the fix land. Starts no sandbox of its own.
enum SandboxControl {
    /// Asks the sandbox at `base` to switch to `fault` (nil: lift); prints one line, returns the exit code.
    static func run(fault: SandboxFault?, base: String?, console: Console) async -> Int32 {
        guard let base, !base.isEmpty else {
            console.error("API_URL is not set: export the variables `doctor demo --serve` printed, or pass --sandbox URL")
            return ExitStatus.unknown.rawValue
        }
        let trimmed = base.hasSuffix("/") ? String(base.dropLast()) : base
        let shown = displayed(trimmed)
        guard trimmed.hasPrefix("http://") || trimmed.hasPrefix("https://") else {
            console.error("\(shown) is not an http URL, so it is not a doctor sandbox")
            return ExitStatus.usage.rawValue
        }
        // A sandbox listens on loopback only; an API_URL from a .env may name the real service,
        // which must never receive this POST.
        guard let host = URLComponents(string: trimmed)?.host?.lowercased(), ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host) else {
            console.error("refused: \(shown) is not on this machine's loopback, so it is not a doctor sandbox (the sandbox listens on 127.0.0.1)")
            return ExitStatus.usage.rawValue
        }
        let body = JSONValue.object([("fault", fault.map { .string($0.name) } ?? .null)])
        let request = HTTPRequest(
            method: "POST", url: trimmed + Sandbox.faultRoute, headers: [("Content-Type", "application/json")],
            body: try? JSONEncoder().encode(body),
            // A switch may start the sandbox's PostgreSQL again (lifting db-down): seconds, not minutes.
            timeout: .seconds(60), maxBodyBytes: 64 << 10)
        let client = HTTPClient()
        defer { client.close() }
        let response: HTTPResponse
        do {
            response = try await client.perform(request)
        } catch {
            console.error("cannot reach the sandbox at \(shown): \(error.localizedDescription)")
            return ExitStatus.unknown.rawValue
        }
        let json = JSONValue.parse(response.body)
        switch response.status {
        case 200:
            guard let json, json["fault"] != nil else { break }
            console.out("sandbox at \(shown): " + summary(json, asked: fault))
            return ExitStatus.ok.rawValue
        case 400:
            if case let .string(message)? = json?["error"] {
                console.error("sandbox at \(shown) refused: \(message)")
                return ExitStatus.usage.rawValue
            }
        case 500:
            if case let .string(message)? = json?["error"] {
                console.error("sandbox at \(shown): \(message)")
                return ExitStatus.unknown.rawValue
            }
        default: break
        }
        console.error("\(shown) is not a doctor sandbox (no \(Sandbox.faultRoute) route: HTTP \(response.status))")
        return ExitStatus.unknown.rawValue
    }

    /// `fault wrong-secret lifted; the sandbox is healthy`, or what was set and what it does.
    static func summary(_ json: JSONValue, asked: SandboxFault?) -> String {
        let previous: String? = if case let .string(name)? = json["previous"] { name } else { nil }
        guard let asked else {
            return (previous.map { "fault \($0) lifted" } ?? "no fault to lift") + "; the sandbox is healthy"
        }
        return "fault \(asked.name) set (was \(previous.map { "fault \($0)" } ?? "healthy")): \(asked.summary)"
    }

    /// The URL without user information, so a password in `API_URL` is never printed.
    static func displayed(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.user != nil || components.password != nil else { return url }
        components.user = nil
        components.password = nil
        return components.string ?? url
    }
}
