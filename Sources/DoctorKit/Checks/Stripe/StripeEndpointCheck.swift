import Foundation

/// The `stripe-endpoint` check kind: Stripe has an endpoint at `API_URL` + the webhook path, it is
/// enabled, subscribed to the events the service handles and in the key's mode; near-misses
/// (another path on the same host, http for https, a trailing slash) are named as the likely cause.
public struct StripeEndpointCheck: CheckKind {
    public static let name = "stripe-endpoint"

    static let defaultURL = "${API_URL}/api/webhooks/stripe"
    static let defaultTimeout = Duration.seconds(20)

    public static func make(_ parameters: ParameterReader, step: StepSettings) throws(RunbookError) -> any Check {
        try step.rejectThresholds(kind: name)
        let location = parameters.value("url")?.location ?? parameters.location
        let url = try Template(try parameters.optionalString("url") ?? defaultURL, at: location)
        let events = try parameters.stringList("events") ?? []
        for event in events where event.isEmpty || event.contains(where: \.isWhitespace) {
            throw RunbookError(parameters.value("events")!.location, "\"\(event)\" is not an event type such as payment_intent.succeeded")
        }
        return Probe(url: url, events: events, timeout: step.timeout ?? defaultTimeout)
    }

    /// A configured `stripe-endpoint` step.
    struct Probe: Check {
        let url: Template
        let events: [String]
        let timeout: Duration

        func run(in context: CheckContext) async -> CheckOutcome {
            let expected: String
            switch url.expanded(in: context.configuration) {
            case let .success(text): expected = text
            case let .failure(stop): return stop.outcome
            }
            return await StripeCheckSupport.run(context) { (client, evidence) throws(StripeAPIError) in
                evidence["expected_url"] = .string(expected)
                let list = try await client.list("/v1/webhook_endpoints", deadline: context.deadline)
                let endpoints = list.items.compactMap(StripeWebhookEndpoint.init)
                evidence["endpoints_listed"] = .int(endpoints.count)
                evidence["pages"] = .int(list.pages)
                if let last = list.requestIDs.last { evidence["request_id"] = .string(last) }
                // The newest event's version is the account's default: what an endpoint without a
                // version of its own is sent. Only a version is read, so a failure here costs nothing.
                let newest = try? await client.get("/v1/events", query: [("limit", "1")], deadline: context.deadline)
                let eventVersion: String? = if case let .array(items)? = newest?.json["data"] { items.first?.string("api_version") } else { nil }
                let pinned = context.configuration.value("STRIPE_API_VERSION")?.trimmingCharacters(in: .whitespaces)
                return evaluate(endpoints, expected: expected, mode: client.mode, evidence: evidence,
                                versions: Versions(events: eventVersion, pinned: pinned?.isEmpty == false ? pinned : nil))
            }
        }

        /// The API versions an endpoint's version is compared with.
        struct Versions {
            /// The newest event's `api_version`: the account's default.
            var events: String?
            /// `STRIPE_API_VERSION`: the version the service's Stripe library pins.
            var pinned: String?
        }

