import Foundation

extension RefundsDisputesCheck.Probe {
    /// One figure in the window against what the baseline makes of it.
    struct Spike {
        /// Events in the window (a lower bound when `complete` is false).
        var count: Int
        var complete: Bool
        /// What the baseline expects in a window like this one; nil: not enough history read.
        var expected: Double?
        var status = Status.pass
        /// Why it was or was not judged, for the evidence.
        var reading: String

        /// `count` over the expectation, floored at one event per window.
        var ratio: Double? { expected.map { Double(count) / max($0, 1) } }
        var countText: String { complete ? "\(count)" : "\(count)+" }
    }

    /// Judges the series read from `since` to `now`.
    func evaluate(_ series: RefundsDisputesCheck.Series, now: Int, evidence: Evidence) -> CheckOutcome {
        var evidence = evidence
        let windowStart = now - Int(window.seconds)
        let since = series.refunds.since
        let windowText = window.window

        // Payments: a payment intent and its charge are one payment.
        func payments(from: Int, to: Int) -> Set<String> {
            Set(series.paymentIntents.events(from: from, to: to).compactMap(\.objectID)
                + series.charges.events(from: from, to: to).compactMap { $0.paymentIntent ?? $0.objectID })
        }
        let paymentsCovered = max(series.paymentIntents.coveredFrom, series.charges.coveredFrom)
        let paymentsNow = payments(from: windowStart, to: now).count
        let paymentsComplete = paymentsCovered <= windowStart

        // Refunds, by rate where the payments allow it, else by time.
        let refundsNow = series.refunds.events(from: windowStart, to: now)
        var refunds = Spike(count: refundsNow.count, complete: series.refunds.coveredFrom <= windowStart, reading: "")
        let refundBase = max(since, series.refunds.coveredFrom, paymentsCovered)
        var refundFigures: [(String, JSONValue)] = [("in_window", .string(refunds.countText)),
                                                     ("payments_in_window", .string(paymentsComplete ? "\(paymentsNow)" : "\(paymentsNow)+"))]
        if paymentsNow > 0 {
            refundFigures.append(("refund_rate", .string(Self.percent(refunds.count, of: paymentsNow))))
        }
        if windowStart - refundBase >= Int(window.seconds) {
            let baseRefunds = series.refunds.events(from: refundBase, to: windowStart).count
            let basePayments = payments(from: refundBase, to: windowStart).count
            refundFigures += [("baseline_refunds", .int(baseRefunds)), ("baseline_payments", .int(basePayments)),
                              ("baseline_span", .string(StripeEventHistory.span(windowStart - refundBase)))]
            if basePayments > 0 {
                refundFigures.append(("baseline_refund_rate", .string(Self.percent(baseRefunds, of: basePayments))))
            }
            if basePayments > 0, paymentsNow > 0, paymentsComplete {
                refunds.expected = Double(baseRefunds) / Double(basePayments) * Double(paymentsNow)
            } else {
                refunds.expected = Double(baseRefunds) * window.seconds / Double(windowStart - refundBase)
            }
        }
        judge(&refunds, noun: "refunds")
        refundFigures += Self.figures(refunds)

        // Disputes, by time: they arrive weeks after the payments they dispute.
        let disputesNow = series.disputes.events(from: windowStart, to: now)
        var disputes = Spike(count: disputesNow.count, complete: series.disputes.coveredFrom <= windowStart, reading: "")
        let disputeBase = max(since, series.disputes.coveredFrom)
        var disputeFigures: [(String, JSONValue)] = [("in_window", .string(disputes.countText))]
        if windowStart - disputeBase >= Int(window.seconds) {
            let base = series.disputes.events(from: disputeBase, to: windowStart).count
            disputeFigures += [("baseline", .int(base)), ("baseline_span", .string(StripeEventHistory.span(windowStart - disputeBase)))]
            disputes.expected = Double(base) * window.seconds / Double(windowStart - disputeBase)
        }
        judge(&disputes, noun: "disputes")
        disputeFigures += Self.figures(disputes)

        // Customers deleted in the window whose subscription was not cancelled in the range read.
        let deleted = series.customersDeleted.events(from: windowStart, to: now)
        let cancelled = Set(series.subscriptionsDeleted.events.compactMap(\.customer))
        let unmatched = deleted.filter { !cancelled.contains($0.objectID ?? "") }
        var deletions: [(String, JSONValue)] = [("deleted_in_window", .int(deleted.count)),
                                                ("without_cancellation", .int(unmatched.count))]
        var deletionStatus = Status.pass
        if !unmatched.isEmpty {
            deletions.append(("events", .array(unmatched.prefix(shown).map { .string($0.line) })))
            if series.subscriptionsDeleted.truncated {
                deletions.append(("note", .string("cancellations were read back to \(StripeEventHistory.iso(series.subscriptionsDeleted.coveredFrom)) only (max_events), so these are not judged")))
            } else if unmatched.count >= unmatchedWarn {
                deletionStatus = .warn
            }
        }

        evidence["refunds"] = .object(refundFigures)
        evidence["disputes"] = .object(disputeFigures)
        evidence["customer_deletions"] = .object(deletions)
        if !refundsNow.isEmpty { evidence["refund_events"] = .array(refundsNow.prefix(shown).map { .string($0.line) }) }
        if !disputesNow.isEmpty { evidence["dispute_events"] = .array(disputesNow.prefix(shown).map { .string($0.line) }) }
        evidence["spike_rule"] = .string("a spike is \(Self.number(warn))× (warn) or \(Self.number(fail))× (fail) what the baseline expects in \(windowText), from \(minCount) events on; a baseline under one event per window counts as one")

        var parts: [String] = []
        var rate: [String] = []
        if paymentsNow > 0 { rate.append("\(Self.percent(refunds.count, of: paymentsNow)) of \(paymentsNow) payments") }
        if let expected = refunds.expected { rate.append("\(Self.decimal(expected)) expected from the baseline") }
        parts.append(Self.plural(refunds.countText, "refund") + " in \(windowText)" + (rate.isEmpty ? "" : " (\(rate.joined(separator: "; ")))"))
        parts.append(Self.plural(disputes.countText, "dispute") + (disputes.expected.map { " (\(Self.decimal($0)) expected)" } ?? ""))
        parts.append(deleted.isEmpty ? "no customer deleted"
                     : unmatched.isEmpty ? "\(deleted.count) customer\(deleted.count == 1 ? "" : "s") deleted, each with the subscription cancelled"
                     : "\(unmatched.count) of \(deleted.count) deleted customers without a subscription cancellation")
        var summary = parts.joined(separator: "; ")

        var hints: [String] = []
        let spikes = [refunds.status != .pass ? "refund spike (\(Self.decimal(refunds.ratio ?? 0))×)" : nil,
                      disputes.status != .pass ? "dispute spike (\(Self.decimal(disputes.ratio ?? 0))×)" : nil].compactMap { $0 }
        if !spikes.isEmpty { summary = spikes.joined(separator: " and ") + ": " + summary }
        if refunds.status != .pass {
            hints.append("Unusually high refund rate (the guide's Security Monitoring): review the refunds listed in Stripe Dashboard → Payments (filter Refunded) and who issued them (Developers → Events → the request and its API key or team member); an unexpected source means a leaked key or a bug that refunds — roll the key and check the service's refund code.")
        }
        if disputes.status != .pass {
            hints.append("Dispute/chargeback spike: open Stripe Dashboard → Disputes and respond to each before its deadline with evidence; many at once from new customers often means card testing or fraud — enable Radar rules and review the payments they dispute.")
        }
        if deletionStatus != .pass {
            hints.append("Customer deleted events without cancellations: find who deleted them (Developers → Events → each event's request); a deletion outside the service's own flow may be a compromised key. A customer who never had a subscription is deleted without one, which is harmless.")
        }
        let status = Status.worst([refunds.status, disputes.status, deletionStatus])
        return CheckOutcome(status, summary, evidence: evidence, hint: hints.isEmpty ? nil : hints.joined(separator: " "))
    }

