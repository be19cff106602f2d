import Foundation

/// The verdict of a reconciliation: Stripe's succeeded payment intents against the rows found for
/// them, the share without a row against the thresholds, and the webhook lag of the matched ones.
struct ReconciliationEvaluation {
    let span: ReconciliationSpan
    /// Every payment intent Stripe listed in the span, newest first.
    let intents: [StripePaymentIntent]
    /// Whether Stripe had more than `max_payments` in the span (only the newest were read).
    let truncated: Bool
    let rows: PaymentLookup.Rows
    let table: String
    /// The row creation time column, when the table has it (nil: no lag measured).
    let timeColumn: String?
    let maxListed: Int
    let warn: Double
    let fail: Double

    /// A row written this long after its payment came from the daily reconciliation or a replay,
    /// not from the live webhook.
    static let lateRowMilliseconds: Int64 = 10 * 60 * 1000

    static let hint = "Stripe had payments the database did not track: the guide's \"Created: Stripe had a payment you didn't track (webhook missed it)\". Check the webhook steps (stripe-endpoint, stripe-deliveries, webhook-secret) and the Render logs around these payments' times for \"Database connection error\"; check that the daily reconciliation ran (\"🔄 Starting payment reconciliation...\", then \"✅ Payment reconciliation completed:\" with \"Synced: X, Created: Y, Updated: Z\"): it creates the missing rows. Replay the failed deliveries from Stripe Dashboard → Developers → Webhooks."

    func outcome(evidence: Evidence) -> CheckOutcome {
        var evidence = evidence
        let succeeded = intents.filter { $0.status == "succeeded" }
        let missing = succeeded.filter { !rows.ids.contains($0.id) }
        let matched = succeeded.filter { rows.ids.contains($0.id) }
        let period = "of the last \(span.windowText) (to \(span.settleText) ago)"
        let quotedTable = PostgresConnectionInfo.quoteIdentifier(table)

        evidence["succeeded"] = .int(succeeded.count)
        evidence["matched"] = .int(matched.count)
        evidence["missing"] = .int(missing.count)
        let others = Dictionary(grouping: intents.filter { $0.status != "succeeded" }, by: \.status)
        if !others.isEmpty {
            evidence["not_succeeded_not_compared"] = .object(others.keys.sorted().map { ($0, .int(others[$0]!.count)) })
        }
        if truncated {
            evidence["truncated"] = .string("only the newest \(intents.count) payment intents of the window were read (max_payments); older ones were not compared")
        }
        let share = succeeded.isEmpty ? 0 : Double(missing.count) / Double(succeeded.count) * 100
        evidence["discrepancy"] = .string(String(format: "%.1f%%", share))
        if !missing.isEmpty {
            evidence["missing_ids"] = .array(missing.prefix(maxListed).map { .string($0.line) })
            if missing.count > maxListed { evidence["missing_not_listed"] = .int(missing.count - maxListed) }
        }
        let lag = lagText(matched, evidence: &evidence)
        let mismatches = Self.mismatches(matched, rows: rows)
        if !mismatches.isEmpty {
            evidence["status_or_amount_mismatches"] = .array(mismatches.prefix(maxListed).map { .string($0) })
        }
        let mismatchText = mismatches.isEmpty ? "" : "; \(mismatches.count) matched row\(mismatches.count == 1 ? "" : "s") disagree\(mismatches.count == 1 ? "s" : "") with Stripe on status or amount (\(mismatches.prefix(2).joined(separator: ", "))\(mismatches.count > 2 ? ", …" : ""))"
        let mismatchHint = "Rows whose status or amount differ from Stripe's: the guide's \"Updated: status changed in Stripe before webhook arrived\" (the daily reconciliation updates them), or a handler that writes the wrong amount or status: compare the handler's payment_intent.succeeded case with the rows listed."

        let newest = truncated ? " (newest \(intents.count) read)" : ""
        guard !succeeded.isEmpty else {
            return CheckOutcome(.pass, "no succeeded payments in Stripe \(period)\(newest): nothing to reconcile", evidence: evidence)
        }
        guard !missing.isEmpty else {
            let summary = "all \(succeeded.count) succeeded payments \(period)\(newest) have a row in \(quotedTable)" + (lag.map { "; webhook lag \($0)" } ?? "")
            if !mismatches.isEmpty {
                // The disagreement is the news: it leads, the rows all being there follows.
                let lead = "\(mismatches.count) of \(matched.count) matched rows disagree with Stripe on status or amount (\(mismatches.prefix(2).joined(separator: ", "))\(mismatches.count > 2 ? ", …" : ""))"
                return CheckOutcome(.warn, lead + "; " + summary, evidence: evidence, hint: mismatchHint)
            }
            return CheckOutcome(.pass, summary, evidence: evidence)
        }
        let named = missing.prefix(3).map(\.id).joined(separator: ", ") + (missing.count > 3 ? " and \(missing.count - 3) more" : "")
        let summary = "\(missing.count) of \(succeeded.count) succeeded payments \(period)\(newest) have no row in \(quotedTable) (\(String(format: "%.1f", share))%): \(named)"
        var status: Status = share > fail ? .fail : share > warn ? .warn : .pass
        if !mismatches.isEmpty { status = Status.worst([status, .warn]) }
        return CheckOutcome(status, summary + mismatchText, evidence: evidence, hint: Self.hint + (mismatches.isEmpty ? "" : " " + mismatchHint))
    }

