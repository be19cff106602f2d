/// A fault the sandbox can be started with, so the runbooks can be watched finding it.
///
/// The raw values are the names users type (`doctor demo --fault wrong-secret`); they are a
/// contract and never change.
public enum SandboxFault: String, CaseIterable, Sendable, Hashable {
    /// The health check answers 503 with the database reported disconnected.
    case apiDown = "api-down"
    /// The API answers after 1.5 s, over the guide's 1 s healthy latency.
    case slow = "slow"
    /// The API accepts connections and never answers.
    case hang = "hang"
    /// The webhook endpoint verifies with a different secret than the one configured.
    case wrongSecret = "wrong-secret"
    /// The webhook route is not mounted: Express's 404.
    case webhookMissing = "webhook-missing"
    /// The webhook endpoint accepts anything without checking signatures.
    case noVerification = "no-verification"
    /// Every request is refused with 429 and `Retry-After: 60`.
    case rateLimited = "rate-limited"
    /// Stripe has no webhook endpoint at the payment API's URL.
    case endpointMissing = "endpoint-missing"
    /// Stripe's endpoint for the payment API is disabled.
    case endpointDisabled = "endpoint-disabled"
    /// Stripe's endpoint points at another path on the payment API's host.
    case wrongPath = "wrong-path"
    /// Stripe's recent events are still pending delivery to the endpoint.
    case deliveriesFailing = "deliveries-failing"
    /// The Stripe API answers every request with 429.
    case stripeRateLimited = "stripe-rate-limited"
    /// One request in three to the payment API fails: a 502 from the proxy or a reset connection.
    case flaky = "flaky"
    /// The database is down: `DATABASE_URL` points at a port nothing listens on.
    case dbDown = "db-down"
    /// Three of the day's succeeded payment intents have no row in the database: missed webhooks.
    case paymentsMissing = "payments-missing"
    /// Render's two newest deploys failed (`build_failed`, then `update_failed`); an older one is live.
    case deployFailed = "deploy-failed"
    /// The service's Render environment has no `STRIPE_WEBHOOK_SECRET`, so every delivery fails.
    case envMissing = "env-missing"
    /// The service's Render environment holds another `STRIPE_WEBHOOK_SECRET`, and verifies with it.
    case envSecretDiffers = "env-secret-differs"
    /// The instance's memory climbs from 180 MB to 540 MB within the hour: a leak.
    case memoryClimb = "memory-climb"
    /// The owner suspended the service on Render: its URL answers 503.
    case suspended = "suspended"
    /// The service's Render notification override is `none`: a failed deploy notifies nobody.
    case notificationsOff = "notifications-off"
    /// The logs show subscribed events the code does not handle (`Unhandled event type`).
    case unhandledEvents = "unhandled-events"
    /// The logs show Prisma's P1001 for the newest payments, whose rows were never written.
    case dbErrorsInLogs = "db-errors-in-logs"
    /// The instance was idle: requests arriving in its first 3 s wait until it has spun up.
    case coldStart = "cold-start"
    /// The last day's Stripe events hold 12 disputes and 15 refunds, far above the week before.
    case disputeSpike = "dispute-spike"
    /// The service's daily reconciliation last completed 30 hours ago: its schedule stopped.
    case reconciliationStale = "reconciliation-stale"
    /// Sentry received 120 errors in the last five minutes, far over its day's baseline.
    case errorSpike = "error-spike"
    /// Two succeeded payment events are recorded twice in AiEvent: processed again on a retry.
    case duplicatePayment = "duplicate-payment"
    /// AiEvent keeps 30 days of history although payments go back 150 days.
    case auditShort = "audit-short"
    /// The service's clock runs 10 minutes ahead: it rejects genuine deliveries as too old.
    case clockSkew = "clock-skew"
    /// Two matched Payment rows disagree with Stripe: one still "pending", one with a wrong amount.
    case statusMismatch = "status-mismatch"
    /// The last `prisma migrate deploy` started a migration and never finished it.
    case migrationFailed = "migration-failed"
    /// Verified webhooks are acknowledged with 200 but their AiEvent rows are never written.
    case eventsNotRecorded = "events-not-recorded"

    /// Every fault, in the order `doctor demo --list-faults` shows them.
    public static var all: [SandboxFault] { allCases }

    /// The fault's name as typed on the command line.
    public var name: String { rawValue }

    /// Looks a fault up by its command-line name.
    public init?(name: String) {
        // Issue 18 calls the fault a replay heals `missing-payment`: the same world as `payments-missing`.
        if name == "missing-payment" { self = .paymentsMissing; return }
        self.init(rawValue: name)
    }

