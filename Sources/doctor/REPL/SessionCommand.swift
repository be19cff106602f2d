import Foundation

/// A command of the interactive session, with its help.
struct SessionCommand: Sendable {
    /// What the user types.
    var name: String
    /// The arguments it takes, as shown in help.
    var usage: String
    /// One line for the command list.
    var summary: String
    /// The longer help of `help <command>`.
    var details: String

    /// Every command, in the order `help` lists them.
    static let all: [SessionCommand] = [
        SessionCommand(name: "runbooks", usage: "", summary: "list the runbooks found",
                       details: "Lists each runbook with its id, title, symptom and steps, and whether it ran in this session."),
        SessionCommand(name: "run", usage: "<runbook>|all", summary: "run a runbook; steps print as they finish",
                       details: "Runs every step of the runbook (or of all of them), concurrently as their needs allow. Each result prints as soon as it is known. Ctrl-C cancels what is still running (those steps become unknown, \"cancelled\") and returns to the prompt. A step shared by several runbooks runs once per command."),
        SessionCommand(name: "step", usage: "<step>|<runbook>/<step>", summary: "run or re-run one step",
                       details: "Runs one step again, now, ignoring its needs and any earlier result. A step id found in several runbooks is taken from the one run last; name it as runbook/step to choose."),
        SessionCommand(name: "watch", usage: "[<runbook>|all] [duration]", summary: "re-run what did not pass until it passes",
                       details: "After a fix: re-runs the steps that did not pass (with the steps they need) until they pass or the deadline (default 10m, e.g. `watch webhooks-not-arriving 5m`); with no runbook, those run in this session. The pause starts at 5 s and doubles to 60 s while nothing changes, slower when needed to keep the requests to the service within a fifth of its rate limit (100 per 60 s), and waits out the service's Retry-After. Each change of status prints with its UTC time (`03:24:10 webhook-secret-match ✗→✓ the secrets match`) and goes into the journal and the note. Ctrl-C stops watching and keeps the last state."),
        SessionCommand(name: "replay", usage: "[confirm [yes] [live]]", summary: "list, or resend, the events this session found missed",
                       details: "Takes the events stripe-deliveries found undelivered and the payment_intent.succeeded events of the succeeded payments the reconciliation found without a row. Alone it is a dry run: each event with its type, time, payment intent, amount and age against Stripe's 3-day retries and 30-day resend limit, and the endpoint; nothing is sent. `replay confirm` asks you to type yes, then resends each through Stripe (paced), checks each payment's row and says how many healed; every resend goes into the journal and the note's Actions taken. Without a terminal `replay confirm yes` stands for the typed answer; a live-mode key needs `live` too; refused under --read-only."),
        SessionCommand(name: "canary", usage: "[confirm [yes]]", summary: "a test payment followed through Stripe's delivery to the rows",
                       details: "Alone it is a dry run: what the payment-canary step would do. `canary confirm` asks you to type yes, then creates a small test-mode PaymentIntent with Stripe's test card (pm_card_visa, an idempotency key, metadata marking it as the doctor's), waits for Stripe's own delivery of payment_intent.succeeded, the event's AiEvent row and the Payment row, and prints each hop's time against the guide's under-1-second webhook processing. The result is journaled with the payment intent, the request id and the idempotency key. Refused for a live-mode key and under --read-only; without a terminal `canary confirm yes` stands for the typed answer. Every other count (reconciliation, deliveries, volume, refunds, the logs) leaves the doctor's canaries out."),
        SessionCommand(name: "show", usage: "<step>|<runbook>/<step>", summary: "the full evidence of a step's latest result",
                       details: "Prints the step's latest result with every piece of evidence, unabridged (secrets stay masked)."),
        SessionCommand(name: "why", usage: "<step>|<runbook>/<step>", summary: "what the step checks, its hint and the guide's advice",
                       details: "Explains a step: what it checks, the runbook's hint and the operations guide's own words (from the runbook's guide: fields), and its latest result if it ran."),
        SessionCommand(name: "note", usage: "<text>", summary: "add a timestamped note to the session",
                       details: "Records a note with the time (UTC), e.g. `note restarted the service on Render`. Notes go into the session note (`save`, and at the end)."),
        SessionCommand(name: "env", usage: "", summary: "the variables, secrets masked, and whether each is valid",
                       details: "Shows each variable of the service: its value (secrets masked: an API key as prefix and last four, passwords never), where it came from, and what the validators think of it."),
        SessionCommand(name: "set", usage: "VAR=value | VAR", summary: "set a variable for this session only",
                       details: "Sets a variable for this session only; nothing is written to any file. `set VAR` with no value asks for a secret variable's value without echo (on a terminal). A line that sets a secret is never kept in the history."),
        SessionCommand(name: "unset", usage: "VAR", summary: "unset a variable for this session only",
                       details: "Removes a variable from this session's configuration (the environment and files are not touched)."),
        SessionCommand(name: "escalate", usage: "stripe|render", summary: "the support summary for Stripe or Render",
                       details: "Prints the summary Stripe or Render support asks for (ids, times, response codes, evidence, what was ruled out), built from this session's results, and whether the guide's escalation criteria are met. Run the runbooks feeding it first (`runbooks` shows which team each escalates to)."),
        SessionCommand(name: "status", usage: "", summary: "the session so far",
                       details: "The target, what ran, the latest result of each step, the notes, and the exit code the session would end with now."),
        SessionCommand(name: "save", usage: "[path]", summary: "write the session so far as a Markdown note",
                       details: "Writes the session so far (target, results with evidence, notes) as Markdown to the path given, or to the session's note file under $XDG_STATE_HOME/doctor/sessions/. Files are created 0600."),
        SessionCommand(name: "help", usage: "[command]", summary: "the commands, or one command's help",
                       details: "Lists the commands, or explains one: `help run`."),
        SessionCommand(name: "quit", usage: "", summary: "end the session (also exit, Ctrl-D)",
                       details: "Ends the session, writes the session note and says where. The exit code is that of the worst latest result: 0 passed, 1 warning, 2 failure, 3 unknown."),
    ]

    /// Other words for commands.
    static let aliases: [String: String] = ["exit": "quit", "?": "help"]

    /// The command named `word`, by name or alias.
    static func named(_ word: String) -> SessionCommand? {
        let name = aliases[word] ?? word
        return all.first { $0.name == name }
    }
}

/// Something the session could not do for a reason outside the user's command.
enum REPLError: LocalizedError {
    /// A system call failed.
    case system(String)

    var errorDescription: String? {
        switch self {
        case let .system(message): message
        }
    }
}
