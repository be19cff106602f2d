import Foundation

/// Stripe events of one type over a time range, read newest first with a bound, and how far back
/// the read is complete: what `refunds-disputes` and `webhook-volume` compare windows with.
///
/// A read that stopped at its bound (or the deadline) covers only its newest part; every figure is
/// computed over what was covered, never over the range asked for, so a cut-off read can make a
/// figure "not judged" but never a false spike.
struct StripeEventSeries: Sendable {
    /// One event as these checks read it.
    struct Event: Sendable, Equatable {
        /// `evt_…`.
        var id: String
        /// e.g. `charge.refunded`.
        var type: String
        /// Unix seconds.
        var created: Int
        /// `data.object.id`: the charge, customer, dispute, …
        var objectID: String?
        /// `data.object.customer` (a subscription's or charge's customer).
        var customer: String?
        /// `data.object.payment_intent` (a charge's payment intent).
        var paymentIntent: String?

        /// Reads an event; nil without an id or type.
        init?(_ json: JSONValue) {
            guard let id = json.string("id"), let type = json.string("type") else { return nil }
            self.id = id
            self.type = type
            created = json.int("created") ?? 0
            let object = json["data"]?["object"]
            objectID = object?.string("id")
            // Expanded fields arrive as objects with their own id.
            customer = object?.string("customer") ?? object?["customer"]?.string("id")
            paymentIntent = object?.string("payment_intent") ?? object?["payment_intent"]?.string("id")
        }

        /// Whether the doctor itself sent it: its own scans ignore these.
        var isDoctorProbe: Bool { type.hasPrefix("doctor.") || id.hasPrefix("evt_doctor_") }

        /// `evt_… charge.dispute.created du_… 2026-11-29T03:10:00Z`, for evidence.
        var line: String {
            let time = UTCTime.string(Date(timeIntervalSince1970: TimeInterval(created)), .iso8601)
            return [id, type, objectID, time].compactMap { $0 }.joined(separator: " ")
        }
    }

    /// The type asked for; nil for every type.
    let type: String?
    /// The events read, newest first, the doctor's own left out.
    let events: [Event]
    /// The start of the range asked for (Unix seconds).
    let since: Int
    /// Whether more events of the range exist than were read.
    let truncated: Bool

    /// From when on the read is complete: `since`, or the oldest event read when it was cut off
    /// (a read cut off before any event covers nothing). The oldest by its `created` time, not by
    /// where it stood in a page: no order of the API's answers is assumed.
    var coveredFrom: Int { truncated ? max(since, events.map(\.created).min() ?? Int.max) : since }

    /// Events created in `from..<to`.
    func events(from: Int, to: Int) -> [Event] { events.filter { $0.created >= from && $0.created < to } }

    /// How long of `from..<to` the read covers, in seconds.
    func covered(from: Int, to: Int) -> Int { max(0, to - max(from, coveredFrom)) }
}

/// Reads `StripeEventSeries` with `GET /v1/events?type=…&created[gte]=…`, one type at a time,
/// paged with `starting_after`, at most `maxEvents` a type and `pageInterval` between requests.
enum StripeEventHistory {
    /// Between two requests of one step: at most 10 a second, well under Stripe's 25 read
    /// requests a second in test mode (100 live), with room for the steps running beside it.
    static let pageInterval = Duration.milliseconds(100)
    /// Paging stops this long before the step's deadline, so a long read ends cut off, not failed.
    static let reserve = Duration.seconds(2)

    /// The series of every type in `types` (nil: all events) created from `since` on, without the
    /// doctor's own probes and canary payments (`canaries`: the ids its ledger holds).
    static func read(
        _ types: [String?], since: Int, maxEvents: Int, client: StripeClient, canaries: Set<String> = [],
        deadline: ContinuousClock.Instant
    ) async throws(StripeAPIError) -> (series: [StripeEventSeries], requestID: String?, pages: Int) {
        var series: [StripeEventSeries] = []
        var requestID: String?
        var pages = 0
        for type in types {
            // Out of time: the remaining types are read as cut off before their first event, which
            // leaves their figures unjudged rather than the step failed for the doctor's own limit.
            guard deadline - ContinuousClock.now > reserve else {
                series.append(StripeEventSeries(type: type, events: [], since: since, truncated: true))
                continue
            }
            if !series.isEmpty {
                try? await Task.sleep(for: pageInterval)
                if Task.isCancelled { throw .transport(.cancelled, attempts: 0) }
            }
            var query = [("created[gte]", String(since))]
            if let type { query.insert(("type", type), at: 0) }
            let list = try await client.list(
                "/v1/events", query: query, maxItems: maxEvents, pageInterval: pageInterval, deadline: deadline - reserve)
            pages += list.pages
            requestID = list.requestIDs.last ?? requestID
            let events = list.items.filter { !PaymentCanary.isCanary(event: $0, known: canaries) }
                .compactMap(StripeEventSeries.Event.init).filter { !$0.isDoctorProbe }
            series.append(StripeEventSeries(type: type, events: events, since: since, truncated: list.hasMore))
        }
        return (series, requestID, pages)
    }

    /// `24h`, `7d` or `36h`: a span of seconds as an operator reads it.
    static func span(_ seconds: Int) -> String {
        if seconds >= 2 * 86_400, seconds % 86_400 == 0 { return "\(seconds / 86_400)d" }
        if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        return String(format: "%.1fh", Double(seconds) / 3600)
    }

    /// Unix seconds as RFC 3339 UTC.
    static func iso(_ seconds: Int) -> String {
        UTCTime.string(Date(timeIntervalSince1970: TimeInterval(seconds)), .iso8601)
    }
}
