import DoctorKit
import Foundation

extension InteractiveSession {
    /// `replay [confirm [yes] [live]]`: the events this session found undelivered or unrecorded,
    /// listed (a dry run), or resent after a typed confirmation, as `doctor replay` does.
    ///
    /// Without a terminal the confirmation cannot be typed: `replay confirm yes` stands for it, as
    /// `--yes` does for the command. A live-mode key needs `live` as well, as `--live` does.
    func replay(_ argument: String) {
        guard let words = actionWords(argument, command: "replay", extra: ["live"], action: .resend) else { return }
        let confirm = words.contains("confirm")
        let inputs = ReplayInputs(results: diagnosis.results)
        guard !inputs.isEmpty else {
            console.out("nothing to replay: no undelivered event and no succeeded payment without a row in this session (run missing-db-records or webhooks-not-arriving first)")
            return
        }
        let http = HTTPClient()
        defer { http.close() }
        let replayer: Replayer
        do { replayer = try Replayer(configuration: configuration, http: http) } catch {
            refuse("cannot replay: \(error.localizedDescription)")
            return
        }
        if confirm && replayer.mode == "live" && !words.contains("live") {
            refuse(ActionRefusal.liveKey(.resend, allow: "`replay confirm live`").message)
            return
        }
        let deadline = ContinuousClock.now + diagnosis.options.timeout
        let (planned, _) = waitInterruptibly { () -> Result<ReplayPlan, StripeAPIError> in
            do throws(StripeAPIError) { return .success(try await replayer.plan(inputs, deadline: deadline)) } catch { return .failure(error) }
        }
        let plan: ReplayPlan
        switch planned {
        case let .success(found): plan = found
        case let .failure(error):
            refuse("cannot replay: \(error.localizedDescription)")
            return
        }
        _ = recorder
        console.out(ReplayCommand.describe(plan, session: id))
        let sendable = plan.sendable
        guard confirm else {
            console.out(plan.dryRunLine(confirm: "`replay confirm`"))
            return
        }
        guard !sendable.isEmpty else {
            console.out("nothing can be resent")
            return
        }
        if !words.contains("yes") {
            console.out(plan.confirmationQuestion + " Type yes to confirm.")
            guard case let .line(answer) = nextInput(), answer.trimmingCharacters(in: .whitespaces).lowercased() == "yes" else {
                console.out("not confirmed: nothing sent")
                return
            }
        }
        let (actions, _) = waitInterruptibly { await replayer.send(plan, deadline: deadline + replayer.settle) }
        diagnosis.recordReplay(actions)
        for action in actions { console.out("\(action.healed ? "✓" : "✗") \(action.line)") }
        console.out(ReplayAction.summary(of: actions))
    }
}
