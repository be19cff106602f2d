/// The outcome a step stops with before doing its work: no key, no client, no database to ask.
///
/// Every check kind gets what it needs the same way, as a `Result<Value, StepStop>`, and returns
/// the stop's outcome when it failed:
///
/// ```swift
/// let client: StripeClient
/// switch StripeCheckSupport.client(context) {
/// case let .success(built): client = built
/// case let .failure(stop): return stop.outcome
/// }
/// ```
struct StepStop: Error {
    /// What the step reports.
    let outcome: CheckOutcome

    /// A stop with an outcome built elsewhere (a client's error turned into plain words).
    init(_ outcome: CheckOutcome) { self.outcome = outcome }

    /// A stop with the given parts.
    init(_ status: Status, _ summary: String, evidence: Evidence = Evidence(), hint: String? = nil) {
        outcome = CheckOutcome(status, summary, evidence: evidence, hint: hint)
    }
}
