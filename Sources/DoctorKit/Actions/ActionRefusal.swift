/// Why an action that changes something (a resend, a canary payment) is refused before anything
/// is sent: one wording for every face, each naming only its own way to allow it (`--yes` for the
/// command, `replay confirm yes` in the interactive session).
public enum ActionRefusal: Sendable, Equatable {
    /// `--read-only` forbids every write.
    case readOnly(Action)
    /// The confirmation must be typed and there is no terminal; `allow` stands for the typed answer.
    case noTerminal(allow: String)
    /// The key is a live-mode one and the action was not allowed live; `allow` says how.
    case liveKey(Action, allow: String)

    /// An action the doctor takes only when told to.
    public enum Action: Sendable, Equatable {
        /// Asking Stripe to resend events.
        case resend
        /// Making a test payment.
        case canary

        var phrase: String {
            switch self {
            case .resend: "resending events (a resend is a request with a side effect)"
            case .canary: "the canary payment (a payment is a write)"
            }
        }
    }

    /// The refusal as one line, `refused: …`.
    public var message: String {
        switch self {
        case let .readOnly(action):
            "refused: --read-only forbids \(action.phrase)"
        case let .noTerminal(allow):
            "refused: without a terminal the confirmation cannot be typed; \(allow) stands for it"
        case let .liveKey(action, allow):
            "refused: STRIPE_SECRET_KEY is a live-mode key; \(action == .resend ? "resending live events" : "the canary payment") needs \(allow)"
        }
    }

    /// The first refusal that applies to confirming `action` before anything is read or sent, or
    /// nil when it may go ahead; `confirmedWithoutTerminal` is the face's stand-in for the typed
    /// answer (`--yes`, `… confirm yes`), `noTerminalAllow` how the face names it.
    public static func check(
        _ action: Action, readOnly: Bool, terminal: Bool, confirmedWithoutTerminal: Bool, noTerminalAllow: String
    ) -> ActionRefusal? {
        if readOnly { return .readOnly(action) }
        if !terminal && !confirmedWithoutTerminal { return .noTerminal(allow: noTerminalAllow) }
        return nil
    }
}
