import DoctorKit
import Foundation

/// The sandbox's stand-in for Render's public API under `/render/v1`: the payment API's service,
/// its deploys, its environment, its memory, CPU and network I/O, its logs and its notification
/// settings, in the shapes of api-facts §3
/// (list items wrapped as `{cursor, <object>}`, errors as `{id, message}`, Bearer authentication
/// with the sandbox's `RENDER_API_KEY`, and the `Ratelimit-*` headers on every answer).
///
/// Its data is made when the sandbox is created, from the same clock reading as the payments;
/// the Render faults change that data.
final class SandboxRenderAPI: @unchecked Sendable {
    static let basePath = "/render/v1"
    /// Render's documented GET limit is 100 or 400 a minute depending on the copy (api-facts §3);
    /// the stricter one, so a client that copes here copes there.
    static let rateLimit = 100
    static let rateWindow: Double = 60

    let fault: SandboxFault?
    let service: SandboxRenderService
    let log: SandboxServiceLog
    /// The sandbox's clock reading its data was made from, Unix seconds.
    let createdAt: Int
    private let key: String
    /// What `STRIPE_WEBHOOK_SECRET` holds in the service's Render environment; nil when it is not set.
    private let deployedWebhookSecret: String?
    private let lock = NSLock()
    private var apiURL = ""
    private var localEnvironment: @Sendable () -> [String: String] = { [:] }
    private var windowStart: Date?
    private var windowCount = 0

    init(fault: SandboxFault?, key: String, service: SandboxRenderService, log: SandboxServiceLog,
         deployedWebhookSecret: String?, createdAt: Int)
    {
        self.fault = fault
        self.key = key
        self.service = service
        self.log = log
        self.deployedWebhookSecret = deployedWebhookSecret
        self.createdAt = createdAt
    }

    /// Sets the payment API's public URL and where the deployed values come from (the sandbox's
    /// own variables: the database's port is only known once it runs); restarts the rate window.
    func start(apiURL: String, environment: @escaping @Sendable () -> [String: String]) {
        lock.withLock {
            self.apiURL = apiURL
            localEnvironment = environment
            windowStart = nil
            windowCount = 0
        }
    }

    /// Answers a request whose path starts with `/render/v1`.
    func handle(_ request: ServerRequest) -> ServerResponse {
        let quota = takeQuota()
        var response = route(request, quotaExceeded: !quota.allowed)
        response.headers += [
            ("Ratelimit-Limit", "\(Self.rateLimit)"), ("Ratelimit-Remaining", "\(quota.remaining)"),
            ("Ratelimit-Reset", "\(quota.reset)"),
        ]
        if !quota.allowed { response.headers.append(("Retry-After", "\(quota.reset)")) }
        return response
    }

    private func route(_ request: ServerRequest, quotaExceeded: Bool) -> ServerResponse {
        if quotaExceeded { return error(429, "rate limit exceeded") }
        guard authorized(request) else { return error(401, "unauthorized") }
        let parts = request.path.dropFirst(Self.basePath.count).split(separator: "/").map(String.init)
        // Only the reading endpoints are stood in for: the doctor never changes a service.
        guard request.method == "GET" || request.method == "HEAD" else { return error(405, "method not allowed") }
        switch parts {
        case let path where path.count >= 2 && path[0] == "services":
            guard path[1] == service.id else { return notFound("service not found") }
            switch Array(path.dropFirst(2)) {
            case []:
                if let refusal = unknownParameter(request, allowed: []) { return refusal }
                return ok(service.json(url: lock.withLock { apiURL }))
            case ["deploys"]:
                // The deploy list's documented filters and paging (api-facts §3).
                let known = ["status", "createdBefore", "createdAfter", "updatedBefore", "updatedAfter", "finishedBefore",
                             "finishedAfter", "cursor", "limit"]
                if let refusal = unknownParameter(request, allowed: known) { return refusal }
                return deploys(request)
            case let rest where rest.count == 2 && rest[0] == "deploys":
                if let refusal = unknownParameter(request, allowed: []) { return refusal }
                guard let deploy = service.deploys.first(where: { $0.id == rest[1] }) else { return notFound("deploy not found") }
                return ok(deploy.json)
            case ["env-vars"]:
                if let refusal = unknownParameter(request, allowed: ["cursor", "limit"]) { return refusal }
                return envVars(request)
            default: return notFound("not found")
            }
        case ["metrics", "memory"], ["metrics", "cpu"], ["metrics", "bandwidth"]:
            return metrics(parts[1], request)
        case ["metrics", "http-requests"]:
            return httpRequests(request)
        case ["logs"]:
            return logs(request)
        case let path where path.count == 3 && path[0] == "notification-settings" && path[1] == "owners":
            return ownerNotifications(path[2], request)
        case let path where path.count == 4 && path[0...2] == ["notification-settings", "overrides", "services"]:
            return serviceNotificationOverride(path[3], request)
        default:
            return notFound("not found")
        }
    }

    /// `Authorization: Bearer <RENDER_API_KEY>`, the scheme in any case.
    private func authorized(_ request: ServerRequest) -> Bool {
        guard let value = request.header("Authorization") else { return false }
        let parts = value.split(separator: " ", maxSplits: 1).map(String.init)
        return parts.count == 2 && parts[0].lowercased() == "bearer" && parts[1].trimmingCharacters(in: .whitespaces) == key
    }

