import DoctorKit
import Foundation

/// An embedded stand-in for the payment API on a free loopback port, for `doctor demo` and tests.
///
/// It answers like the real Node service (health, a signature-verifying Stripe webhook endpoint,
/// a 100-per-minute rate limit) unless started with a `SandboxFault`. Paths under `/v1/` are the
/// Stripe API stand-in's, those under `/render/v1/` the Render API stand-in's and those under
/// `/sentry/api/0/` the Sentry API stand-in's.
public final class Sandbox: @unchecked Sendable {
    /// The fault injected now, if any: the one it was made with until `switchFault(to:)` changes it.
    public var fault: SandboxFault? { router.current.payment.fault }

    let secrets: SandboxSecrets
    /// The payments Stripe's stand-in lists and the database holds, from one clock reading.
    var payments: SandboxPayments { api.stripe.payments }
    /// The stand-ins serving now; a fault switch replaces them together.
    var api: SandboxAPI { router.current }
    /// What the server's handler holds instead of the sandbox or one world (see `SandboxRouter`).
    let router: SandboxRouter
    let lock = NSLock()
    /// Held for a whole fault switch, so two switches (or a switch and `stop()`) never interleave.
    let switchLock = NSLock()
    var server: HTTPServer?
    /// The sandbox's PostgreSQL cluster, once `startDatabase()` has started one.
    var database: TemporaryPostgres?
    /// Whether `startDatabase()` was asked for, so a switch away from `db-down` knows to start one.
    var wantsDatabase = false
    /// Set by `stop()`: a switch after it starts nothing.
    var stopped = false
    /// Told of every fault switch (`doctor demo --serve` prints it); called outside the locks.
    var switchObserver: (@Sendable (SandboxFaultSwitch) -> Void)?

    /// Creates a sandbox with fresh random secrets, or the `chosen` ones (tests that need a
    /// secret of a given shape, or one they know); nothing listens until `start()`.
    public init(fault: SandboxFault? = nil, chosen: SandboxSecrets.Chosen = SandboxSecrets.Chosen()) {
        var secrets = SandboxSecrets()
        if let key = chosen.stripeKey { secrets.stripeKey = key }
        if let secret = chosen.webhookSecret { secrets.webhookSecret = secret }
        if let password = chosen.databasePassword { secrets.databasePassword = password }
        if let key = chosen.renderKey { secrets.renderKey = key }
        if let token = chosen.sentryToken { secrets.sentryToken = token }
        if let other = chosen.otherWebhookSecret { secrets.otherWebhookSecret = other }
        self.secrets = secrets
        router = SandboxRouter(Self.makeAPI(fault: fault, secrets: secrets, now: Int(Date().timeIntervalSince1970)))
        // Weakly: the server's handler must not keep the sandbox alive (see `SandboxAPI`).
        router.setControl { [weak self] request in self?.answerFaultRoute(request) ?? ServerResponse(status: 503) }
    }

    /// The stand-ins for `fault` at `now` (Unix seconds), one clock reading for every stand-in's
    /// history so payments, deploys and logs agree; the same `secrets` give the same credentials.
    static func makeAPI(fault: SandboxFault?, secrets: SandboxSecrets, now: Int) -> SandboxAPI {
        let payments = SandboxPayments.demo(fault: fault, now: now)
        // The secret the running service verifies with, and the one its Render environment shows:
        // under `wrong-secret` Render holds ours but the service still runs with an older one (the
        // variable was saved without a redeploy); under `env-secret-differs` both are another one.
        let runningSecret: String? = switch fault {
        case .envMissing: nil
        case .wrongSecret, .envSecretDiffers: secrets.otherWebhookSecret
        default: secrets.webhookSecret
        }
        let renderSecret = fault == .wrongSecret ? secrets.webhookSecret : runningSecret
        let service = SandboxRenderService.make(id: secrets.renderServiceID, fault: fault, now: now)
        let log = SandboxServiceLog(resource: service.id, instance: service.instance)
        let databaseAddress = (host: "127.0.0.1", port: secrets.databasePort)
        log.seed(SandboxServiceLog.history(service: service, payments: payments, fault: fault, now: now, databaseAddress: databaseAddress))
        if fault == .suspended { log.stopRunning() }
        return SandboxAPI(
            payment: SandboxPaymentAPI(fault: fault, deployedWebhookSecret: runningSecret, log: log, databaseAddress: databaseAddress),
            stripe: SandboxStripeAPI(fault: fault, key: secrets.stripeKey, payments: payments),
            render: SandboxRenderAPI(fault: fault, key: secrets.renderKey, service: service, log: log,
                                     deployedWebhookSecret: renderSecret, createdAt: now),
            sentry: SandboxSentryAPI(fault: fault, token: secrets.sentryToken, createdAt: now))
    }

