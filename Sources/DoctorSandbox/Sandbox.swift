import DoctorKit
import Foundation

/// An embedded stand-in for the payment API on a free loopback port, for `doctor demo` and tests.
///
/// It answers like the real Node service (health, a signature-verifying Stripe webhook endpoint,
/// a 100-per-minute rate limit) unless started with a `SandboxFault`. Paths under `/v1/` are kept
/// for a Stripe API stand-in and `/render/v1/` for a Render API stand-in.
public final class Sandbox: @unchecked Sendable {
    /// The fault injected, if any.
    public let fault: SandboxFault?

    let secrets: SandboxSecrets
    /// The payments Stripe's stand-in lists and the database holds, from one clock reading.
    let payments: SandboxPayments
    private let api: SandboxAPI
    let lock = NSLock()
    private var server: HTTPServer?
    /// The sandbox's PostgreSQL cluster, once `startDatabase()` has started one.
    var database: TemporaryPostgres?

    /// Creates a sandbox with fresh random secrets; nothing listens until `start()`.
    public init(fault: SandboxFault? = nil) {
        self.fault = fault
        let secrets = SandboxSecrets()
        self.secrets = secrets
        let payments = SandboxPayments.demo(fault: fault, now: Int(Date().timeIntervalSince1970))
        self.payments = payments
        api = SandboxAPI(
            fault: fault,
            deployedWebhookSecret: fault == .wrongSecret ? SandboxSecrets.webhookSecret() : secrets.webhookSecret,
            stripe: SandboxStripeAPI(fault: fault, key: secrets.stripeKey, payments: payments))
    }

    deinit { stop() }

    /// Starts listening on a free port of 127.0.0.1; does nothing when already running.
    public func start() throws(HTTPServerError) {
        lock.lock()
        defer { lock.unlock() }
        guard server == nil else { return }
        let api = self.api
        let server = try HTTPServer(port: 0) { api.handle($0) }
        self.server = server
        api.markStarted()
        api.stripe.start(apiURL: "http://127.0.0.1:\(server.port)")
    }

    /// Stops listening and drops every open connection, hung ones included.
    public func stop() {
        lock.lock()
        let server = self.server
        let database = self.database
        self.server = nil
        self.database = nil
        lock.unlock()
        server?.stop()
        database?.stop()
    }

    /// The port the sandbox listens on, 0 when it is not running.
    public var port: UInt16 {
        lock.lock()
        defer { lock.unlock() }
        return server?.port ?? 0
    }

    /// The payment API's base URL, `http://127.0.0.1:PORT` (valid once started).
    public var apiURL: String { "http://127.0.0.1:\(port)" }

    /// The variables a run against the sandbox uses, as the service's `.env` would hold them.
    ///
    /// The secrets are random per instance. `DATABASE_URL` points at the sandbox's PostgreSQL when
    /// `startDatabase()` started one, else at a closed local port; there is deliberately no `REDIS_URL`.
    public var environment: [String: String] {
        let port = self.port
        let databasePort = lock.withLock { database?.port } ?? secrets.databasePort
        return [
            "API_URL": "http://127.0.0.1:\(port)",
            "STRIPE_SECRET_KEY": secrets.stripeKey,
            "STRIPE_WEBHOOK_SECRET": secrets.webhookSecret,
            "STRIPE_API_BASE": "http://127.0.0.1:\(port)",
            "DATABASE_URL": "postgresql://payments:\(secrets.databasePassword)@127.0.0.1:\(databasePort)"
                + "/payments?schema=public&connection_limit=5",
            "SENTRY_DSN": "http://\(secrets.sentryKey)@127.0.0.1:\(port)/1",
            "RENDER_SERVICE_ID": secrets.renderServiceID,
        ]
    }

    /// Answers one request as the sandbox would; the server calls this, tests may too.
    public func handle(_ request: ServerRequest) -> ServerResponse { api.handle(request) }
}

/// The per-instance credentials of a sandbox, random so tests can prove none of them leak.
struct SandboxSecrets: Sendable {
    let stripeKey = "sk_test_" + SandboxSecrets.random(24, from: alphanumerics)
    let webhookSecret = SandboxSecrets.webhookSecret()
    let databasePassword = SandboxSecrets.random(20, from: alphanumerics)
    let databasePort = SandboxSecrets.closedPort()
    let sentryKey = SandboxSecrets.random(32, from: "0123456789abcdef")
    let renderServiceID = "srv-sandbox" + SandboxSecrets.random(9, from: "0123456789abcdefghijklmnopqrstuvwxyz")

    static let alphanumerics = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

    static func webhookSecret() -> String { "whsec_" + random(32, from: alphanumerics) }

    static func random(_ count: Int, from alphabet: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let characters = Array(alphabet)
        return String((0..<count).map { _ in characters.randomElement(using: &generator)! })
    }

    /// A loopback port nothing listens on: one the kernel just handed out and got back.
    static func closedPort() -> UInt16 {
        guard let probe = try? HTTPServer(port: 0, handler: { _ in ServerResponse(status: 503) }) else { return 9 }
        let port = probe.port
        probe.stop()
        return port
    }
}

