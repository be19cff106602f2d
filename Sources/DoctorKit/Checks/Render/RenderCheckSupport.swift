import Foundation

/// What the Render check kinds share: the client and service id from the configuration (or a skip
/// saying what to set), the evidence every Render step carries, and failed calls in plain words.
enum RenderCheckSupport {
    /// What to set to unlock the Render steps.
    static let setupHint = "Set RENDER_API_KEY (Render → Account Settings → API Keys) and RENDER_SERVICE_ID (srv-…, in the service's dashboard URL) so the doctor can read the service, its deploys, variables, metrics and logs."

    /// The default timeout of a Render step: room for a page or two and one 429 wait.
    static let defaultTimeout = Duration.seconds(20)

    /// The client and the service id, or the outcome to return when either is missing.
    static func client(_ context: CheckContext) -> Result<(client: RenderClient, service: String), StepStop> {
        let configuration = context.configuration
        let missing = ["RENDER_API_KEY", "RENDER_SERVICE_ID"].filter { configuration.value($0) == nil }
        if !missing.isEmpty {
            return .failure(StepStop(CheckOutcome(
                .skip, "skipped: \(missing.joined(separator: " and ")) \(missing.count == 1 ? "is" : "are") not set, so the Render API cannot be asked",
                hint: setupHint)))
        }
        do {
            let client = try RenderClient(configuration: configuration, http: context.http)
            return .success((client, configuration.value("RENDER_SERVICE_ID")!.trimmingCharacters(in: .whitespaces)))
        } catch {
            return .failure(StepStop(outcome(for: error, service: nil, evidence: Evidence())))
        }
    }

    /// Runs a Render step's `body` with the client, the service id and the evidence every Render
    /// step starts with; a missing input is a skip, a failed call an outcome in plain words.
    static func run(
        _ context: CheckContext,
        _ body: (RenderClient, String, inout Evidence) async throws(RenderAPIError) -> CheckOutcome
    ) async -> CheckOutcome {
        let (client, id): (RenderClient, String)
        switch self.client(context) {
        case let .success(built): (client, id) = built
        case let .failure(stop): return stop.outcome
        }
        var evidence = self.evidence(client, service: id)
        do {
            return try await body(client, id, &evidence)
        } catch {
            return outcome(for: error, service: id, evidence: evidence)
        }
    }

    /// Evidence every Render step carries: which service, which key (masked), which API base.
    static func evidence(_ client: RenderClient, service: String) -> Evidence {
        var evidence = Evidence()
        evidence["service_id"] = .string(service)
        evidence["key"] = .string(client.keyDisplay)
        if client.base != RenderClient.defaultBase { evidence["api_base"] = .string(client.base) }
        return evidence
    }

    /// The outcome of a Render call that failed. Every one is `unknown`: the Render API is the
    /// doctor's window on the service, so its failures say what the doctor could not see, not
    /// that the service is broken.
    static func outcome(for error: RenderAPIError, service: String?, evidence: Evidence) -> CheckOutcome {
        var evidence = evidence
        if let status = error.status { evidence["http_status"] = .int(status) }
        let summary = error.localizedDescription
        switch error {
        case .missingKey, .missingServiceID:
            return CheckOutcome(.skip, "skipped: \(summary)", evidence: evidence, hint: setupHint)
        case .invalidBase:
            return CheckOutcome(.unknown, summary, evidence: evidence,
                                hint: "Unset RENDER_API_BASE, or set it to an absolute URL such as https://api.render.com/v1.")
        case let .transport(httpError, _):
            if httpError == .cancelled { return CheckOutcome(.unknown, "cancelled", evidence: evidence) }
            return CheckOutcome(.unknown, summary, evidence: evidence,
                                hint: "Check outbound access to api.render.com from here and status.render.com.")
        case let .api(status, _, _, retryAfter):
            if let retryAfter { evidence["retry_after"] = .string(retryAfter) }
            switch status {
            case 401:
                return CheckOutcome(.unknown, summary, evidence: evidence,
                                    hint: "The key is wrong or revoked: create an API key in Render → Account Settings → API Keys and set RENDER_API_KEY.")
            case 403:
                return CheckOutcome(.unknown, summary, evidence: evidence,
                                    hint: "The key's owner cannot see this service: use a key of a member of the service's workspace.")
            case 404:
                let id = service.map { "service \($0)" } ?? "the service"
                return CheckOutcome(.unknown, "Render has no \(id) visible to this key (HTTP 404)", evidence: evidence,
                                    hint: "Check RENDER_SERVICE_ID: it is the srv-… id in the service's dashboard URL, and the key must belong to the same workspace.")
            case 429:
                return CheckOutcome(.unknown, summary, evidence: evidence,
                                    hint: "The Render API's rate limit for this key is used up (other tools share it): run the doctor again in a minute.")
            default:
                return CheckOutcome(.unknown, summary, evidence: evidence,
                                    hint: "Render's API is failing: check status.render.com.")
            }
        case .invalidResponse:
            return CheckOutcome(.unknown, summary, evidence: evidence,
                                hint: "The answer is not Render's: if RENDER_API_BASE is set, it points at something else; otherwise a proxy answered in Render's place.")
        case .budgetExhausted:
            return CheckOutcome(.unknown, summary, evidence: evidence, hint: "Run the doctor again in a minute.")
        }
    }
}