    /// Statuses that contradict Stripe's `succeeded`: Stripe's other payment intent statuses and the
    /// usual words for a payment that did not go through. A status outside this list ("paid",
    /// "COMPLETED", an enum of the service's own) is the service's vocabulary, not a mismatch.
    static let contradictingStatuses: Set<String> = [
        "requires_payment_method", "requires_confirmation", "requires_action", "processing", "requires_capture",
        "canceled", "cancelled", "failed", "failure", "pending", "declined", "refused", "incomplete", "unpaid",
    ]

    /// `pi_… row status "pending", Stripe succeeded` and `pi_… row amount 1090, Stripe 1105` for the
    /// matched rows that disagree with Stripe. An amount that is Stripe's divided by 100 (a table in
    /// whole currency units) agrees.
    static func mismatches(_ matched: [StripePaymentIntent], rows: PaymentLookup.Rows) -> [String] {
        matched.compactMap { intent in
            var parts: [String] = []
            if let status = rows.statuses[intent.id],
               contradictingStatuses.contains(status.lowercased().trimmingCharacters(in: .whitespaces)) {
                parts.append("row status \"\(status)\" vs Stripe's \(intent.status)")
            }
            if let text = rows.amounts[intent.id], let amount = intent.amount, let value = Double(text.trimmingCharacters(in: .whitespaces)),
               value != Double(amount), abs(value * 100 - Double(amount)) > 0.5 {
                parts.append("row amount \(text) vs Stripe's \(amount)")
            }
            return parts.isEmpty ? nil : "\(intent.id) " + parts.joined(separator: " and ")
        }
    }

    /// `median 1.9s, max 3.0s` for the matched payments, with the figures in `evidence`.
    private func lagText(_ matched: [StripePaymentIntent], evidence: inout Evidence) -> String? {
        guard let timeColumn else {
            evidence["webhook_lag"] = .string("not measured: the table has no time column")
            return nil
        }
        let lags = matched.compactMap { intent in
            rows.recordedMilliseconds[intent.id].map { (id: intent.id, ms: $0 - Int64(intent.created) * 1000) }
        }.sorted { $0.ms < $1.ms }
        guard let slowest = lags.last else { return nil }
        let median = lags.count % 2 == 1 ? lags[lags.count / 2].ms : (lags[lags.count / 2 - 1].ms + lags[lags.count / 2].ms) / 2
        evidence["webhook_lag_median_ms"] = .int(Int(median))
        evidence["webhook_lag_max_ms"] = .int(Int(slowest.ms))
        evidence["webhook_lag_slowest"] = .string(slowest.id)
        let late = lags.filter { $0.ms > Self.lateRowMilliseconds }.count
        if late > 0 {
            // Not the live webhook: the daily reconciliation or a replayed delivery wrote these.
            evidence["rows_written_over_10m_late"] = .int(late)
        }
        evidence["webhook_lag_note"] = .string("from Stripe's `created` (whole seconds) to the row's \(timeColumn), so Stripe's delivery delay is included; the guide wants webhook processing under 1 s")
        return "median \(Self.seconds(median)), max \(Self.seconds(slowest.ms))"
    }

    /// `0.8s`, `12s`, `3h 5m`.
    static func seconds(_ milliseconds: Int64) -> String {
        if abs(milliseconds) < 10_000 { return String(format: "%.1fs", Double(milliseconds) / 1000) }
        if abs(milliseconds) < 60_000 { return "\(milliseconds / 1000)s" }
        return DatabaseStep.span(seconds: Int(milliseconds / 1000))
    }
}
