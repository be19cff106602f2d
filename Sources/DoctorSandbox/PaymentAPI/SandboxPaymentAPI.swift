import DoctorKit
import Foundation

/// The stand-in for the Node payment API: health, the signature-verifying Stripe webhook endpoint
/// and express-rate-limit's 100 requests per 60 s, with the sandbox's fault applied. What it
/// prints while serving (request lines, the webhook handler's lines) goes to `log`, which the
/// Render API stand-in serves.
final class SandboxPaymentAPI: @unchecked Sendable {
    static let webhookPath = "/api/webhooks/stripe"
    static let rateLimit = 100
    static let rateWindow: Double = 60

    let fault: SandboxFault?
    /// The secret the running service verifies with; nil when `STRIPE_WEBHOOK_SECRET` is not set.
    let deployedWebhookSecret: String?
    let log: SandboxServiceLog
    /// Where the service's database is, as its Prisma errors name it.
    let databaseAddress: (host: String, port: UInt16)
    /// The event types the handler acts on; any other verified event is logged as unhandled.
    let handledEvents: Set<String>
    private let lock = NSLock()
    private var startedAt = Date()
    private var windowStart: Date?
    private var windowCount = 0
    private var served = 0
    /// When the first request arrived, under `cold-start`.
    private var firstRequest: Date?
    /// Writes the verified events to `"AiEvent"` once the database runs.
    private var auditWriter: SandboxAuditWriter?

    /// Starts logging verified events to the database (set when the sandbox's database is up).
    func logEvents(with writer: SandboxAuditWriter) {
        lock.withLock { auditWriter = writer }
    }

    /// The writer, when the database runs.
    var currentAuditWriter: SandboxAuditWriter? { lock.withLock { auditWriter } }
    /// How long a cold instance takes to answer its first request.
    static let spinUp: TimeInterval = 3

    init(fault: SandboxFault?, deployedWebhookSecret: String?,
         log: SandboxServiceLog = SandboxServiceLog(resource: "srv-sandbox", instance: "srv-sandbox-00000"),
         databaseAddress: (host: String, port: UInt16) = ("127.0.0.1", 5432))
    {
        self.fault = fault
        self.deployedWebhookSecret = deployedWebhookSecret
        self.log = log
        self.databaseAddress = databaseAddress
        // unhandled-events: the code lost its subscription handler while the endpoint stays subscribed.
        handledEvents = Set(SandboxStripeAPI.handledEvents).subtracting(fault == .unhandledEvents ? ["customer.subscription.updated"] : [])
    }

    /// Restarts the uptime clock and the rate window, as a fresh deploy would.
    func markStarted() {
        lock.lock()
        startedAt = Date()
        windowStart = nil
        windowCount = 0
        lock.unlock()
    }

    /// Answers a request for the payment API (anything outside the Stripe and Render paths).
    func handle(_ request: ServerRequest) -> ServerResponse {
        if fault == .hang { return ServerResponse(status: 200, behaviour: .hang) }
        if fault == .suspended { return Self.suspendedPage() }
        if fault == .rateLimited {
            logRequest(request, status: 429)
            return .json(429, #"{"error":"Rate limit exceeded"}"#, headers: [("Retry-After", "60")] + quotaHeaders(remaining: 0, reset: 60))
        }
        let quota = takeQuota()
        guard quota.allowed else {
            logRequest(request, status: 429)
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
        logRequest(request, status: response.status)
        response.headers += quotaHeaders(remaining: quota.remaining, reset: quota.reset)
        if clockOffset != 0 {
            response.headers.append(("Date", UTCTime.string(Date().addingTimeInterval(TimeInterval(clockOffset)), .http)))
        }
        if fault == .slow { response.delay = .milliseconds(1500) }
        if fault == .coldStart {
            // Like an instance spinning up: whatever arrives before it is up waits until then.
            let now = Date()
            let ready = lock.withLock { () -> Date in
                if firstRequest == nil { firstRequest = now }
                return firstRequest!.addingTimeInterval(Self.spinUp)
            }
            if ready > now { response.delay = .milliseconds(Int64(ready.timeIntervalSince(now) * 1000)) }
        }
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

    /// Seconds the service's clock runs ahead of the real one (`clock-skew`: 10 minutes).
    var clockOffset: Int { fault == .clockSkew ? 600 : 0 }

    private func health() -> ServerResponse {
        if fault == .apiDown { return .json(503, #"{"status":"error","database":"disconnected"}"#) }
        lock.lock()
        let uptime = Date().timeIntervalSince(startedAt)
        lock.unlock()
        let seconds = String(format: "%.3f", uptime)
        return .json(200, #"{"status":"ok","service":"payments-api","uptime":\#(seconds)}"#)
    }

    private func webhook(_ request: ServerRequest) -> ServerResponse {
        if fault == .noVerification {
            record(event: request.body)
            return .json(200, #"{"received":true}"#)
        }
        let header = request.header("Stripe-Signature") ?? ""
        let now = Int(Date().timeIntervalSince1970) + clockOffset
        if let message = Self.verificationFailure(payload: request.body, header: header, secret: deployedWebhookSecret, now: now) {
            if header.trimmingCharacters(in: .whitespaces).isEmpty {
                log.append("❌ Missing Stripe signature", level: "error")
            } else {
                log.append("❌ Webhook signature verification failed: \(message)", level: "error")
            }
            // Stripe's sample handler answers `Webhook Error: <message>` through Express's res.send.
            return ServerResponse(status: 400, text: "Webhook Error: \(message)", contentType: "text/html; charset=utf-8")
        }
        record(event: request.body)
        return .json(200, #"{"received":true}"#)
    }

    /// Why stripe-node's `constructEvent` would throw, or nil when the delivery verifies.
    ///
    /// Without a secret (`env-missing`) the header is still parsed first, as stripe-node does; a
    /// parsable header then reaches `crypto.createHmac(…, undefined)`, which throws Node's
    /// TypeError, and the handler answers it as it answers any verification error: 400.
    static func verificationFailure(payload: [UInt8], header: String, secret: String?,
                                    now: Int = Int(Date().timeIntervalSince1970)) -> String? {
        do {
            try StripeSignature.verify(payload: payload, header: header, secret: secret ?? "", tolerance: StripeSignature.defaultTolerance, now: now)
        } catch .noMatch where secret == nil {
            return undefinedKeyMessage
        } catch {
            return error.errorDescription ?? "Invalid signature"
        }
        return secret == nil ? undefinedKeyMessage : nil
    }

    /// Node's `ERR_INVALID_ARG_TYPE` for `crypto.createHmac('sha256', undefined)`.
    static let undefinedKeyMessage = #"The "key" argument must be of type string or an instance of ArrayBuffer, Buffer, TypedArray, DataView, KeyObject, or CryptoKey. Received undefined"#

    /// What Render's proxy answers for a service its owner suspended: 503 and its notice page; the
    /// instance is stopped, so the service itself prints nothing. (The page's exact text and the
    /// `x-render-routing` value are from memory of Render's behaviour, not from a stored document.)
    static func suspendedPage() -> ServerResponse {
        ServerResponse(
            status: 503, text: "<html><head><title>Service Suspended</title></head><body><h1>Service Suspended</h1>"
                + "<p>This service has been suspended by its owner.</p></body></html>",
            contentType: "text/html; charset=utf-8", headers: [("x-render-routing", "suspend-by-user")])
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
}
