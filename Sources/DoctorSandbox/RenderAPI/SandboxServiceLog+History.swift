import Foundation

extension SandboxServiceLog {
    /// How far back the database outage of `db-errors-in-logs` began: the newest three payments fall in it.
    static let databaseOutageSeconds = 150 * 60
    /// How long ago the last reconciliation completed under `reconciliation-stale`.
    static let staleReconciliationSeconds = 30 * 3600

    /// The service's output before the sandbox started, in the guide's words: the live deploy's
    /// build and boot, an uptime monitor's health checks, a "Processing successful payment" /
    /// "Payment record created" pair per recorded payment, and the daily reconciliation; the
    /// faults that show in logs change it. `now` is the sandbox's clock reading (Unix seconds);
    /// `databaseAddress` is the `host`/`port` the Prisma errors name. No secret goes into any line.
    static func history(service: SandboxRenderService, payments: SandboxPayments, fault: SandboxFault?,
                        now: Int, databaseAddress: (host: String, port: UInt16)) -> [Entry]
    {
        var lines = HistoryWriter(instance: service.instance)
        let nowMS = now * 1000
        let live = service.liveDeploy
        lines.build(live, failing: nil)
        lines.boot(at: live.finished - 30_000)
        lines.add("==> Your service is live 🎉", at: live.finished, type: "build")
        if fault == .deployFailed { lines.failedDeploys(service) }

        // An uptime monitor asks for the health check every ten minutes.
        var check = max(live.finished + 60_000, nowMS - 26 * 3_600_000)
        while check < nowMS {
            lines.request("GET", "/api/health", 200, at: check)
            check += 600_000
        }

        let outageStart = nowMS - databaseOutageSeconds * 1000
        for payment in payments.payments where payment.status == "succeeded" && payment.created * 1000 > live.finished {
            let created = payment.created * 1000
            if fault == .dbErrorsInLogs && created >= outageStart {
                // Prisma's P1001: the handler logs it and still answers 200, so Stripe retries nothing.
                lines.add("💰 Processing successful payment: \(payment.id)", at: created + 300)
                lines.add("❌ Database connection error: Can't reach database server at `\(databaseAddress.host)`:`\(databaseAddress.port)`",
                          at: created + 10_300, level: "error")
                lines.request("POST", "/api/webhooks/stripe", 200, at: created + 10_320)
            } else if let lag = payment.rowLagMilliseconds {
                lines.add("💰 Processing successful payment: \(payment.id)", at: created + min(300, lag / 2))
                lines.add("✅ Payment record created: \(payment.id)", at: created + lag)
                lines.request("POST", "/api/webhooks/stripe", 200, at: created + lag + 15)
            }
        }

        // The daily reconciliation runs at 03:00 UTC and syncs the day's succeeded payments;
        // under `reconciliation-stale` its schedule stopped after the run that completed 30 hours ago.
        var run = (nowMS / 86_400_000) * 86_400_000 + 3 * 3_600_000
        if run > nowMS { run -= 86_400_000 }
        if fault == .reconciliationStale { run = nowMS - staleReconciliationSeconds * 1000 - 2_140 }
        while run > live.finished {
            let synced = payments.payments.filter { $0.status == "succeeded" && $0.created * 1000 <= run && $0.created * 1000 > run - 86_400_000 }.count
            lines.add("🔄 Starting payment reconciliation...", at: run)
            lines.add("✅ Payment reconciliation completed:", at: run + 2_140)
            lines.add("   Synced: \(synced), Created: 0, Updated: 0", at: run + 2_141)
            run -= 86_400_000
        }

        if fault == .unhandledEvents {
            // The endpoint is subscribed to subscription updates the code no longer handles.
            var time = nowMS - 6 * 3_600_000 + 420_000
            while time < nowMS {
                lines.add("Unhandled event type: customer.subscription.updated (evt_\(SandboxStripeAPI.randomID(24)))", at: time)
                lines.request("POST", "/api/webhooks/stripe", 200, at: time + 12)
                time += 25 * 60_000
            }
        }
        var entries = lines.entries
        if let suspended = service.suspendedAt { entries.removeAll { $0.time > suspended } }
        return entries
    }
}

/// Collects history lines for one instance.
private struct HistoryWriter {
    let instance: String
    var entries: [SandboxServiceLog.Entry] = []

    mutating func add(_ message: String, at time: Int, type: String = "app", level: String = "info",
                      instance: String? = nil, labels: [(String, String)] = [])
    {
        entries.append(SandboxServiceLog.Entry(
            id: UUID().uuidString.lowercased(), time: time, message: message, type: type, level: level,
            instance: type == "build" ? "" : (instance ?? self.instance), requestLabels: labels))
    }

    mutating func request(_ method: String, _ path: String, _ status: Int, at time: Int) {
        add("\(method) \(path) \(status)", at: time, type: "request",
            labels: [("method", method), ("path", path), ("statusCode", String(status))])
    }

    /// The build of `deploy`; `failing` is the npm error a failed build ends with.
    mutating func build(_ deploy: SandboxRenderService.Deploy, failing: [String]?) {
        let start = deploy.started
        add("==> Cloning from \(SandboxRenderService.repo)", at: start + 1_000, type: "build")
        add("==> Checking out commit \(deploy.commitID) in branch main", at: start + 2_000, type: "build")
        add("==> Running build command 'npm ci && npx prisma generate'...", at: start + 5_000, type: "build")
        if let failing {
            for (offset, line) in failing.enumerated() { add(line, at: deploy.finished - 2_000 + offset, type: "build", level: "error") }
            add("==> Build failed 😞", at: deploy.finished, type: "build", level: "error")
            return
        }
        add("✔ Generated Prisma Client to ./node_modules/@prisma/client", at: start + 60_000, type: "build")
        add("==> Build successful 🎉", at: deploy.finished - 40_000, type: "build")
        add("==> Deploying...", at: deploy.finished - 38_000, type: "build")
        add("==> Running 'npm start'", at: deploy.finished - 32_000, type: "build")
    }

    /// The service's start-up lines.
    mutating func boot(at time: Int, instance: String? = nil) {
        add("⚠️ Sentry initialized", at: time, instance: instance)
        add("🚀 Server running on port 10000", at: time + 400, instance: instance)
    }

    /// `deploy-failed`: a build that broke, then one that built and crashed on start until Render gave up.
    mutating func failedDeploys(_ service: SandboxRenderService) {
        guard service.deploys.count >= 2 else { return }
        let update = service.deploys[0], build = service.deploys[1]
        self.build(build, failing: [
            "npm ERR! code ERESOLVE", "npm ERR! ERESOLVE unable to resolve dependency tree",
            "npm ERR! Could not resolve dependency: peer prisma@\"6.1.0\" from @prisma/client@6.1.0",
        ])
        self.build(update, failing: nil)
        // Render restarts the crashing instance a few times after the build, then keeps the old deploy.
        var crash = update.finished - 28_000
        for _ in 0..<3 {
            boot(at: crash, instance: service.failedInstance)
            add("Error: Cannot find module './routes/webhooks'", at: crash + 500, level: "error", instance: service.failedInstance)
            add("==> Exited with status 1", at: crash + 900, level: "error", instance: service.failedInstance)
            crash += 10_000
        }
        add("==> Deploy failed", at: update.finished, type: "build", level: "error")
    }
}
