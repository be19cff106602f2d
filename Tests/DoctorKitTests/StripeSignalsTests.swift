import Foundation
import Testing
@testable import DoctorKit
@testable import DoctorSandbox

private let here = SourceLocation(file: "test.yml", line: 1, column: 1)
private func scalar(_ text: String) -> RunbookValue { .scalar(text, here, quoted: false) }

/// Builds a step of `kind` with `parameters` and thresholds.
private func build(
    _ kind: any CheckKind.Type, _ parameters: [(String, String)] = [], warn: String? = nil, fail: String? = nil
) throws(RunbookError) -> any Check {
    let mapping = RunbookValue.mapping(parameters.map { (key: $0.0, keyLocation: here, value: scalar($0.1)) }, here)
    let reader = try ParameterReader(parameters.isEmpty ? nil : mapping, at: here)
    let step = StepSettings(id: "t", warn: warn.map(scalar), fail: fail.map(scalar), timeout: nil, timeoutLocation: here, location: here)
    return try kind.make(reader, step: step)
}

/// Runs `check` with `environment` as the configuration.
private func run(_ check: any Check, environment: [String: String]) async -> CheckOutcome {
    var configuration = Configuration()
    for (name, value) in environment { configuration.set(name, value, origin: .sandbox) }
    let http = HTTPClient()
    defer { http.close() }
    return await check.run(in: CheckContext(configuration: configuration, http: http, readOnly: true, deadline: .now + check.timeout))
}

/// An event of `type` created `ago` seconds before `now`, about `object`.
private func event(_ type: String, ago: Int, now: Int, id: String? = nil, customer: String? = nil, intent: String? = nil) -> StripeEventSeries.Event {
    var object: [(String, JSONValue)] = [("id", .string(id ?? "obj_\(UUID().uuidString.prefix(8))"))]
    if let customer { object.append(("customer", .string(customer))) }
    if let intent { object.append(("payment_intent", .string(intent))) }
    return StripeEventSeries.Event(.object([
        ("id", .string("evt_\(UUID().uuidString.prefix(12))")), ("type", .string(type)), ("created", .int(now - ago)),
        ("data", .object([("object", .object(object))])),
    ]))!
}

/// `count` events of `type`, spread evenly over `from`..`to` seconds ago.
private func spread(_ type: String, _ count: Int, from: Int, to: Int, now: Int) -> [StripeEventSeries.Event] {
    (0..<count).map { event(type, ago: to + ($0 * (from - to)) / max(count, 1), now: now) }
}

private func series(_ type: String, _ events: [StripeEventSeries.Event], since: Int, truncated: Bool = false) -> StripeEventSeries {
    StripeEventSeries(type: type, events: events.sorted { $0.created > $1.created }, since: since, truncated: truncated)
}

@Suite("Stripe signals: refunds-disputes, webhook-volume", .serialized)
struct StripeSignalsTests {
    static let day = 86_400

    @Test("a cut-off read covers from its oldest event by created time, whatever order the pages came in")
    func coverageAssumesNoOrder() {
        let now = Int(Date().timeIntervalSince1970)
        let events = [event("charge.refunded", ago: 3600, now: now), event("charge.refunded", ago: 7200, now: now),
                      event("charge.refunded", ago: 60, now: now)]
        let shuffled = StripeEventSeries(type: "charge.refunded", events: events, since: now - 86_400, truncated: true)
        #expect(shuffled.coveredFrom == now - 7200)
        #expect(shuffled.covered(from: now - 86_400, to: now) == 7200)
    }
    let now = Int(Date().timeIntervalSince1970)

