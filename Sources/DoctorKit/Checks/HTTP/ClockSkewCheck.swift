import Foundation

/// The `clock-skew` check kind: the service's clock against this machine's and Stripe's, read from
/// the HTTP `Date` of their answers.
///
/// Stripe signs each delivery with its time, and the service's library rejects a signature more
/// than 300 s older than its own clock ("Timestamp outside the tolerance zone"): a service whose
/// clock runs that far ahead rejects every genuine delivery, with the right secret. Beyond the
/// `fail` threshold (default 300 s, the tolerance) the step fails, beyond `warn` (60 s) it warns.
/// With a Stripe key, Stripe's own `Date` says which clock is off: the service's (it rejects
/// deliveries) or this machine's (only the doctor's own signed probes are affected).
public struct ClockSkewCheck: CheckKind {
    public static let name = "clock-skew"

    static let defaultWarn = Duration.seconds(60)
    static let defaultFail = Duration.seconds(Int64(StripeSignature.defaultTolerance))
    static let defaultTimeout = Duration.seconds(10)

    public static func make(_ parameters: ParameterReader, step: StepSettings) throws(RunbookError) -> any Check {
        let location = parameters.value("url")?.location ?? parameters.location
        let url = try Template(try parameters.string("url"), at: location)
        try parameters.finish(kind: name)
        let warn = try step.durationThreshold(step.warn, name: "warn") ?? defaultWarn
        let fail = try step.durationThreshold(step.fail, name: "fail") ?? defaultFail
        if fail < warn, let value = step.fail {
            throw RunbookError(value.location, "thresholds.fail (\(fail.short)) must not be below thresholds.warn (\(warn.short))")
        }
        return Probe(url: url, warn: warn, fail: fail, timeout: step.timeout ?? defaultTimeout)
    }

    /// One clock read off an answer: how far ahead of this machine (seconds), give or take `margin`.
    struct Reading {
        let offset: Double
        /// Half the round trip plus the `Date` header's one-second resolution.
        let margin: Double

        /// The offset of a `Date` header read between `sent` and `received` (seconds since 1970).
        init?(date header: String?, sent: Double, received: Double) {
            guard let header, let date = UTCTime.parseHTTPDate(header) else { return nil }
            // `Date` is truncated to the second: the server's clock was in [date, date + 1).
            offset = Double(date) + 0.5 - (sent + received) / 2
            margin = (received - sent) / 2 + 0.5
        }

        init(offset: Double, margin: Double) {
            self.offset = offset
            self.margin = margin
        }

        /// `10 min 2 s ahead`, `3 s behind`.
        var words: String {
            let seconds = Int(abs(offset).rounded())
            let amount = seconds < 60 ? "\(seconds) s" : seconds % 60 == 0 ? "\(seconds / 60) min" : "\(seconds / 60) min \(seconds % 60) s"
            return seconds == 0 ? "in step" : "\(amount) \(offset > 0 ? "ahead" : "behind")"
        }
    }

    /// A configured `clock-skew` step.
    struct Probe: Check {
        let url: Template
        let warn: Duration
        let fail: Duration
        let timeout: Duration

        func run(in context: CheckContext) async -> CheckOutcome {
            let target: String
            switch url.expanded(in: context.configuration) {
            case let .success(text): target = text
            case let .failure(stop): return stop.outcome
            }
            var evidence = Evidence()
            evidence["url"] = .string(target)
            let sent = Date().timeIntervalSince1970
            let response: HTTPResponse
            do {
                response = try await context.perform(HTTPRequest(method: "GET", url: target, timeout: min(timeout, context.remaining), maxRedirects: 0))
            } catch {
                evidence["error"] = .string(error.localizedDescription)
                if error == .cancelled { return CheckOutcome(.unknown, "cancelled", evidence: evidence) }
                return CheckOutcome(.unknown, "the service did not answer, so its clock cannot be read: \(error.localizedDescription)", evidence: evidence)
            }
            let received = Date().timeIntervalSince1970
            guard let service = Reading(date: response.header("date"), sent: sent, received: received) else {
                evidence["status"] = .int(response.status)
                return CheckOutcome(.unknown, "the service's answer carries no readable Date header, so its clock cannot be read", evidence: evidence,
                                    hint: "Every HTTP server with a clock should send Date (RFC 9110); a proxy may strip it.")
            }
            evidence["service_date"] = .string(response.header("date") ?? "")
            evidence["service_offset_s"] = .double((service.offset * 10).rounded() / 10)
            evidence["margin_s"] = .double((service.margin * 10).rounded() / 10)
            let stripe = await stripeReading(context)
            if let stripe {
                evidence["stripe_offset_s"] = .double((stripe.offset * 10).rounded() / 10)
            }
            return judge(service: service, stripe: stripe, evidence: evidence)
        }

        /// Stripe's clock against this machine's, when a key lets the doctor ask (`GET /v1/account`).
        private func stripeReading(_ context: CheckContext) async -> Reading? {
            guard case let .success(client) = StripeCheckSupport.client(context) else { return nil }
            let sent = Date().timeIntervalSince1970
            guard let answer = try? await client.get("/v1/account", deadline: context.deadline), let date = answer.date else { return nil }
            let received = Date().timeIntervalSince1970
            return Reading(offset: Double(date) + 0.5 - (sent + received) / 2, margin: (received - sent) / 2 + 0.5)
        }

        func judge(service: Reading, stripe: Reading?, evidence: Evidence) -> CheckOutcome {
            let tolerance = "Stripe's \(StripeSignature.defaultTolerance) s signature tolerance"
            // Against Stripe's clock when known: that is the clock deliveries are signed with.
            let reference = stripe.map { Reading(offset: service.offset - $0.offset, margin: service.margin + $0.margin) } ?? service
            let against = stripe == nil ? "this machine's" : "Stripe's"
            // Only the part of the offset beyond the reading's margin counts.
            let beyond = max(0, abs(reference.offset) - reference.margin)
            if beyond > fail.seconds {
                let ahead = reference.offset > 0
                let effect = ahead
                    ? "beyond \(tolerance), it rejects every genuine delivery as \"Timestamp outside the tolerance zone\""
                    : "behind by more than \(tolerance): it still accepts deliveries (only old signatures are rejected), but the times it logs and writes are off"
                return CheckOutcome(
                    ahead ? .fail : .warn, "the service's clock is \(reference.words) of \(against): \(effect)", evidence: evidence,
                    hint: "The service's host clock is off: on Render, redeploy or contact Render support (their hosts sync with NTP); elsewhere enable NTP (timedatectl set-ntp true). Until then Stripe's deliveries fail and are retried for up to 3 days in live mode.")
            }
            if beyond > warn.seconds {
                return CheckOutcome(.warn, "the service's clock is \(reference.words) of \(against), within \(tolerance) but drifting", evidence: evidence,
                                    hint: "Check the host's time synchronisation (NTP) before the drift reaches 300 s, when genuine deliveries start to be rejected.")
            }
            if let stripe, max(0, abs(stripe.offset) - stripe.margin) > warn.seconds {
                return CheckOutcome(.warn, "this machine's clock is \(stripe.words) of Stripe's (the service agrees with Stripe): the doctor's own signed probes may be rejected", evidence: evidence,
                                    hint: "Fix this machine's clock (timedatectl set-ntp true): the webhook-secret probe signs with it.")
            }
            return CheckOutcome(.pass, "the service's clock is \(reference.words) of \(against) (±\(Int(reference.margin.rounded(.up))) s)", evidence: evidence)
        }
    }
}
