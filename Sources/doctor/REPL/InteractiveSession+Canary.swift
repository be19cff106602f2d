import DoctorKit
import Foundation

extension InteractiveSession {
    /// `canary [confirm [yes]]`: the payment-canary step as a dry run (what it would do), or, after
    /// a typed confirmation, the test-mode payment itself followed to its rows, as `--canary` does.
    ///
    /// Without a terminal the confirmation cannot be typed: `canary confirm yes` stands for it. The
    /// step itself refuses a live-mode key and says so; `--read-only` refuses it here.
    func canary(_ argument: String) {
        guard let words = actionWords(argument, command: "canary", action: .canary) else { return }
        let confirm = words.contains("confirm")
        let candidates = diagnosis.runbooks.flatMap { runbook in
            runbook.steps.filter { $0.kind == PaymentCanaryCheck.name }.map { (runbook, $0) }
        }
        guard let (runbook, step) = candidates.first(where: { $0.0.id == lastRunbook }) ?? candidates.first else {
            refuse("no runbook has a payment-canary step (missing-db-records and webhooks-not-arriving ship one)")
            return
        }
        // The step refuses a live key too; said here first, so nobody is asked to confirm in vain.
        if confirm && diagnosis.stripeMode == "live" {
            refuse(ActionRefusal.liveKey(.canary, allow: "a test-mode key (sk_test_…)").message)
            return
        }
        if confirm && !words.contains("yes") {
            console.out("Create a test-mode payment with \(PaymentCanary.testCard) and follow it to the database (\(runbook.id)/\(step.id))? Type yes to confirm.")
            guard case let .line(answer) = nextInput(), answer.trimmingCharacters(in: .whitespaces).lowercased() == "yes" else {
                console.out("not confirmed: no payment made")
                return
            }
        }
        _ = recorder
        let status = statusLine()
        let printer = StreamingTextSink(console: console, renderer: renderer, prefixed: false, status: status)
        let diagnosis = self.diagnosis
        let (result, _) = waitInterruptibly(status) {
            await diagnosis.rerun(step, of: runbook, sinks: [printer] + (status.map { [$0] } ?? []), canary: confirm)
        }
        status?.stop()
        guard let result else { return }
        lastRunbook = runbook.id
        events.append(.reran(runbook: runbook.id, step: step.id, at: result.startedAt, status: result.status))
    }
}
