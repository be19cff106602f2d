import DoctorKit
import Foundation

/// The stand-in for the Node payment API: health, the signature-verifying Stripe webhook endpoint
/// and express-rate-limit's 100 requests per 60 s, with the sandbox's fault applied.
final class SandboxPaymentAPI: @unchecked Sendable {
    static let webhookPath = "/api/webhooks/stripe"
    static let rateLimit = 100
    static let rateWindow: Double = 60

    let fault: SandboxFault?
    let deployedWebhookSecret: String
    private let lock = NSLock()
    private var startedAt = Date()
    private var windowStart: Date?
    private var windowCount = 0
    private var served = 0

    init(fault: SandboxFault?, deployedWebhookSecret: String) {
        self.fault = fault
        self.deployedWebhookSecret = deployedWebhookSecret
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
}
