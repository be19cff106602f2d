/// The demo's `"AiEvent"` rows, as the service's webhook handler writes them: its own id, Stripe's
/// event type and the whole event as `payload` (`payload.id` is `evt_…`, `payload.data.object.id`
/// the payment intent), so the audit steps read what a Prisma `Json` column would hold.
///
/// One `payment_intent.succeeded` per payment of the day (47 minutes apart), and a customer event
/// a day back to 120 days, so the healthy demo keeps the guide's 90+ days. `duplicate-payment`
/// records two succeeded events a second time 40 s later (a Stripe retry after a timeout, processed
/// again); `audit-short` keeps only 30 days of events although payments go back 150 days.
enum SandboxAuditEvents {
    /// Days of customer-event history the demo keeps (`audit-short`: 30).
    static func historyDays(_ fault: SandboxFault?) -> Int { fault == .auditShort ? 30 : 120 }

    /// The payments whose succeeded event is recorded twice under `duplicate-payment`.
    static let duplicatedIndexes = [5, 12]

    /// The statements that fill the table; only the sandbox's own constants go into them.
    static func statements(fault: SandboxFault?) -> String {
        var sql = """
            INSERT INTO "AiEvent" (id, type, payload, "createdAt")
              SELECT 'aie_' || g, 'payment_intent.succeeded', \(payload("'evt_sandbox_' || g", "'payment_intent.succeeded'", "'pi_sandbox_' || g", "'payment_intent'")),
                     (now() AT TIME ZONE 'utc') - g * interval '47 minutes' + interval '1 second'
              FROM generate_series(1, 40) AS g;
            INSERT INTO "AiEvent" (id, type, payload, "createdAt")
              SELECT 'aie_c' || d, 'customer.created', \(payload("'evt_sandbox_c' || d", "'customer.created'", "'cus_sandbox_' || d", "'customer'")),
                     (now() AT TIME ZONE 'utc') - d * interval '1 day' - interval '5 hours'
              FROM generate_series(2, \(historyDays(fault))) AS d;

            """
        if fault == .duplicatePayment {
            for index in duplicatedIndexes {
                sql += """
                    INSERT INTO "AiEvent" (id, type, payload, "createdAt")
                      SELECT 'aie_retry_' || id, type, payload, "createdAt" + interval '40 seconds' FROM "AiEvent" WHERE id = 'aie_\(index)';

                    """
            }
        }
        if fault == .auditShort {
            // Payments from before the events' history: the service is older than its audit log.
            sql += """
                INSERT INTO "Payment" (id, "stripePaymentIntentId", amount, currency, status, "createdAt")
                  SELECT 'pay_old_' || d, 'pi_sandbox_old_' || d, 1500, 'usd', 'succeeded', (now() AT TIME ZONE 'utc') - d * interval '1 day'
                  FROM generate_series(100, 150, 10) AS d;

                """
        }
        return sql
    }

    /// A Stripe event as `jsonb`, from SQL expressions for its id, type and object.
    private static func payload(_ id: String, _ type: String, _ objectID: String, _ object: String) -> String {
        "jsonb_build_object('id', \(id), 'object', 'event', 'type', \(type), 'livemode', false, "
            + "'data', jsonb_build_object('object', jsonb_build_object('id', \(objectID), 'object', \(object))))"
    }
}
