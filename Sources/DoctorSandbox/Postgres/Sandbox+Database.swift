extension Sandbox {
    /// Starts the sandbox's PostgreSQL: a throwaway cluster with the service's role, database and
    /// tables (`"Payment"`, `"AiEvent"`) and a day of rows, so the database steps have something
    /// real to find. The payment rows are those of the Stripe stand-in's succeeded payment intents
    /// (`SandboxPayments`), so the healthy demo reconciles with no discrepancy. `DATABASE_URL` in
    /// `environment` points at it from then on.
    ///
    /// - Returns: nil when the database runs; otherwise why there is none (no PostgreSQL server
    ///   binaries, or the `db-down` fault, which keeps `DATABASE_URL` on a closed port on purpose).
    public func startDatabase() -> String? {
        if fault == .dbDown { return nil }
        if lock.withLock({ database != nil }) { return nil }
        let cluster: TemporaryPostgres
        do {
            cluster = try TemporaryPostgres()
            try cluster.execute("CREATE ROLE payments LOGIN PASSWORD '\(secrets.databasePassword)'")
            try cluster.execute("CREATE DATABASE payments OWNER payments")
            try cluster.execute("""
                SET ROLE payments;
                CREATE TABLE "Payment" (id text PRIMARY KEY, "stripePaymentIntentId" text UNIQUE NOT NULL,
                  amount integer NOT NULL, currency text NOT NULL DEFAULT 'usd', status text NOT NULL,
                  "createdAt" timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP);
                CREATE INDEX "Payment_createdAt_idx" ON "Payment" ("createdAt");
                CREATE TABLE "AiEvent" (id text PRIMARY KEY, type text NOT NULL, payload jsonb,
                  "createdAt" timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP);
                CREATE INDEX "AiEvent_createdAt_idx" ON "AiEvent" ("createdAt");
                \(payments.insertStatement)
                \(SandboxAuditEvents.statements(fault: fault))
                ANALYZE;
                """, database: "payments")
        } catch {
            return error.description
        }
        lock.withLock { database = cluster }
        return nil
    }

    /// Where the sandbox's database listens, when it runs.
    public var databaseAddress: String? {
        lock.withLock { database.map { "127.0.0.1:\($0.port)" } }
    }
}