    deinit { stop() }

    /// Starts listening on a free port of 127.0.0.1; does nothing when already running.
    public func start() throws(HTTPServerError) {
        lock.lock()
        defer { lock.unlock() }
        guard server == nil else { return }
        let router = self.router
        let server = try HTTPServer(port: 0) { router.handle($0) }
        self.server = server
        wire(api, port: server.port)
    }

    /// What `start()` does for a world: its clocks started, Stripe's data made for the sandbox's
    /// URL, resends delivered in process, Render told where the service is.
    func wire(_ api: SandboxAPI, port: UInt16) {
        api.markStarted()
        api.stripe.start(apiURL: "http://127.0.0.1:\(port)")
        // A resent event reaches the payment API in process, signed with the endpoint's secret.
        let payment = api.payment
        api.stripe.lock.withLock {
            api.stripe.delivery = .init(base: "http://127.0.0.1:\(port)", secret: secrets.webhookSecret) { payment.handle($0) }
        }
        // Weakly: the server's handler must not keep the sandbox alive (see `SandboxAPI`).
        api.render.start(apiURL: "http://127.0.0.1:\(port)") { [weak self] in self?.environment ?? [:] }
    }

    /// Stops listening and drops every open connection, hung ones included.
    public func stop() {
        // After a switch in progress has finished, so a cluster it starts is stopped here too.
        switchLock.withLock { lock.withLock { stopped = true } }
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

    /// Lets the payment API log the events it verifies in `"AiEvent"`, once the database runs.
    func startLoggingEvents(_ api: SandboxAPI? = nil) {
        guard let url = environment["DATABASE_URL"], let writer = SandboxAuditWriter(url: url) else { return }
        (api ?? self.api).payment.logEvents(with: writer)
    }

    /// The Render API stand-in's base URL, `http://127.0.0.1:PORT/render/v1` (valid once started).
    public var renderAPIBase: String { apiURL + SandboxRenderAPI.basePath }

    /// The Sentry API stand-in's base URL, `http://127.0.0.1:PORT/sentry/api/0` (valid once started).
    public var sentryAPIBase: String { apiURL + SandboxSentryAPI.basePath }

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
            "RENDER_API_KEY": secrets.renderKey,
            "RENDER_API_BASE": "http://127.0.0.1:\(port)" + SandboxRenderAPI.basePath,
            "SENTRY_AUTH_TOKEN": secrets.sentryToken,
            "SENTRY_ORG": SandboxSentryAPI.organization,
            "SENTRY_PROJECT": SandboxSentryAPI.project,
            "SENTRY_API_BASE": "http://127.0.0.1:\(port)" + SandboxSentryAPI.basePath,
        ]
    }

    /// Answers one request as the sandbox would; the server calls this, tests may too.
    public func handle(_ request: ServerRequest) -> ServerResponse { router.handle(request) }

    /// How many times the Stripe stand-in was asked to resend an event (a dry run asks none).
    public var resendCalls: Int { api.stripe.lock.withLock { api.stripe.resendCalls } }

    /// How many payment intents the Stripe stand-in was asked to create (a refused canary asks none).
    public var paymentIntentCalls: Int { api.stripe.lock.withLock { api.stripe.paymentIntentCalls } }
}

/// The per-instance credentials of a sandbox, random so tests can prove none of them leak.
public struct SandboxSecrets: Sendable {
    /// Secrets a test picks instead of random ones; nil keeps the random one.
    public struct Chosen: Sendable {
        /// The Stripe key, the webhook secret, the database password, the Render key and the Sentry token.
        public var stripeKey: String?, webhookSecret: String?, databasePassword: String?, renderKey: String?, sentryToken: String?
        /// The other secret the service runs with under `wrong-secret` and `env-secret-differs`.
        public var otherWebhookSecret: String?

