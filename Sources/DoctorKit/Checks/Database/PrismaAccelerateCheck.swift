import Foundation

/// Check kind `prisma-accelerate`: when `DATABASE_URL` goes through Prisma Accelerate, its host
/// answers over HTTPS; and a reminder that hosted Accelerate is retired on 2026-12-01.
///
/// No credential is sent: any HTTP answer proves the host is reachable, which is all the doctor
/// can see without speaking Prisma's protocol. A direct `DATABASE_URL` skips the step.
public struct PrismaAccelerateCheck: CheckKind {
    public static let name = "prisma-accelerate"

    /// The day hosted Accelerate stops (api-facts section 5).
    static let retirement = DateComponents(calendar: Calendar(identifier: .gregorian), timeZone: TimeZone(identifier: "UTC"),
                                           year: 2026, month: 12, day: 1).date!

    public static func make(_ parameters: ParameterReader, step: StepSettings) throws(RunbookError) -> any Check {
        let variable = try DatabaseStep.variable(parameters)
        try parameters.finish(kind: name)
        let limits = try step.latencyLimits(warn: .seconds(1), fail: .seconds(5), timeout: .seconds(10))
        return Probe(variable: variable, warn: limits.warn, fail: limits.fail, timeout: limits.timeout)
    }

    /// A configured `prisma-accelerate` step.
    struct Probe: Check {
        let variable: String
        let warn: Duration
        let fail: Duration
        let timeout: Duration

        func run(in context: CheckContext) async -> CheckOutcome {
            guard let value = context.configuration.value(variable) else {
                return CheckOutcome(.unknown, "\(variable) is not set")
            }
            guard DatabaseStep.isAccelerate(value) else {
                return CheckOutcome(.skip, "\(variable) is a direct connection: no Prisma Accelerate to check")
            }
            guard let parts = URLParts.split(value), !parts.hostport.isEmpty else {
                return CheckOutcome(.unknown, "\(variable) is an Accelerate URL without a host")
            }
            let local = URLParts.isLocal(parts.hostAndPort.host)
            let url = (local ? "http://" : "https://") + parts.hostport + "/"
            var evidence = Evidence()
            evidence["accelerate_url"] = .string(url)
            let response: HTTPResponse
            do {
                response = try await context.http.perform(HTTPRequest(method: "GET", url: url, timeout: min(timeout, context.remaining)))
            } catch {
                evidence["error"] = .string(error.localizedDescription)
                return CheckOutcome(.fail, "Prisma Accelerate at \(parts.hostport) is unreachable: \(error.localizedDescription)", evidence: evidence,
                                    hint: "Check the Prisma Accelerate status in the Prisma console (console.prisma.io): API errors and timeouts.")
            }
            evidence["status"] = .int(response.status)
            evidence["timings"] = response.timings.json
            let summary = "Accelerate at \(parts.hostport) answered HTTP \(response.status) in \(response.timings.total.short)"
            if local { return CheckOutcome(.pass, summary + " (local Prisma Postgres)", evidence: evidence) }
            let retirement = "hosted Accelerate is being retired on 2026-12-01: move DATABASE_URL to a direct or pooled postgres:// URL"
            if Date() >= PrismaAccelerateCheck.retirement {
                return CheckOutcome(.fail, "\(summary), but \(retirement)", evidence: evidence, hint: "Hosted Prisma Accelerate was retired on 2026-12-01: switch to a direct connection (see Prisma's switch-from-accelerate guide).")
            }
            if response.timings.total >= fail {
                return CheckOutcome(.fail, "\(summary), over the \(fail.short) critical threshold", evidence: evidence)
            }
            return CheckOutcome(.warn, "\(summary); \(retirement)", evidence: evidence,
                                hint: "Plan the move off hosted Accelerate before 2026-12-01 (Prisma's switch-from-accelerate guide); set DIRECT_URL so the doctor checks the database itself.")
        }
    }
}