/// The sandbox's routes and rate limiter, separate from `Sandbox` so the server's handler does
/// not keep the sandbox alive.
private final class SandboxAPI: @unchecked Sendable {
    static let webhookPath = "/api/webhooks/stripe"
    static let rateLimit = 100
    static let rateWindow: Double = 60

    let fault: SandboxFault?
    let deployedWebhookSecret: String
    let stripe: SandboxStripeAPI
    private let lock = NSLock()
    private var startedAt = Date()
    private var windowStart: Date?
    private var windowCount = 0
    private var served = 0

    init(fault: SandboxFault?, deployedWebhookSecret: String, stripe: SandboxStripeAPI) {
        self.fault = fault
        self.deployedWebhookSecret = deployedWebhookSecret
        self.stripe = stripe
    }

    func markStarted() {
        lock.lock()
        startedAt = Date()
        windowStart = nil
        windowCount = 0
        lock.unlock()
    }

    func handle(_ request: ServerRequest) -> ServerResponse {
        if request.path == "/v1" || request.path.hasPrefix("/v1/") { return stripe.handle(request) }
        if request.path.hasPrefix("/render/v1/") { return renderAPI(request) }
        return paymentAPI(request)
    }

    // MARK: - The payment API

    private func paymentAPI(_ request: ServerRequest) -> ServerResponse {
        if fault == .hang { return ServerResponse(status: 200, behaviour: .hang) }
        if fault == .rateLimited {
            return .json(429, #"{"error":"Rate limit exceeded"}"#, headers: [("Retry-After", "60")] + quotaHeaders(remaining: 0, reset: 60))
        }
        let quota = takeQuota()
        guard quota.allowed else {
            return .json(429, #"{"error":"Rate limit exceeded"}"#,
                         headers: [("Retry-After", "\(quota.reset)")] + quotaHeaders(remaining: 0, reset: quota.reset))
        }
        if fault == .flaky {
            // Every third request fails, alternating the two ways a struggling Render instance fails.
            let count = lock.withLock { served += 1; return served }
            if count % 3 == 0 {
                return count % 2 == 0
                    ? ServerResponse(status: 502, text: "<html><body>502 Bad Gateway</body></html>", contentType: "text/html")
                    : ServerResponse(status: 200, behaviour: .close)
            }
        }
        var response = route(request)
        response.headers += quotaHeaders(remaining: quota.remaining, reset: quota.reset)
        if fault == .slow { response.delay = .milliseconds(1500) }
        return response
    }

    private func route(_ request: ServerRequest) -> ServerResponse {
        switch request.path {
        case "/api/health" where request.method == "GET" || request.method == "HEAD":
            return health()
        case Self.webhookPath where fault != .webhookMissing:
            guard request.method == "POST" else {
                return ServerResponse(status: 405, text: "Method Not Allowed", headers: [("Allow", "POST")])
            }
            return webhook(request)
        default:
            return notFound(request)
        }
    }

    private func health() -> ServerResponse {
        if fault == .apiDown { return .json(503, #"{"status":"error","database":"disconnected"}"#) }
        lock.lock()
        let uptime = Date().timeIntervalSince(startedAt)
        lock.unlock()
        let seconds = String(format: "%.3f", uptime)
        return .json(200, #"{"status":"ok","service":"payments-api","uptime":\#(seconds)}"#)
    }

    private func webhook(_ request: ServerRequest) -> ServerResponse {
        if fault == .noVerification { return .json(200, #"{"received":true}"#) }
        do {
            try StripeSignature.verify(
                payload: request.body, header: request.header("Stripe-Signature") ?? "",
                secret: deployedWebhookSecret, tolerance: StripeSignature.defaultTolerance)
        } catch {
            // Stripe's sample handler answers `Webhook Error: <message>` through Express's res.send.
            return ServerResponse(
                status: 400, text: "Webhook Error: \(error.errorDescription ?? "Invalid signature")",
                contentType: "text/html; charset=utf-8")
        }
        return .json(200, #"{"received":true}"#)
    }

    /// Express's answer for a route that is not mounted.
    private func notFound(_ request: ServerRequest) -> ServerResponse {
        ServerResponse(status: 404, text: "Cannot \(request.method) \(request.path)", contentType: "text/html; charset=utf-8")
    }

    /// A fixed window of `rateLimit` requests per `rateWindow` seconds, like express-rate-limit.
    private func takeQuota() -> (allowed: Bool, remaining: Int, reset: Int) {
        lock.lock()
        defer { lock.unlock() }
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

    /// The IETF draft-6 headers express-rate-limit sends with `standardHeaders: true`.
    private func quotaHeaders(remaining: Int, reset: Int) -> [(String, String)] {
        [
            ("RateLimit-Policy", "\(Self.rateLimit);w=\(Int(Self.rateWindow))"),
            ("RateLimit-Limit", "\(Self.rateLimit)"),
            ("RateLimit-Remaining", "\(remaining)"),
            ("RateLimit-Reset", "\(reset)"),
        ]
    }

    // MARK: - Reserved for the Render API stand-in (the Stripe one is SandboxStripeAPI)

    private func renderAPI(_ request: ServerRequest) -> ServerResponse {
        .json(404, #"{"id":"not-found","message":"not found"}"#)
    }

    private func jsonEscaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