        /// Chosen secrets; nil keeps the random one.
        public init(stripeKey: String? = nil, webhookSecret: String? = nil, databasePassword: String? = nil,
                    renderKey: String? = nil, otherWebhookSecret: String? = nil, sentryToken: String? = nil) {
            self.stripeKey = stripeKey
            self.webhookSecret = webhookSecret
            self.databasePassword = databasePassword
            self.renderKey = renderKey
            self.otherWebhookSecret = otherWebhookSecret
            self.sentryToken = sentryToken
        }
    }

    var stripeKey = "sk_test_" + SandboxSecrets.random(24, from: alphanumerics)
    var webhookSecret = SandboxSecrets.webhookSecret()
    /// The older secret the service runs with under `wrong-secret` and `env-secret-differs`; made
    /// once, so switching to either fault and back keeps every secret the sandbox printed.
    var otherWebhookSecret = SandboxSecrets.webhookSecret()
    var databasePassword = SandboxSecrets.random(20, from: alphanumerics)
    let databasePort = SandboxSecrets.closedPort()
    let sentryKey = SandboxSecrets.random(32, from: "0123456789abcdef")
    let renderServiceID = "srv-sandbox" + SandboxSecrets.random(9, from: "0123456789abcdefghijklmnopqrstuvwxyz")
    /// Render's API keys are commonly `rnd_` and 32 alphanumerics (api-facts §3 caveats).
    var renderKey = "rnd_" + SandboxSecrets.random(32, from: alphanumerics)
    /// An organization auth token in Sentry's current shape: `sntrys_`, base64 and an `_` before its tail.
    var sentryToken = "sntrys_" + SandboxSecrets.random(40, from: alphanumerics + "+/") + "_" + SandboxSecrets.random(22, from: alphanumerics)

    static let alphanumerics = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

    static func webhookSecret() -> String { "whsec_" + random(32, from: alphanumerics) }

    /// The same `count` characters of `alphabet` for the same `seed`, every run: the ids of what
    /// stays the same from one sandbox to the next (its deploy history, its Stripe account and
    /// endpoints), so `doctor diff` between two demo runs shows what the fault changed, not noise.
    /// Ids only: a secret is never made this way.
    static func stable(_ count: Int, from alphabet: String, seed: String) -> String {
        var state: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in seed.utf8 { state = (state ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let characters = Array(alphabet)
        return String((0..<count).map { _ in
            state &+= 0x9e37_79b9_7f4a_7c15
            var mixed = state
            mixed = (mixed ^ (mixed >> 30)) &* 0xbf58_476d_1ce4_e5b9
            mixed = (mixed ^ (mixed >> 27)) &* 0x94d0_49bb_1331_11eb
            mixed ^= mixed >> 31
            return characters[Int(mixed % UInt64(characters.count))]
        })
    }

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

/// The sandbox's routes, separate from `Sandbox` so the server's handler does not keep the
/// sandbox alive. Each stand-in owns its paths: `/v1/` is Stripe's, `/render/v1/` Render's,
/// `/sentry/api/0/` Sentry's, the rest is the payment API.
final class SandboxAPI: Sendable {
    let payment: SandboxPaymentAPI
    let stripe: SandboxStripeAPI
    let render: SandboxRenderAPI
    let sentry: SandboxSentryAPI
    /// When this world was made, in milliseconds: its seeded history is older, its live lines newer.
    let builtAt = Int((Date().timeIntervalSince1970 * 1000).rounded(.down))

    init(payment: SandboxPaymentAPI, stripe: SandboxStripeAPI, render: SandboxRenderAPI, sentry: SandboxSentryAPI) {
        self.payment = payment
        self.stripe = stripe
        self.render = render
        self.sentry = sentry
    }

    func markStarted() { payment.markStarted() }

    func handle(_ request: ServerRequest) -> ServerResponse {
        if request.path == "/v1" || request.path.hasPrefix("/v1/") { return stripe.handle(request) }
        if request.path == SandboxRenderAPI.basePath || request.path.hasPrefix(SandboxRenderAPI.basePath + "/") {
            return render.handle(request)
        }
        if request.path == SandboxSentryAPI.basePath || request.path.hasPrefix(SandboxSentryAPI.basePath + "/") {
            return sentry.handle(request)
        }
        return payment.handle(request)
    }
}
