import Foundation

/// The `render-service` check kind: the service exists, is not suspended, is served at `API_URL`,
/// and Render health-checks the path the runbooks probe (api-facts section 3).
public struct RenderServiceCheck: CheckKind {
    public static let name = "render-service"

    public static func make(_ parameters: ParameterReader, step: StepSettings) throws(RunbookError) -> any Check {
        try step.rejectThresholds(kind: name)
        let healthPath = try parameters.optionalString("health_path") ?? "/api/health"
        try parameters.finish(kind: name)
        return Probe(healthPath: healthPath, timeout: step.timeout ?? RenderCheckSupport.defaultTimeout)
    }

    /// A configured `render-service` step.
    struct Probe: Check {
        let healthPath: String
        let timeout: Duration

        func run(in context: CheckContext) async -> CheckOutcome {
            await RenderCheckSupport.run(context) { (client, id, evidence) throws(RenderAPIError) in
                let response = try await client.get("/services/\(Self.pathComponent(id))", deadline: context.deadline)
                guard let service = RenderService(response.json) else {
                    return CheckOutcome(.unknown, "the Render API answered without a service object", evidence: evidence)
                }
                // Render answered with the service: the key and the id work, whatever their shape said.
                return judge(service, context: context, evidence: &evidence).proving("RENDER_API_KEY", "RENDER_SERVICE_ID")
            }
        }

        private func judge(_ service: RenderService, context: CheckContext, evidence: inout Evidence) -> CheckOutcome {
            if let name = service.name { evidence["name"] = .string(name) }
            if let type = service.type { evidence["type"] = .string(type) }
            if let url = service.url { evidence["url"] = .string(url) }
            evidence["suspended"] = .bool(service.suspended)
            if let owner = service.ownerID { evidence["owner_id"] = .string(owner) }
            if let path = service.healthCheckPath { evidence["health_check_path"] = .string(path) }
            if let instances = service.instances { evidence["instances"] = .int(instances) }
            if let plan = service.plan { evidence["plan"] = .string(plan) }
            if let region = service.region { evidence["region"] = .string(region) }
            if let branch = service.branch { evidence["branch"] = .string(branch) }
            if let dashboard = service.dashboardURL { evidence["dashboard_url"] = .string(dashboard) }
            let who = "service \(service.id)" + (service.name.map { " (\($0))" } ?? "")

            if service.suspended {
                let by = service.suspenders.isEmpty ? "" : " by \(service.suspenders.joined(separator: ", "))"
                return CheckOutcome(.fail, "\(who) is suspended\(by): it serves no traffic", evidence: evidence,
                                    hint: "Resume the service in the Render dashboard (or fix the billing issue that suspended it); webhooks fail until it runs again, and Stripe retries them for up to 3 days.")
            }
            var warnings: [String] = []
            var failures: [String] = []
            if let url = service.url, let api = context.configuration.value("API_URL") {
                let served = Origin(url), configured = Origin(api)
                if let served, let configured, served != configured {
                    let both = served.host.hasSuffix(".onrender.com") && configured.host.hasSuffix(".onrender.com")
                    let text = "Render serves \(service.id) at \(url), but API_URL is \(api)"
                    // Two onrender.com hosts are two services; any other host may be a custom domain.
                    if both {
                        failures.append("\(text): RENDER_SERVICE_ID and API_URL name different services")
                    } else {
                        warnings.append("\(text) (a custom domain in front of it?)")
                    }
                }
            }
            let path = service.healthCheckPath ?? ""
            if path.isEmpty {
                warnings.append("no health check path is set: Render only checks that the port is open, so an instance answering 500 stays in routing")
            } else if path != healthPath {
                warnings.append("Render health-checks \(path), not \(healthPath), which the runbooks probe")
            }
            let summary = "\(who) is running (\(service.type ?? "service")\(service.url.map { " at \($0)" } ?? ""))"
            if !failures.isEmpty {
                return CheckOutcome(.fail, (failures + warnings).joined(separator: "; "), evidence: evidence,
                                    hint: "Set API_URL to the service's public URL (serviceDetails.url), or RENDER_SERVICE_ID to the id of the service at API_URL.")
            }
            if !warnings.isEmpty {
                return CheckOutcome(.warn, "\(summary); " + warnings.joined(separator: "; "), evidence: evidence,
                                    hint: "Set the service's Health Check Path to \(healthPath) in Render (Settings → Health Checks), so Render takes a failing instance out of routing and restarts it.")
            }
            return CheckOutcome(.pass, "\(summary), health check \(path)", evidence: evidence)
        }

        /// The id as one path segment: a stray `/` or `?` in the variable must not change the path.
        static func pathComponent(_ id: String) -> String {
            id.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_"))) ?? id
        }
    }
}