    // MARK: - Lists

    private func deploys(_ request: ServerRequest) -> ServerResponse {
        var selected = service.deploys
        let statuses = request.queryItems.filter { $0.0 == "status" }.map(\.1)
        if !statuses.isEmpty { selected = selected.filter { statuses.contains($0.status) } }
        let bounds: [(String, KeyPath<SandboxRenderService.Deploy, Int>)] = [
            ("created", \.created), ("updated", \.finished), ("finished", \.finished),
        ]
        for (field, path) in bounds {
            for (suffix, after) in [("After", true), ("Before", false)] {
                guard let text = request.query[field + suffix] else { continue }
                guard let bound = StandInTime.parse(text) else { return error(400, "invalid \(field + suffix): \(Self.clipped(text))") }
                selected = selected.filter { after ? $0[keyPath: path] >= bound : $0[keyPath: path] <= bound }
            }
        }
        return page(selected.map { (id: $0.id, value: $0.json) }, wrapper: "deploy", request)
    }

    private func envVars(_ request: ServerRequest) -> ServerResponse {
        page(deployedEnvironment.map { (id: $0.0, value: .object([("key", .string($0.0)), ("value", .string($0.1))])) }, wrapper: "envVar", request)
    }

    /// The deployed service's own variables: the sandbox's values, the webhook secret as deployed.
    var deployedEnvironment: [(String, String)] {
        let local = lock.withLock { localEnvironment }()
        let values: [(String, String?)] = [
            ("DATABASE_URL", local["DATABASE_URL"]), ("NODE_ENV", "production"), ("PORT", "10000"),
            ("SENTRY_DSN", local["SENTRY_DSN"]), ("STRIPE_SECRET_KEY", local["STRIPE_SECRET_KEY"]),
            ("STRIPE_WEBHOOK_SECRET", deployedWebhookSecret),
        ]
        return values.compactMap { name, value in value.map { (name, $0) } }
    }

    /// Render's cursor pagination: `limit` (default 20, at most 100) items after the one whose
    /// cursor is `cursor`, each wrapped as `{cursor, <wrapper>}`; a short or empty page ends the list.
    private func page(_ items: [(id: String, value: JSONValue)], wrapper: String, _ request: ServerRequest) -> ServerResponse {
        guard let limit = limitParameter(request) else { return error(400, "limit must be an integer between 1 and 100") }
        var rest = items[...]
        if let cursor = request.query["cursor"] {
            guard let index = items.firstIndex(where: { Self.cursor(for: $0.id) == cursor }) else {
                return error(400, "invalid cursor: \(Self.clipped(cursor))")
            }
            rest = items[(index + 1)...]
        }
        return ok(.array(rest.prefix(limit).map { item in
            .object([("cursor", .string(Self.cursor(for: item.id))), (wrapper, item.value)])
        }))
    }

    /// An opaque cursor for an item, stable across requests.
    static func cursor(for id: String) -> String {
        Data(id.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// `limit` as given (1…100) or 20; nil when it is not such a number.
    func limitParameter(_ request: ServerRequest) -> Int? {
        guard let text = request.query["limit"] else { return 20 }
        guard let limit = Int(text), (1...100).contains(limit) else { return nil }
        return limit
    }

    // MARK: - Answers

    func ok(_ value: JSONValue) -> ServerResponse { .json(200, value.compactJSON) }

    /// Render's error object, `{"id": …, "message": …}`.
    func error(_ status: Int, _ message: String) -> ServerResponse {
        .json(status, JSONValue.object([("id", .string(UUID().uuidString.lowercased())), ("message", .string(message))]).compactJSON)
    }

    /// Render's 400 for a query parameter the route does not take, nil when every one is known: the
    /// real API is generated from a schema and refuses what it does not declare, so a client that
    /// misspells a filter finds out here, not in production as a silently unfiltered answer.
    func unknownParameter(_ request: ServerRequest, allowed: [String]) -> ServerResponse? {
        guard let name = request.queryItems.map(\.0).first(where: { !allowed.contains($0) }) else { return nil }
        return error(400, "unknown query parameter: \(Self.clipped(name))")
    }

    /// Render's 404, which carries only the message.
    func notFound(_ message: String) -> ServerResponse {
        .json(404, JSONValue.object([("message", .string(message))]).compactJSON)
    }

    /// A client's text echoed in an error, cut short and without control characters.
    static func clipped(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7f }.prefix(64).map(Character.init))
    }

    /// A fixed window of `rateLimit` requests per `rateWindow` seconds; `reset` is the seconds left.
    private func takeQuota() -> (allowed: Bool, remaining: Int, reset: Int) {
        lock.withLock {
            let now = Date()
            if let start = windowStart, now.timeIntervalSince(start) < Self.rateWindow {
                windowCount += 1
            } else {
                windowStart = now
                windowCount = 1
            }
            let reset = max(1, Int((Self.rateWindow - now.timeIntervalSince(windowStart ?? now)).rounded(.up)))
            return (windowCount <= Self.rateLimit, max(0, Self.rateLimit - windowCount), reset)
        }
    }
}