    /// The six series of `refunds-disputes` over a day and the week before.
    func judge(refunds: [StripeEventSeries.Event] = [], payments: [StripeEventSeries.Event] = [],
               disputes: [StripeEventSeries.Event] = [], deleted: [StripeEventSeries.Event] = [],
               cancelled: [StripeEventSeries.Event] = [], truncated: Set<String> = [],
               warn: String? = nil) throws -> CheckOutcome {
        let probe = try #require(try build(RefundsDisputesCheck.self, warn: warn) as? RefundsDisputesCheck.Probe)
        let since = now - 8 * Self.day
        let read = [
            series("charge.refunded", refunds, since: since, truncated: truncated.contains("charge.refunded")),
            series("payment_intent.succeeded", payments, since: since, truncated: truncated.contains("payment_intent.succeeded")),
            series("charge.succeeded", [], since: since),
            series("charge.dispute.created", disputes, since: since),
            series("customer.deleted", deleted, since: since),
            series("customer.subscription.deleted", cancelled, since: since),
        ]
        return probe.evaluate(RefundsDisputesCheck.Series(read), now: now, evidence: Evidence())
    }

    @Test("refunds-disputes: a zero baseline makes no spike of 1 or 2 events; from min_count it is one, floored at one expected")
    func zeroBaseline() throws {
        let day = Self.day
        #expect(try judge(disputes: [event("charge.dispute.created", ago: 600, now: now)]).status == .pass)
        #expect(try judge(refunds: spread("charge.refunded", 2, from: day - 60, to: 60, now: now)).status == .pass)
        let three = try judge(disputes: spread("charge.dispute.created", 3, from: day - 60, to: 60, now: now))
        #expect(three.status == .warn && three.summary.contains("dispute spike (3.0×)"), "\(three.summary)")
        let twelve = try judge(disputes: spread("charge.dispute.created", 12, from: day - 60, to: 60, now: now))
        #expect(twelve.status == .fail && twelve.hint?.contains("Dispute/chargeback spike") == true)
        guard case let .array(listed)? = twelve.evidence["dispute_events"] else { Issue.record("no dispute ids"); return }
        #expect(listed.count == 10 && listed.allSatisfy { $0.text.hasPrefix("evt_") })
        // A steady rate is no spike: 2 a day for a week, 3 today.
        let steady = try judge(disputes: spread("charge.dispute.created", 14, from: 8 * day - 60, to: day + 60, now: now)
                                   + spread("charge.dispute.created", 3, from: day - 60, to: 60, now: now))
        #expect(steady.status == .pass, "\(steady.summary)")
    }

