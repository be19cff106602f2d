import Foundation

/// The `webhook-secret` check kind: does the deployed service hold our `STRIPE_WEBHOOK_SECRET`?
/// Two independent ways (docs/architecture.md, "The webhook-secret match"), chosen by `mode`:
///
/// - `probe` (default): a control request with a wrong signature, then a harmless synthetic event
///   signed with the local secret, POSTed to `url` (default `${API_URL}/api/webhooks/stripe`).
///   Skipped under `--read-only`.
/// - `capture`: a captured delivery (`capture:`, a file; see `CapturedDelivery`) verified offline
///   with the local secret, as Stripe's libraries verify it. Skipped when `capture` names an unset
///   variable (e.g. `${DOCTOR_WEBHOOK_CAPTURE}`).
///
/// The secret only signs and verifies: it is sent nowhere and never appears in evidence.
public struct WebhookSecretCheck: CheckKind {
    public static let name = "webhook-secret"

    static let defaultURL = "${API_URL}/api/webhooks/stripe"
    /// The guide's webhook latency bands.
    static let defaultWarn = Duration.seconds(1)
    static let defaultFail = Duration.seconds(5)
    static let defaultTimeout = Duration.seconds(10)

    /// How the match is established.
    enum Mode: String { case probe, capture }

    public static func make(_ parameters: ParameterReader, step: StepSettings) throws(RunbookError) -> any Check {
        let modeText = try parameters.optionalString("mode") ?? Mode.probe.rawValue
        guard let mode = Mode(rawValue: modeText) else {
            throw RunbookError(parameters.value("mode")!.location, "`mode` must be probe or capture, found \"\(modeText)\"")
        }
        switch mode {
        case .probe:
            let location = parameters.value("url")?.location ?? parameters.location
            let url = try Template(try parameters.optionalString("url") ?? defaultURL, at: location)
            if parameters.value("capture") != nil || parameters.value("tolerance") != nil {
                throw RunbookError(parameters.location, "`capture` and `tolerance` belong to mode: capture")
            }
            let limits = try step.latencyLimits(warn: defaultWarn, fail: defaultFail, timeout: defaultTimeout)
            return Probe(url: url, warn: limits.warn, fail: limits.fail, timeout: limits.timeout)
        case .capture:
            try step.rejectThresholds(kind: "\(name)` in mode `capture")
            if parameters.value("url") != nil {
                throw RunbookError(parameters.value("url")!.location, "`url` belongs to mode: probe")
            }
            let location = parameters.value("capture")?.location ?? parameters.location
            let capture = try Template(try parameters.string("capture"), at: location)
            let tolerance = try parameters.duration("tolerance") ?? .seconds(StripeSignature.defaultTolerance)
            if tolerance < .seconds(1) || tolerance > .seconds(24 * 3600) {
                throw RunbookError(parameters.value("tolerance")!.location, "`tolerance` must be from 1s to 24h (Stripe's default is 300s)")
            }
            return Capture(capture: capture, tolerance: Int(tolerance.seconds), timeout: step.timeout ?? defaultTimeout)
        }
    }

    /// The local secret, or the outcome when it is missing.
    /// Where a signed test event goes and the secret it is signed with: what the live probe and
    /// the whole-path step both need before they send anything.
    static func signingTarget(_ url: Template, _ context: CheckContext) -> Result<(url: String, secret: String), StepStop> {
        url.expanded(in: context.configuration).flatMap { target in secret(context).map { (target, $0) } }
    }

    static func secret(_ context: CheckContext) -> Result<String, StepStop> {
        guard let secret = context.configuration.value("STRIPE_WEBHOOK_SECRET") else {
            return .failure(StepStop(CheckOutcome(
                .unknown, "STRIPE_WEBHOOK_SECRET is not set",
                hint: "Copy the endpoint's signing secret (whsec_…) from Stripe Dashboard → Developers → Webhooks → the endpoint → Signing secret into STRIPE_WEBHOOK_SECRET.")))
        }
        return .success(secret)
    }

    /// The hint for a secret that does not match.
    static let mismatchHint = "The deployed service verifies with another secret than the STRIPE_WEBHOOK_SECRET given here: copy the endpoint's signing secret (Stripe Dashboard → Developers → Webhooks → the endpoint → Signing secret, whsec_…) into STRIPE_WEBHOOK_SECRET on Render and in your .env, then redeploy; live and test mode, and each endpoint, have their own secret."
}
