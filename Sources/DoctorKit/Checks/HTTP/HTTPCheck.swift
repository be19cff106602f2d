import Foundation

/// The `http` check kind: one request, its status, body and timing against thresholds.
public struct HTTPCheck: CheckKind {
    public static let name = "http"

    /// The guide's webhook latency bands: under 1 s healthy, 1-5 s warning, over 5 s critical.
    static let defaultWarn = Duration.seconds(1)
    static let defaultFail = Duration.seconds(5)
    /// Above the fail threshold, so the guide's "critical" can be reached before the request gives up.
    static let defaultTimeout = Duration.seconds(10)

    /// Headers that carry credentials: a runbook may not set them.
    static let credentialHeaders: Set<String> = ["authorization", "proxy-authorization", "cookie", "stripe-signature"]

    /// Whether `name` is an RFC 9110 token.
    static func isToken(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "!#$%&'*+-.^_`|~".unicodeScalars.contains(scalar))
        }
    }

    /// A name as written, with control characters visible.
    static func quoted(_ name: String) -> String { "\"" + Redactor.escapingControls(name) + "\"" }

    public static func make(_ parameters: ParameterReader, step: StepSettings) throws(RunbookError) -> any Check {
        let location = parameters.value("url")?.location ?? parameters.location
        let url = try Template(try parameters.string("url"), at: location)
        let method = (try parameters.optionalString("method") ?? "GET").uppercased()
        let methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
        guard methods.contains(method) else {
            throw RunbookError(parameters.value("method")!.location, "`method` must be one of \(methods.joined(separator: ", "))")
        }
        var headers: [(String, Template)] = []
        for (name, value) in try parameters.stringMap("headers") ?? [] {
            let place = parameters.value("headers")!.location
            // RFC 9110: a field name is a token. Anything else (a CR LF above all) could smuggle
            // another header, such as an Authorization the blocklist below never saw.
            guard Self.isToken(name) else {
                throw RunbookError(place, "header name \(Self.quoted(name)) is not a valid HTTP field name (letters, digits and !#$%&'*+-.^_`|~ only)")
            }
            if Self.credentialHeaders.contains(name.trimmingCharacters(in: .whitespaces).lowercased()) {
                throw RunbookError(place, "header `\(name)` carries credentials; the clients add credentials themselves")
            }
            guard !value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) else {
                throw RunbookError(place, "the value of header `\(name)` holds a line break or NUL, which no HTTP field value may")
            }
            headers.append((name, try Template(value, at: place)))
        }
        let body = try parameters.optionalString("body").map { text throws(RunbookError) in
            try Template(text, at: parameters.value("body")!.location)
        }
        let expectStatus = try StatusSet.read(parameters.value("expect_status")) ?? StatusSet.success
        let expectBody = try parameters.optionalString("expect_body")
        var expectJSON: [(JSONPath, String)] = []
        if let value = parameters.value("expect_json") {
            guard case let .mapping(members, _) = value else {
                throw RunbookError(value.location, "`expect_json` must be a mapping of JSON paths to values, e.g. {\"$.status\": ok}")
            }
            for member in members {
                guard let path = JSONPath(member.key) else {
                    throw RunbookError(member.keyLocation, "\"\(member.key)\" is not a JSON path such as $.status or $.items[0].id")
                }
                guard case let .scalar(expected, _, _) = member.value else {
                    throw RunbookError(member.value.location, "the expected value of \(member.key) must be a scalar")
                }
                expectJSON.append((path, expected))
            }
        }
        let redirects = try parameters.int("follow_redirects", in: 0...10) ?? 3

        let limits = try step.latencyLimits(warn: defaultWarn, fail: defaultFail, timeout: defaultTimeout)
        return Probe(
            method: method, url: url, headers: headers, body: body, expectStatus: expectStatus,
            expectBody: expectBody, expectJSON: expectJSON, maxRedirects: redirects,
            warn: limits.warn, fail: limits.fail, timeout: limits.timeout)
    }

    /// A configured `http` step.
    struct Probe: Check {
        let method: String
        let url: Template
        let headers: [(String, Template)]
        let body: Template?
        let expectStatus: StatusSet
        let expectBody: String?
        let expectJSON: [(JSONPath, String)]
        let maxRedirects: Int
        let warn: Duration
        let fail: Duration
        let timeout: Duration

        func run(in context: CheckContext) async -> CheckOutcome {
            // --read-only promises no request with a side effect: a POST is one (the service logs
            // it, and an unsigned event is reported to Sentry), whatever it is meant to prove.
            if context.readOnly && !["GET", "HEAD", "OPTIONS"].contains(method) {
                return CheckOutcome(.skip, "skipped under --read-only: it sends a \(method) to the service, which has a side effect (the service logs and reports it)")
            }
            var evidence = Evidence()
            let expanded: String
            switch url.expanded(in: context.configuration) {
            case let .success(text): expanded = text
            case let .failure(stop): return stop.outcome
            }
            evidence["url"] = .string(expanded)
            evidence["method"] = .string(method)
            var requestHeaders: [(String, String)] = []
            for (name, template) in headers {
                switch template.expand(context.configuration) {
                case let .success(value) where value.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\r\n" }):
                    return CheckOutcome(.unknown, "the value of header `\(name)` holds a line break once its variables are expanded",
                                        evidence: evidence, hint: "A variable used in the header has a line break in it: fix it in the environment or .env.")
                case let .success(value): requestHeaders.append((name, value))
                case let .failure(missing): return CheckOutcome(.unknown, missing.message, evidence: evidence)
                }
            }
            var requestBody: Data?
            if let body {
                switch body.expand(context.configuration) {
                case let .success(text): requestBody = Data(text.utf8)
                case let .failure(missing): return CheckOutcome(.unknown, missing.message, evidence: evidence)
                }
            }
            // A POST (the route check's unsigned event) is logged, and reported, by the service.
            if !["GET", "HEAD", "OPTIONS"].contains(method) { context.resources.ownRequests?.record("request") }
            let limit = min(timeout, context.remaining)
            // An answer after the fail threshold fails whatever it says, so waiting past it cannot
            // change the verdict: a service that accepts and never answers is judged at the threshold.
            let settled = fail < limit
            let request = HTTPRequest(
                method: method, url: expanded, headers: requestHeaders, body: requestBody,
                timeout: settled ? fail : limit, maxRedirects: maxRedirects)
            let response: HTTPResponse
            do {
                response = try await context.perform(request)
            } catch {
                if case let .timedOut(_, phase) = error, settled {
                    var evidence = evidence
                    evidence["error"] = .string(error.localizedDescription)
                    evidence["waited"] = .string(fail.short)
                    return CheckOutcome(.fail, "no answer within the \(fail.short) fail threshold (\(phase)): a later answer could not pass, so the doctor stopped waiting", evidence: evidence)
                }
                // The few milliseconds spent before the request started are not the user's timeout.
                if case let .timedOut(_, phase) = error, timeout - limit < .milliseconds(100) {
                    return outcome(for: .timedOut(after: timeout, phase: phase), evidence: evidence)
                }
                return outcome(for: error, evidence: evidence)
            }
            return evaluate(response, evidence: evidence, redactor: Redactor(context.configuration))
        }

        private func outcome(for error: HTTPError, evidence: Evidence) -> CheckOutcome {
            var evidence = evidence
            evidence["error"] = .string(error.localizedDescription)
            switch error {
            case .cancelled:
                return CheckOutcome(.unknown, "cancelled", evidence: evidence)
            case .invalidURL:
                evidence["url_written_at"] = .string(url.location.description)
                return CheckOutcome(.unknown, error.localizedDescription, evidence: evidence,
                                    hint: "Check API_URL: it must be an absolute http(s) URL such as https://NAME.onrender.com.")
            case .timedOut:
                return CheckOutcome(.fail, error.localizedDescription, evidence: evidence)
            default:
                return CheckOutcome(.fail, error.localizedDescription, evidence: evidence)
            }
        }

        private func evaluate(_ response: HTTPResponse, evidence: Evidence, redactor: Redactor) -> CheckOutcome {
            var evidence = evidence
            evidence["status"] = .int(response.status)
            evidence["timings"] = response.timings.json
            if response.redirects > 0 {
                evidence["redirects"] = .int(response.redirects)
                evidence["final_url"] = .string(response.effectiveURL)
            }
            if let type = response.header("content-type") { evidence["content_type"] = .string(type) }
            for name in ["retry-after", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "x-render-routing"] {
                if let value = response.header(name) { evidence[name] = .string(value) }
            }
            evidence["body_bytes"] = .int(response.body.count)
            if response.bodyTruncated { evidence["body_truncated"] = .bool(true) }
            let total = response.timings.total
            let excerpt = BodyExcerpt.of(response.text, redactedBy: redactor.redact)

            guard expectStatus.contains(response.status) else {
                evidence["body_excerpt"] = .string(excerpt)
                var summary = "HTTP \(response.status) (expected \(expectStatus))"
                if response.status == 429 {
                    summary += ": rate limited" + (response.header("retry-after").map { ", retry after \($0) s" } ?? "")
                }
                return CheckOutcome(.fail, summary, evidence: evidence)
            }
            if let expectBody, !response.text.contains(expectBody) {
                evidence["body_excerpt"] = .string(excerpt)
                return CheckOutcome(.fail, "HTTP \(response.status) but the body lacks \"\(expectBody)\"", evidence: evidence)
            }
            if !expectJSON.isEmpty {
                guard let json = JSONValue.parse(response.body) else {
                    evidence["body_excerpt"] = .string(excerpt)
                    return CheckOutcome(.fail, "HTTP \(response.status) but the body is not JSON", evidence: evidence)
                }
                for (path, expected) in expectJSON {
                    let found = path.evaluate(json)
                    if found?.text != expected && !(found == .bool(true) && expected == "true") {
                        evidence["body_excerpt"] = .string(excerpt)
                        let actual = found.map { "\"\($0.text)\"" } ?? "nothing"
                        return CheckOutcome(.fail, "\(path) is \(actual), expected \"\(expected)\"", evidence: evidence)
                    }
                }
            }
            let summary = "HTTP \(response.status) in \(total.short)"
            if total >= fail {
                return CheckOutcome(.fail, "\(summary), over the \(fail.short) critical threshold", evidence: evidence)
            }
            if total >= warn {
                return CheckOutcome(.warn, "\(summary), over the \(warn.short) healthy threshold", evidence: evidence)
            }
            return CheckOutcome(.pass, summary, evidence: evidence)
        }
    }
}