    /// Sets the status and reading of a figure from the spike rule.
    private func judge(_ spike: inout Spike, noun: String) {
        guard let ratio = spike.ratio else {
            spike.reading = "not judged: less than \(window.window) of baseline history read"
            return
        }
        guard spike.count >= minCount else {
            spike.reading = spike.count == 0 ? "none" : "not judged: fewer than \(minCount) \(noun) (min_count)"
            return
        }
        spike.status = ratio >= fail ? .fail : ratio >= warn ? .warn : .pass
        spike.reading = "\(Self.decimal(ratio))× the baseline" + (spike.status == .pass ? "" : ": a spike")
    }

    static func figures(_ spike: Spike) -> [(String, JSONValue)] {
        var figures: [(String, JSONValue)] = []
        if let expected = spike.expected { figures.append(("expected", .string(decimal(expected)))) }
        if let ratio = spike.ratio { figures.append(("ratio", .string(decimal(ratio) + "×"))) }
        figures.append(("reading", .string(spike.reading)))
        return figures
    }

    static func percent(_ part: Int, of whole: Int) -> String {
        String(format: "%.1f%%", Double(part) / Double(max(whole, 1)) * 100)
    }

    static func decimal(_ value: Double) -> String { String(format: "%.1f", value) }

    /// `1 refund`, `3 refunds`, `2000+ refunds`.
    static func plural(_ count: String, _ noun: String) -> String { count == "1" ? "1 \(noun)" : "\(count) \(noun)s" }

    static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
