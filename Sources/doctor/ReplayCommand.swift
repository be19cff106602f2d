import ArgumentParser
import DoctorKit
import Foundation

/// `doctor replay`: resend the events a session found undelivered or unrecorded; a dry run unless
/// confirmed, never under `--read-only`.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Resend the Stripe events a session found undelivered or unrecorded (a dry run unless --confirm).",
        discussion: """
            Reads the session named by --session, else the latest that ran stripe-deliveries or the
            reconciliation; with none, runs missing-db-records and webhooks-not-arriving first. The
            events are those stripe-deliveries listed as failed or pending, and the
            payment_intent.succeeded events of the succeeded payments that have no row.

            Without --confirm it lists each event (id, type, time, payment intent, amount, its age
            against Stripe's 3-day automatic retries and the 30 days after which Stripe cannot resend
            it) and the endpoint, and sends nothing. With --confirm it asks Stripe to resend each
            (POST /v1/events/{id}/retry), paced, then checks each outcome: Stripe's count of pending
            deliveries and the payment's row. The actions go into the session's journal and note.

            Exit codes: 0 a dry run or all healed, 2 some not healed, 3 Stripe could not be read,
            64 refused (--read-only, no terminal without --yes, a live key without --live).

            Examples:
              doctor replay                        what would be resent
              doctor replay --confirm              asks, then resends
              doctor replay --confirm --yes        from a script
            """)

    @Flag(name: .long, help: "Resend the events (default: a dry run that sends nothing).")
    var confirm = false

    @Flag(name: .long, help: "Do not ask for confirmation (required with --confirm without a terminal).")
    var yes = false

    @Flag(name: .long, help: "Allow resending with a live-mode Stripe key.")
    var live = false

    @Option(name: .long, help: ArgumentHelp("Session id (see `doctor sessions`).", valueName: "id"))
    var session: String?

    @OptionGroup var options: RunOptionsGroup

    func run() async throws {
        let configuration = try options.configurationOrExit()
        let console = Console(redactor: Redactor(configuration))
        if confirm, let refusal = ActionRefusal.check(.resend, readOnly: options.readOnly, terminal: Console.stdinIsTerminal,
                                                      confirmedWithoutTerminal: yes, noTerminalAllow: "--yes") {
            console.error(refusal.message)
            throw ExitCode(ExitStatus.usage.rawValue)
        }
        let store = SessionStore()
        var chosen = session ?? store.latestReplaySource()?.info.id
        if chosen == nil {
            console.error("no session has looked for missed events yet: running missing-db-records and webhooks-not-arriving first")
            var run = CheckRun(options: options, configuration: configuration, selection: "missing-db-records,webhooks-not-arriving")
            run.printReport = false
            chosen = await run.run().session
        }
        guard let id = chosen, let record = try? store.load(id) else {
            console.error(chosen.map { "session \($0) could not be read" } ?? "no session to replay from")
            throw ExitCode(ExitStatus.unknown.rawValue)
        }
        let inputs = ReplayInputs(results: record.allSteps)
        guard !inputs.isEmpty else {
            console.out("nothing to replay: session \(id) found no undelivered event and no succeeded payment without a row")
            return
        }
        let http = HTTPClient()
        defer { http.close() }
        let replayer: Replayer
        do { replayer = try Replayer(configuration: configuration, http: http) } catch {
            console.error("cannot replay: \(error.localizedDescription)")
            throw ExitCode(ExitStatus.unknown.rawValue)
        }
        if confirm && replayer.mode == "live" && !live {
            console.error(ActionRefusal.liveKey(.resend, allow: "--live").message)
            throw ExitCode(ExitStatus.usage.rawValue)
        }
        let deadline = ContinuousClock.now + options.runOptions.timeout
        let plan: ReplayPlan
        do { plan = try await replayer.plan(inputs, deadline: deadline) } catch {
            console.error("cannot replay: \(error.localizedDescription)")
            throw ExitCode(ExitStatus.unknown.rawValue)
        }
        console.out(Self.describe(plan, session: id))
        let sendable = plan.sendable
        guard confirm else {
            console.out(plan.dryRunLine(confirm: "`doctor replay --confirm`"))
            return
        }
        guard !sendable.isEmpty else {
            console.error("nothing can be resent")
            throw ExitCode(ExitStatus.failure.rawValue)
        }
        if !yes {
            console.out(plan.confirmationQuestion + " Type yes to confirm: ", terminator: "")
            guard readLine()?.trimmingCharacters(in: .whitespaces).lowercased() == "yes" else {
                console.out("not confirmed: nothing sent")
                return
            }
        }
        let actions = await replayer.send(plan, deadline: deadline + replayer.settle)
        store.record(actions, in: id)
        for action in actions { console.out("\(action.healed ? "✓" : "✗") \(action.line)") }
        let healed = actions.filter(\.healed).count
        console.out(ReplayAction.summary(of: actions))
        console.out("recorded in session \(id): `doctor note \(id)` lists them under Actions taken")
        if healed < actions.count { throw ExitCode(ExitStatus.failure.rawValue) }
    }

    /// The plan as the dry run prints it.
    static func describe(_ plan: ReplayPlan, session: String) -> String {
        let now = Int(Date().timeIntervalSince1970)
        var lines = ["From session \(session): \(plan.items.count) event\(plan.items.count == 1 ? "" : "s") to resend"
            + " to \(plan.endpointID ?? "no endpoint") \(plan.endpointURL)"]
        if plan.endpointID == nil {
            lines.append("  ✗ no webhook endpoint in Stripe points at \(plan.endpointURL): fix the endpoint first (doctor --check webhooks-not-arriving)")
        }
        for item in plan.items {
            lines.append("  • \(item.line)")
            lines.append("      \(item.problem ?? item.age(now: now))")
        }
        for line in plan.unmatched { lines.append("  ? \(line)") }
        if plan.truncated { lines.append("  (the session listed only some of what it found: re-run after this replay)") }
        return lines.joined(separator: "\n")
    }
}