    /// One line saying what the fault does to the sandbox.
    public var summary: String {
        switch self {
        case .apiDown: "the health check answers 503: database disconnected"
        case .slow: "the API answers after 1.5 s (over the 1 s healthy latency)"
        case .coldStart: "the instance was idle: the first requests wait 3 s while it spins up, later ones are fast"
        case .hang: "the API accepts connections and never answers"
        case .wrongSecret: "the webhook endpoint holds a different signing secret than STRIPE_WEBHOOK_SECRET"
        case .webhookMissing: "the webhook route is not mounted (404 Cannot POST /api/webhooks/stripe)"
        case .noVerification: "the webhook endpoint accepts any request without verifying signatures"
        case .rateLimited: "every request is refused with 429 and Retry-After: 60"
        case .endpointMissing: "Stripe has no webhook endpoint at API_URL/api/webhooks/stripe"
        case .endpointDisabled: "Stripe's webhook endpoint for the API is disabled"
        case .wrongPath: "Stripe's webhook endpoint points at /api/webhook instead of /api/webhooks/stripe"
        case .deliveriesFailing: "6 of the last 8 Stripe events are still pending delivery"
        case .stripeRateLimited: "the Stripe API answers every request with 429 (rate_limit)"
        case .flaky: "one API request in three fails: a 502 from Render's proxy or a reset connection"
        case .dbDown: "the database is down: nothing listens at DATABASE_URL's host and port"
        case .paymentsMissing: "3 of the day's 30 succeeded Stripe payments have no row in the Payment table (missed webhooks)"
        case .deployFailed: "Render's two newest deploys failed within the hour (build_failed, update_failed); a 2-day-old one is live"
        case .envMissing: "STRIPE_WEBHOOK_SECRET is not set on Render: the webhook endpoint answers 400 to every signed delivery"
        case .envSecretDiffers: "Render's STRIPE_WEBHOOK_SECRET differs from the local one, and the service verifies with it"
        case .memoryClimb: "the instance's memory climbs from 180 MB to 540 MB over the last hour (a leak)"
        case .suspended: "the service is suspended on Render (by its owner): the API answers 503"
        case .notificationsOff: "the service's Render notifications are set to none: nobody hears of a failed deploy"
        case .unhandledEvents: "the logs hold \"Unhandled event type: customer.subscription.updated\" every 25 minutes"
        case .dbErrorsInLogs: "the logs hold \"Database connection error\" (P1001) for the 3 newest payments, whose rows are missing"
        case .disputeSpike: "Stripe's last day holds 12 charge.dispute.created and 16 charge.refunded events; the week before, no dispute and 3 refunds"
        case .reconciliationStale: "the daily reconciliation last completed 30 hours ago (its schedule stopped)"
        case .errorSpike: "Sentry received 120 errors in the last 5 minutes (\"Database connection error\", \"DATABASE_URL invalid\"), against about one an hour before"
        case .duplicatePayment: "the succeeded events of pi_sandbox_5 and pi_sandbox_12 are recorded twice in AiEvent, 40 s apart (processed again on a retry)"
        case .auditShort: "AiEvent keeps only 30 days of history although Payment rows go back 150 days"
        case .eventsNotRecorded: "the webhook handler acknowledges verified events with 200 but never writes their AiEvent row (a lost database write)"
        case .migrationFailed: "the last prisma migrate deploy failed: migration 20261207093000_payment_refund_reason started 2 hours ago and never finished (P3018)"
        case .statusMismatch: "two Payment rows disagree with Stripe: pi_sandbox_5 is still \"pending\" although it succeeded, pi_sandbox_8 holds 908 where Stripe charged 1008"
        case .clockSkew: "the service's clock runs 10 minutes ahead: its Date header says so, and it rejects every signed delivery as \"Timestamp outside the tolerance zone\""
        }
    }

    /// The id of the shipped runbook that finds the fault, so the demo says which to watch.
    public var runbook: String {
        switch self {
        case .apiDown, .wrongSecret, .webhookMissing, .noVerification, .endpointMissing, .endpointDisabled, .wrongPath,
             .deliveriesFailing, .envMissing, .envSecretDiffers, .unhandledEvents, .clockSkew:
            "webhooks-not-arriving"
        case .slow, .hang, .memoryClimb, .coldStart: "high-latency"
        case .rateLimited, .stripeRateLimited, .flaky, .errorSpike: "intermittent-failures"
        case .dbDown, .paymentsMissing, .dbErrorsInLogs, .statusMismatch, .eventsNotRecorded: "missing-db-records"
        case .deployFailed, .suspended, .notificationsOff, .migrationFailed: "deploy"
        case .disputeSpike, .reconciliationStale: "daily"
        case .duplicatePayment, .auditShort: "security"
        }
    }
}