        func evaluate(_ endpoints: [StripeWebhookEndpoint], expected: String, mode: String?, evidence: Evidence,
                      versions: Versions = Versions()) -> CheckOutcome {
            var evidence = evidence
            let exact = endpoints.filter { $0.url == expected }
            guard !exact.isEmpty else {
                let misses = endpoints.compactMap { endpoint in NearMiss(endpoint.url, expected: expected).map { (endpoint, $0) } }
                if !misses.isEmpty {
                    evidence["near_misses"] = .array(misses.map { .string("\($0.0.id) \($0.0.url) (\($0.1.reason))") })
                    let (endpoint, miss) = misses[0]
                    return CheckOutcome(
                        .fail, "no endpoint at \(expected); \(endpoint.id) points at \(endpoint.url) (\(miss.reason))",
                        evidence: evidence,
                        hint: "Stripe delivers to \(endpoint.url), which is not where the service listens: in Stripe Dashboard → Developers → Webhooks, edit endpoint \(endpoint.id) so its URL is exactly \(expected).")
                }
                if !endpoints.isEmpty {
                    evidence["other_endpoints"] = .array(endpoints.prefix(10).map { .string("\($0.id) \($0.url)") })
                }
                let where_ = mode.map { " in \($0) mode" } ?? ""
                return CheckOutcome(
                    .fail, "no webhook endpoint\(where_) delivers to \(expected) (\(endpoints.count) endpoint\(endpoints.count == 1 ? "" : "s") listed)",
                    evidence: evidence,
                    hint: "Stripe sends this account's events nowhere near the service: add an endpoint at \(expected) in Stripe Dashboard → Developers → Webhooks\(where_), then put its signing secret in STRIPE_WEBHOOK_SECRET on Render.")
            }
            // With duplicates, judge the one most likely in use: enabled first.
            let endpoint = exact.first { $0.status == "enabled" } ?? exact[0]
            evidence["endpoint_id"] = .string(endpoint.id)
            evidence["endpoint_url"] = .string(endpoint.url)
            evidence["status"] = .string(endpoint.status)
            evidence["enabled_events"] = .array(endpoint.enabledEvents.map { .string($0) })
            if let livemode = endpoint.livemode { evidence["livemode"] = .bool(livemode) }
            if let version = endpoint.apiVersion { evidence["api_version"] = .string(version) }
            if exact.count > 1 { evidence["duplicates"] = .array(exact.map { .string($0.id) }) }

            guard endpoint.status == "enabled" else {
                return CheckOutcome(
                    .fail, "endpoint \(endpoint.id) at \(expected) is \(endpoint.status)", evidence: evidence,
                    hint: "Stripe sends nothing to a disabled endpoint (it disables one itself after days of failed deliveries): fix what made deliveries fail, then enable \(endpoint.id) in Stripe Dashboard → Developers → Webhooks.")
            }
            if let livemode = endpoint.livemode, let mode, livemode != (mode == "live") {
                return CheckOutcome(
                    .fail, "endpoint \(endpoint.id) is a \(livemode ? "live" : "test")-mode endpoint but STRIPE_SECRET_KEY is a \(mode) key",
                    evidence: evidence,
                    hint: "Live and test mode have separate endpoints, keys and signing secrets: use the \(livemode ? "live" : "test") key, or register the endpoint in \(mode) mode.")
            }
            let missing = events.filter { !endpoint.receives($0) }
            if !missing.isEmpty {
                evidence["missing_events"] = .array(missing.map { .string($0) })
                return CheckOutcome(
                    .fail, "endpoint \(endpoint.id) is not subscribed to \(missing.joined(separator: ", "))", evidence: evidence,
                    hint: "Stripe only sends the events an endpoint selects: add \(missing.joined(separator: ", ")) to \(endpoint.id) in Stripe Dashboard → Developers → Webhooks → Update details.")
            }
            let subscribed = endpoint.enabledEvents.contains("*") ? "every event" : "\(events.isEmpty ? endpoint.enabledEvents.count : events.count) handled event\((events.isEmpty ? endpoint.enabledEvents.count : events.count) == 1 ? "" : "s")"
            var summary = "endpoint \(endpoint.id) is enabled at \(expected) and receives \(subscribed)"
            if let drift = StripeEndpointCheck.versionDrift(endpoint, versions, evidence: &evidence) {
                return CheckOutcome(
                    .warn, summary + "; " + drift, evidence: evidence,
                    hint: "Stripe renders each delivery in the endpoint's API version; a handler written for another version can miss renamed or moved fields. Pin the endpoint to the version the service's library uses (Stripe Dashboard → Developers → Webhooks → the endpoint → API version), or upgrade the library and STRIPE_API_VERSION together.")
            }
            if exact.count > 1 {
                summary += "; \(exact.count) endpoints share this URL"
                return CheckOutcome(
                    .warn, summary, evidence: evidence,
                    hint: "Each event is delivered once per endpoint, so the service receives it \(exact.count) times with different signing secrets (only one can verify): delete the duplicates in Stripe Dashboard → Developers → Webhooks.")
            }
            return CheckOutcome(.pass, summary, evidence: evidence)
        }
    }

    /// The API versions that disagree with the endpoint's, in words naming both, or nil.
    static func versionDrift(_ endpoint: StripeWebhookEndpoint, _ versions: Probe.Versions, evidence: inout Evidence) -> String? {
        if let version = versions.events { evidence["events_api_version"] = .string(version) }
        if let version = versions.pinned { evidence["pinned_api_version"] = .string(version) }
        // An endpoint without a version of its own is sent the account's default.
        guard let sent = endpoint.apiVersion ?? versions.events else { return nil }
        var drifts: [String] = []
        if let events = versions.events, let own = endpoint.apiVersion, own != events {
            drifts.append("its API version \(own) differs from the account's events' \(events)")
        }
        if let pinned = versions.pinned, pinned != sent {
            drifts.append("it sends events as \(sent) but STRIPE_API_VERSION (the service's library) pins \(pinned)")
        }
        return drifts.isEmpty ? nil : drifts.joined(separator: "; ")
    }

    /// How a registered URL differs from the expected one, when it is close enough to be a mistake.
    struct NearMiss {
        let reason: String

        init?(_ registered: String, expected: String) {
            guard let got = URLComponents(string: registered), let want = URLComponents(string: expected),
                let gotHost = got.host?.lowercased(), let wantHost = want.host?.lowercased()
            else { return nil }
            let gotPath = got.path.isEmpty ? "/" : got.path
            let wantPath = want.path.isEmpty ? "/" : want.path
            let sameHost = gotHost == wantHost && got.port == want.port
            let trim = { (path: String) in path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path }
            if sameHost, got.scheme?.lowercased() != want.scheme?.lowercased() {
                reason = "\(got.scheme ?? "?") instead of \(want.scheme ?? "?")"
            } else if sameHost, trim(gotPath) == trim(wantPath), gotPath != wantPath {
                reason = gotPath.hasSuffix("/") ? "a trailing slash" : "no trailing slash"
            } else if sameHost, gotPath.lowercased() == wantPath.lowercased(), gotPath != wantPath {
                reason = "the path differs in case"
            } else if sameHost, trim(gotPath) == trim(wantPath), got.query != want.query {
                reason = "a query string"
            } else if sameHost {
                reason = "same host, other path \(gotPath)"
            } else if trim(gotPath) == trim(wantPath) {
                reason = "same path, other host \(gotHost)"
            } else {
                return nil
            }
        }
    }
}