/// The HTTP statuses a step accepts: codes and ranges such as `200-299`.
public struct StatusSet: Sendable, Equatable, CustomStringConvertible {
    let ranges: [ClosedRange<Int>]

    /// Any 2xx.
    public static let success = StatusSet(ranges: [200...299])

    /// Whether `status` is accepted.
    public func contains(_ status: Int) -> Bool { ranges.contains { $0.contains(status) } }

    public var description: String {
        ranges.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: ", ")
    }

    static func read(_ value: RunbookValue?) throws(RunbookError) -> StatusSet? {
        guard let value else { return nil }
        let items: [RunbookValue]
        switch value {
        case .scalar: items = [value]
        case let .sequence(list, _): items = list
        case .mapping: throw RunbookError(value.location, "`expect_status` must be a status, a range such as 200-299, or a list of them")
        }
        var ranges: [ClosedRange<Int>] = []
        for item in items {
            guard case let .scalar(text, location, _) = item else {
                throw RunbookError(item.location, "`expect_status` items must be statuses or ranges")
            }
            let bounds = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard (1...2).contains(bounds.count), let low = bounds.first!, let high = bounds.last!,
                  (100...599).contains(low), (100...599).contains(high), low <= high else {
                throw RunbookError(location, "\"\(text)\" is not an HTTP status (100-599) or a range such as 200-299")
            }
            ranges.append(low...high)
        }
        guard !ranges.isEmpty else { throw RunbookError(value.location, "`expect_status` is empty") }
        return StatusSet(ranges: ranges)
    }
}
