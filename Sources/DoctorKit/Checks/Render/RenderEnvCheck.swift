import Foundation

/// The `render-env` check kind: the deployed service has every variable the runbooks need, each
/// passes the same validators as the local ones, and the deployed secrets are the local ones.
///
/// The comparison happens inside the process: neither value, nor any hash of it, is printed; the
/// evidence only says "same as local", "differs from local" or which part of a URL differs.
public struct RenderEnvCheck: CheckKind {
    public static let name = "render-env"

    public static func make(_ parameters: ParameterReader, step: StepSettings) throws(RunbookError) -> any Check {
        try step.rejectThresholds(kind: name)
        let required = try parameters.stringList("required") ?? ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "DATABASE_URL"]
        let recommended = try parameters.stringList("recommended") ?? ["SENTRY_DSN"]
        let compare = try parameters.stringList("compare") ?? ["STRIPE_WEBHOOK_SECRET", "STRIPE_SECRET_KEY", "DATABASE_URL"]
        for (key, names) in [("required", required), ("recommended", recommended), ("compare", compare)] {
            if let bad = names.first(where: { !EnvCheck.isVariableName($0) }) {
                throw RunbookError(parameters.value(key)!.location, "`\(key)` items must be variable names such as DATABASE_URL, found \"\(bad.prefix(40))\"")
            }
        }
        try parameters.finish(kind: name)
        return Probe(required: required, recommended: recommended, compare: compare,
                     timeout: step.timeout ?? RenderCheckSupport.defaultTimeout)
    }

    /// A configured `render-env` step.
    struct Probe: ProofAwareCheck {
        let required: [String]
        let recommended: [String]
        let compare: [String]
        let timeout: Duration

        func run(in context: CheckContext) async -> CheckOutcome {
            await RenderCheckSupport.run(context) { (client, id, evidence) throws(RenderAPIError) in
                var deployed: [String: String] = [:]
                let listed = try await client.list(
                    "/services/\(RenderServiceCheck.Probe.pathComponent(id))/env-vars", itemKey: "envVar",
                    pageSize: 100, maxItems: 1000, deadline: context.deadline)
                for item in listed.items {
                    if let key = item.string("key") { deployed[key] = item.string("value") ?? "" }
                }
                evidence["deployed_variables"] = .int(deployed.count)
                // Names only, so a later run can say which variables appeared or went (never a value).
                evidence["deployed_names"] = .array(deployed.keys.sorted().map { .string($0) })
                return judge(deployed, local: context.configuration, evidence: evidence)
            }
        }

        /// The variables the step judges, required first.
        var names: [String] { required + recommended.filter { !required.contains($0) } }

        func judge(_ deployed: [String: String], local: Configuration, evidence start: Evidence) -> CheckOutcome {
            var evidence = start
            var remote = Configuration()
            for (key, value) in deployed { remote.set(key, value, origin: .process) }
            for name in names {
                var entry: [(String, JSONValue)] = []
                var problems: [JSONValue] = []
                func problem(_ status: Status, _ text: String) {
                    problems.append(.object([("status", .string(status.rawValue)), ("text", .string(text))]))
                }
                if let value = deployed[name], !value.isEmpty {
                    let finding = VariableValidators.validate(name, value, in: remote)
                    entry.append(("status", .string(finding.status.rawValue)))
                    if let shown = finding.shown { entry.append(("shown", .string(shown))) }
                    entry.append(("message", .string(finding.message)))
                    switch finding.status {
                    case .fail: problem(.fail, "deployed \(name) invalid: \(finding.message)")
                    case .warn: problem(.warn, "deployed \(name): \(finding.message)")
                    case .pass: break
                    }
                    if compare.contains(name), let mine = local.value(name) {
                        let comparison = Self.compare(name, deployed: value, local: mine)
                        entry.append(("local", .string(comparison.text)))
                        if let text = comparison.problem { problem(comparison.fails ? .fail : .warn, text) }
                    }
                } else {
                    entry.append(("status", .string("missing")))
                    problem(required.contains(name) ? .fail : .warn, "\(name) is not set on Render")
                }
                if !problems.isEmpty { entry.append(("problems", .array(problems))) }
                evidence[name] = .object(entry)
            }
            return summarize(evidence)
        }

        /// The outcome from the per-variable entries of `evidence`, so a revision can re-read them.
        func summarize(_ evidence: Evidence) -> CheckOutcome {
            var failures: [String] = [], warnings: [String] = [], same: [String] = []
            for name in names {
                guard let entry = evidence[name] else { continue }
                if entry["local"] == .string("same as local") { same.append(name) }
                guard case let .array(problems)? = entry["problems"] else { continue }
                for problem in problems {
                    let text = problem.string("text") ?? ""
                    if problem.string("status") == Status.fail.rawValue { failures.append(text) } else { warnings.append(text) }
                }
            }
            if !failures.isEmpty {
                return CheckOutcome(.fail, (failures + warnings).joined(separator: "; "), evidence: evidence,
                                    hint: Self.hint(failures))
            }
            if !warnings.isEmpty {
                return CheckOutcome(.warn, warnings.joined(separator: "; "), evidence: evidence,
                                    hint: "Set the variables on Render (Environment) and redeploy; the guide: \"Verify DATABASE_URL is set in Render\".")
            }
            let sameText = same.isEmpty ? "" : "; \(same.joined(separator: ", ")) same as local"
            return CheckOutcome(.pass, "\(names.count) deployed variables set and valid\(sameText)", evidence: evidence)
        }

        /// A deployed value that is the local one, and that a live step of the run showed to work,
        /// loses its shape warnings: the probe outranks the guess (issue 10), here as in `env`.
        func revised(_ outcome: CheckOutcome, proofs: [String: String], in configuration: Configuration) -> CheckOutcome? {
            var evidence = outcome.evidence
            var changed = false
            for name in names {
                guard let prover = proofs[name], case let .object(members)? = evidence[name],
                      evidence[name]?["local"] == .string("same as local"), evidence[name]?.string("status") == "warn"
                else { continue }
                var entry = members.filter { $0.0 != "problems" && $0.0 != "status" }
                entry.insert(("status", .string("pass")), at: 0)
                entry.append(("proven_by", .string(prover)))
                evidence[name] = .object(entry)
                changed = true
            }
            guard changed else { return nil }
            var again = summarize(evidence)
            if again.status == .pass {
                again.summary += " (shapes that look unusual, but \(Set(names.compactMap { proofs[$0] }).sorted().joined(separator: ", ")) showed the values work)"
            }
            return again
        }

        static func hint(_ failures: [String]) -> String {
            if failures.contains(where: { $0.contains("STRIPE_WEBHOOK_SECRET") }) {
                return "Copy the endpoint's signing secret (Stripe Dashboard → Developers → Webhooks → the endpoint → Signing secret) into STRIPE_WEBHOOK_SECRET on Render (Environment) and redeploy; every delivery fails signature verification until the two match."
            }
            return "Set the missing or wrong variables on Render (the service → Environment) and redeploy: Render only applies variable changes with a deploy."
        }

        /// How a deployed value compares with the local one, without showing either.
        static func compare(_ name: String, deployed: String, local: String) -> (text: String, problem: String?, fails: Bool) {
            if deployed == local { return ("same as local", nil, false) }
            if name.hasSuffix("_URL"), let a = try? PostgresURL.parse(deployed), let b = try? PostgresURL.parse(local) {
                var parts: [String] = []
                if a.host != b.host { parts.append("host") }
                if a.port != b.port { parts.append("port") }
                if a.database != b.database { parts.append("database") }
                if a.user != b.user { parts.append("user") }
                if a.password != b.password { parts.append("password") }
                if parts.isEmpty {
                    return ("same database, other parameters", nil, false)
                }
                let text = "differs from local (\(parts.joined(separator: ", ")))"
                // Another database than the service's: the doctor's database steps looked at yours.
                return (text, "the deployed \(name) \(text): the database steps checked the local one, not the service's", false)
            }
            return ("differs from local", "the deployed \(name) differs from the local one", true)
        }
    }
}
