import Foundation

extension StripeDeliveriesCheck {
    /// How long Stripe keeps retrying an undelivered live-mode event on its own (api-facts §9).
    static let liveRetryWindow = 3 * 86_400
    /// How long an event can still be resent (`POST /v1/events/{id}/retry`): events are kept 30 days.
    static let resendLimit = 30 * 86_400

    /// Where the oldest undelivered event stands against Stripe's retries and the resend limit:
    /// a short clause for the summary and a sentence for the evidence.
    ///
    /// In live mode Stripe retries for 3 days with back-off, then stops: after that only a resend
    /// recovers the payment, and only within 30 days. Test mode retries a few times over hours.
    static func retryHorizon(of oldest: StripeEvent, now: Int) -> (clause: String, detail: String) {
        let age = max(0, now - oldest.created)
        let resendBy = UTCTime.string(Date(timeIntervalSince1970: TimeInterval(oldest.created + resendLimit)), .readableMinutes)
        let resend = age >= resendLimit
            ? "it is past Stripe's 30-day limit and can no longer be resent"
            : "it can be resent until \(resendBy)"
        guard oldest.livemode == true else {
            let detail = "\(oldest.id) is \(hours(age)) old; test mode retries only a few times over hours, so resend it (doctor replay or the Dashboard): \(resend)"
            return ("oldest \(oldest.id) \(hours(age)) old (test mode: resend it)", detail)
        }
        let left = liveRetryWindow - age
        if left > 0 {
            let detail = "\(oldest.id) is \(hours(age)) old: Stripe retries live-mode events for 3 days, so it stops being retried in \(hours(left)); then \(resend)"
            return ("oldest \(oldest.id) stops being retried in \(hours(left))", detail)
        }
        let detail = "\(oldest.id) is \(hours(age)) old: Stripe stopped retrying it after 3 days; \(resend)"
        return ("oldest \(oldest.id) no longer retried by Stripe", detail)
    }

    /// `5 h`, `2 d 3 h`, `40 min`.
    static func hours(_ seconds: Int) -> String {
        if seconds < 3600 { return "\(max(1, seconds / 60)) min" }
        let hours = seconds / 3600
        return hours < 48 ? "\(hours) h" : "\(hours / 24) d \(hours % 24) h"
    }
}