    @Test("refunds-disputes: the refund rate follows the payments, so a busy day with refunds in proportion is no spike")
    func refundRate() throws {
        let day = Self.day
        // The week: 70 payments, 7 refunds (10 %). Today: 100 payments, 10 refunds (10 %): in line.
        let week = spread("payment_intent.succeeded", 70, from: 8 * day - 60, to: day + 60, now: now)
        let weekRefunds = spread("charge.refunded", 7, from: 8 * day - 60, to: day + 60, now: now)
        let today = spread("payment_intent.succeeded", 100, from: day - 60, to: 60, now: now)
        let busy = try judge(refunds: weekRefunds + spread("charge.refunded", 10, from: day - 60, to: 60, now: now), payments: week + today)
        #expect(busy.status == .pass, "\(busy.summary)")
        #expect(busy.summary.contains("10 refunds in 24h (10.0% of 100 payments; 10.0 expected from the baseline)"), "\(busy.summary)")
        // Today 10 payments and 8 refunds (80 %): 8× what 10 % expects.
        let spike = try judge(refunds: weekRefunds + spread("charge.refunded", 8, from: day - 60, to: 60, now: now),
                              payments: week + Array(today.prefix(10)))
        #expect(spike.status == .warn && spike.summary.hasPrefix("refund spike (8.0×)"), "\(spike.summary)")
        #expect(spike.hint?.contains("Unusually high refund rate") == true)
        #expect(try judge(refunds: weekRefunds + spread("charge.refunded", 8, from: day - 60, to: 60, now: now),
                          payments: week + Array(today.prefix(10)), warn: "9x").status == .pass)
    }

    @Test("refunds-disputes: a read cut off by max_events judges only what it covers, never a false spike")
    func truncatedRead() throws {
        let day = Self.day
        // The refunds read reaches back only 12 hours: no baseline, so not judged.
        let outcome = try judge(refunds: spread("charge.refunded", 30, from: day / 2, to: 60, now: now), truncated: ["charge.refunded"])
        #expect(outcome.status == .pass, "\(outcome.summary)")
        #expect(outcome.summary.contains("30+ refunds"))
        guard case let .object(figures)? = outcome.evidence["refunds"] else { Issue.record("no refund figures"); return }
        #expect(figures.contains { $0.0 == "reading" && $0.1.text.contains("not judged") })
    }

    @Test("refunds-disputes: a deleted customer without its subscription cancelled warns; with it, passes")
    func customerDeletions() throws {
        let matched = try judge(deleted: [event("customer.deleted", ago: 3600, now: now, id: "cus_a")],
                                cancelled: [event("customer.subscription.deleted", ago: 3600, now: now, customer: "cus_a")])
        #expect(matched.status == .pass && matched.summary.contains("1 customer deleted, each with the subscription cancelled"))
        let orphan = try judge(deleted: [event("customer.deleted", ago: 3600, now: now, id: "cus_b")],
                               cancelled: [event("customer.subscription.deleted", ago: 3600, now: now, customer: "cus_a")])
        #expect(orphan.status == .warn && orphan.summary.contains("1 of 1 deleted customers without a subscription cancellation"))
        #expect(orphan.hint?.contains("Customer deleted events without cancellations") == true)
        guard case let .object(deletions)? = orphan.evidence["customer_deletions"],
              case let .array(ids)? = deletions.first(where: { $0.0 == "events" })?.1 else { Issue.record("no ids"); return }
        #expect(ids.first?.text.contains("cus_b") == true)
    }

    @Test("refunds-disputes: thresholds are multiples; window, baseline and bounds are checked")
    func parameters() {
        #expect(throws: RunbookError.self) { try build(RefundsDisputesCheck.self, warn: "150%") }
        #expect(throws: RunbookError.self) { try build(RefundsDisputesCheck.self, warn: "5x", fail: "3x") }
        #expect(throws: RunbookError.self) { try build(RefundsDisputesCheck.self, [("baseline", "700h")]) }
        #expect(throws: RunbookError.self) { try build(RefundsDisputesCheck.self, [("baseline", "12h")]) }
        #expect(throws: RunbookError.self) { try build(RefundsDisputesCheck.self, [("max_events", "50000")]) }
        #expect((try? build(RefundsDisputesCheck.self, [("min_count", "5")], warn: "2×", fail: "4")) != nil)
    }

    @Test("refunds-disputes against the sandbox: healthy passes with a few refunds; dispute-spike fails naming the event ids; no key skips")
    func sandbox() async throws {
        let healthy = Sandbox()
        try healthy.start()
        defer { healthy.stop() }
        let check = try build(RefundsDisputesCheck.self)
        let passed = await run(check, environment: healthy.environment)
        #expect(passed.status == .pass, "\(passed.summary)")
        #expect(passed.summary.contains("1 refund in 24h") && passed.summary.contains("0 disputes"), "\(passed.summary)")
        #expect(passed.evidence["request_id"]?.text.hasPrefix("req_") == true)

        let spiking = Sandbox(fault: .disputeSpike)
        try spiking.start()
        defer { spiking.stop() }
        let failed = await run(check, environment: spiking.environment)
        #expect(failed.status == .fail, "\(failed.summary)")
        #expect(failed.summary.contains("refund spike") && failed.summary.contains("dispute spike") && failed.summary.contains("12 disputes"))
        guard case let .array(ids)? = failed.evidence["dispute_events"] else { Issue.record("no ids"); return }
        #expect(ids.allSatisfy { $0.text.hasPrefix("evt_") && $0.text.contains("du_spike_") })

        var noKey = healthy.environment
        noKey["STRIPE_SECRET_KEY"] = nil
        let skipped = await run(check, environment: noKey)
        #expect(skipped.status == .skip && skipped.summary.contains("STRIPE_SECRET_KEY is not set"))
    }

    @Test("Stripe event reads stop at their bound and say how far back they cover")
    func readBound() async throws {
        let sandbox = Sandbox()
        try sandbox.start()
        defer { sandbox.stop() }
        var configuration = Configuration()
        for (name, value) in sandbox.environment { configuration.set(name, value, origin: .sandbox) }
        let http = HTTPClient()
        defer { http.close() }
        let client = try StripeClient(configuration: configuration, http: http)
        let since = now - 8 * Self.day
        let cut = try await StripeEventHistory.read([nil], since: since, maxEvents: 30, client: client, deadline: .now + .seconds(10))
        #expect(cut.series[0].events.count == 30 && cut.series[0].truncated && cut.pages == 1)
        #expect(cut.series[0].coveredFrom == cut.series[0].events.last?.created)
        let whole = try await StripeEventHistory.read(["charge.refunded"], since: since, maxEvents: 1000, client: client, deadline: .now + .seconds(10))
        #expect(!whole.series[0].truncated && whole.series[0].coveredFrom == since && whole.series[0].events.count == 4)
        // Paging with a small page size still follows starting_after to the end.
        let paged = try await client.list("/v1/events", query: [("created[gte]", String(since))], pageSize: 25, maxItems: 60,
                                          pageInterval: .milliseconds(20), deadline: .now + .seconds(10))
        #expect(paged.items.count == 60 && paged.pages == 3 && paged.hasMore)
        // Too little time left: cut off before any event (nothing covered), not failed.
        let late = try await StripeEventHistory.read(["charge.refunded", nil], since: since, maxEvents: 1000, client: client, deadline: .now + .seconds(1))
        #expect(late.series.count == 2 && late.series.allSatisfy { $0.truncated && $0.events.isEmpty && $0.covered(from: since, to: now) == 0 })
    }

    // MARK: webhook-volume

    @Test("webhook-volume: under 1000 a day passes; past it warns with the guide's job-queue advice, never fails")
    func volume() throws {
        let probe = try #require(try build(WebhookVolumeCheck.self) as? WebhookVolumeCheck.Probe)
        let day = Self.day
        let since = now - 7 * day
        let quiet = probe.evaluate(series("*", spread("payment_intent.succeeded", 700, from: 7 * day - 60, to: 60, now: now), since: since),
                                   now: now, evidence: Evidence())
        #expect(quiet.status == .pass && quiet.summary.contains("100 a day on average over 7 days"), "\(quiet.summary)")
        // 3000 events read (the bound) reach back 1.5 days: an estimate of 2000 a day.
        let busy = probe.evaluate(series("*", spread("charge.succeeded", 3000, from: day * 3 / 2, to: 1, now: now), since: since, truncated: true),
                                  now: now, evidence: Evidence())
        #expect(busy.status == .warn && busy.summary.contains("(estimate)"), "\(busy.summary)")
        #expect(busy.hint?.contains("Consider job queue (if webhook volume exceeds 1000/day): Bull or RabbitMQ for async processing; prevents blocking on slow operations") == true)
        #expect(busy.evidence["average_over"]?.text.contains("estimated from the newest 3000 events") == true)
        // No events at all is a quiet account, not a fault.
        #expect(probe.evaluate(series("*", [], since: since), now: now, evidence: Evidence()).status == .pass)
        #expect(throws: RunbookError.self) { try build(WebhookVolumeCheck.self, fail: "5000") }
        #expect(throws: RunbookError.self) { try build(WebhookVolumeCheck.self, [("average_over", "36h")]) }
        let strict = try #require(try build(WebhookVolumeCheck.self, warn: "50") as? WebhookVolumeCheck.Probe)
        #expect(strict.evaluate(series("*", spread("charge.succeeded", 700, from: 7 * day - 60, to: 60, now: now), since: since),
                                now: now, evidence: Evidence()).status == .warn)
    }

    @Test("webhook-volume against the sandbox: a dozen a day passes; no key skips")
    func volumeSandbox() async throws {
        let sandbox = Sandbox()
        try sandbox.start()
        defer { sandbox.stop() }
        let check = try build(WebhookVolumeCheck.self)
        let outcome = await run(check, environment: sandbox.environment)
        #expect(outcome.status == .pass && outcome.summary.contains("8 events in the last 24h"), "\(outcome.summary)")
        var noKey = sandbox.environment
        noKey["STRIPE_SECRET_KEY"] = nil
        #expect(await run(check, environment: noKey).status == .skip)
    }
}
