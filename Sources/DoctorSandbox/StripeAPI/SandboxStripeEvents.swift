import DoctorKit
import Foundation

/// The Stripe stand-in's week of events before the last day, so the baseline checks
/// (`refunds-disputes`, `webhook-volume`) have history to compare with, and what `dispute-spike`
/// adds to the last day.
///
/// Healthy: five payments a day (each a `payment_intent.succeeded` and its `charge.succeeded`),
/// a refund every other day, no dispute, and a deleted customer whose subscription Stripe cancelled
/// with it. None of it falls in the last 24 hours, whose eight events the delivery checks count.
enum SandboxStripeEvents {
    /// How many disputes and refunds `dispute-spike` adds to the last day.
    static let spikeDisputes = 12
    static let spikeRefunds = 15

    /// The events from eight days to one day before `now`, plus the fault's, in no order.
    static func history(now: Int, fault: SandboxFault?) -> [JSONValue] {
        var events: [JSONValue] = []
        for day in 1...7 {
            let dayStart = now - 86_400 * day - 3_600
            for index in 0..<5 {
                let created = dayStart - index * 4 * 3_600
                let intent = "pi_hist_\(day)_\(index)", chargeID = "ch_hist_\(day)_\(index)"
                events.append(event("payment_intent.succeeded", created: created, object: [("id", .string(intent)), ("object", .string("payment_intent"))]))
                events.append(event("charge.succeeded", created: created + 1, object: charge(chargeID, intent: intent)))
                if index == 2 && day % 2 == 0 {
                    events.append(event("charge.refunded", created: created + 5_400, object: charge(chargeID, intent: intent, refunded: true)))
                }
            }
        }
        // Deleting a customer cancels its subscriptions in the same second.
        let deleted = now - 86_400 * 3 - 7_200
        events.append(event("customer.subscription.deleted", created: deleted, object: [
            ("id", .string("sub_hist_1")), ("object", .string("subscription")), ("customer", .string("cus_hist_1")),
            ("status", .string("canceled")),
        ]))
        events.append(event("customer.deleted", created: deleted, object: [("id", .string("cus_hist_1")), ("object", .string("customer"))]))

        if fault == .disputeSpike {
            for index in 0..<spikeDisputes {
                let created = now - 1_800 - index * 5_400
                events.append(event("charge.dispute.created", created: created, object: [
                    ("id", .string("du_spike_\(index)")), ("object", .string("dispute")), ("charge", .string("ch_spike_\(index)")),
                    ("payment_intent", .string("pi_spike_\(index)")), ("reason", .string("fraudulent")), ("status", .string("needs_response")),
                ]))
            }
            for index in 0..<spikeRefunds {
                events.append(event("charge.refunded", created: now - 2_400 - index * 4_500,
                                    object: charge("ch_refund_\(index)", intent: "pi_refund_\(index)", refunded: true)))
            }
        }
        return events
    }

    /// A `payment_intent.succeeded` event for each succeeded payment the service has no row for
    /// (`payments-missing`, `db-errors-in-logs`), its payment intent as `data.object`, as Stripe
    /// sent it when the payment succeeded; the in-flight one's webhook is not due yet, so it has
    /// none. Delivered as far as Stripe knows (the endpoint acknowledged, or the retries ended).
    static func unrecorded(_ payments: SandboxPayments, now: Int) -> [JSONValue] {
        let intents = Dictionary(payments.intents.compactMap { intent in intent.string("id").map { ($0, intent) } },
                                 uniquingKeysWith: { first, _ in first })
        return payments.payments.compactMap { payment in
            guard payment.status == "succeeded", payment.rowLagMilliseconds == nil, payment.created < now - 300,
                case let .object(members)? = intents[payment.id] else { return nil }
            return event("payment_intent.succeeded", created: payment.created, object: members.filter { $0.0 != "livemode" })
        }
    }

    /// A charge object with the fields the checks read.
    static func charge(_ id: String, intent: String, refunded: Bool = false) -> [(String, JSONValue)] {
        [("id", .string(id)), ("object", .string("charge")), ("amount", .int(2_000)),
         ("amount_refunded", .int(refunded ? 2_000 : 0)), ("customer", .null), ("payment_intent", .string(intent)),
         ("refunded", .bool(refunded)), ("status", .string("succeeded"))]
    }

    /// An event in Stripe's shape around `object`, delivered (`pending_webhooks` 0).
    static func event(_ type: String, created: Int, object: [(String, JSONValue)]) -> JSONValue {
        .object([
            ("id", .string("evt_" + SandboxStripeAPI.randomID(24))), ("object", .string("event")),
            ("api_version", .string(SandboxStripeAPI.apiVersion)), ("created", .int(created)),
            ("data", .object([("object", .object(object + [("livemode", .bool(false))]))])),
            ("livemode", .bool(false)), ("pending_webhooks", .int(0)),
            ("request", .object([("id", .string("req_" + SandboxStripeAPI.randomID(14))), ("idempotency_key", .null)])),
            ("type", .string(type)),
        ])
    }
}
