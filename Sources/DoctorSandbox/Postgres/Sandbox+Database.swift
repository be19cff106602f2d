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
        // Not while a fault switch runs: it may be making or reseeding the cluster itself.
        switchLock.withLock { startDatabaseNow() }
    }

    private func startDatabaseNow() -> String? {
        lock.withLock { wantsDatabase = true }
        let fault = self.fault
        if fault == .dbDown { return nil }
        if lock.withLock({ database != nil }) { return nil }
        let cluster: TemporaryPostgres
        do {
            cluster = try makeCluster(port: nil, fault: fault, payments: payments)
        } catch {
            return error.description
        }
        lock.withLock { database = cluster }
        startLoggingEvents()
        return nil
    }

    /// A cluster with the service's role, database, tables and rows for `fault`, on `port` (nil:
    /// a free one).
    func makeCluster(port: UInt16?, fault: SandboxFault?, payments: SandboxPayments) throws(TemporaryPostgresError) -> TemporaryPostgres {
        let cluster = try TemporaryPostgres(port: port)
        try cluster.execute("CREATE ROLE payments LOGIN PASSWORD '\(secrets.databasePassword)'")
        try cluster.execute("CREATE DATABASE payments OWNER payments")
        try cluster.execute("""
            SET ROLE payments;
            \(Self.tableStatements(fault: fault, payments: payments))
            ANALYZE;
            """, database: "payments")
        return cluster
    }

    /// The service's tables and their rows for `fault`: what a fresh sandbox starts with and what
    /// a fault switch reseeds. Only the sandbox's own constants go into this text.
    static func tableStatements(fault: SandboxFault?, payments: SandboxPayments) -> String {
        """
        CREATE TABLE "Payment" (id text PRIMARY KEY, "stripePaymentIntentId" text UNIQUE NOT NULL,
          amount integer NOT NULL, currency text NOT NULL DEFAULT 'usd', status text NOT NULL,
          "createdAt" timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP);
        CREATE INDEX "Payment_createdAt_idx" ON "Payment" ("createdAt");
        CREATE TABLE "AiEvent" (id text PRIMARY KEY, type text NOT NULL, payload jsonb,
          "createdAt" timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP);
        CREATE INDEX "AiEvent_createdAt_idx" ON "AiEvent" ("createdAt");
        \(payments.insertStatement)
        \(SandboxAuditEvents.statements(fault: fault))
        \(migrationStatements(fault: fault))
        """
    }

    /// Prisma's migrations table as `prisma migrate deploy` leaves it (api-facts §9): the service's
    /// two migrations applied; under `migration-failed` a third that started two hours ago and
    /// never finished, with the error Prisma logged. Only constants go into this text.
    static func migrationStatements(fault: SandboxFault?) -> String {
        var rows = [
            "('3f1c2a9e-0b7d-4c55-9a51-6e2d8f0c1a01', '\(String(repeating: "a", count: 64))', now() - interval '60 days', '20261008090000_init', NULL, NULL, now() - interval '60 days', 1)",
            "('8b2d4e6f-1a3c-4e5f-8a7b-9c0d1e2f3a02', '\(String(repeating: "b", count: 64))', now() - interval '20 days', '20261117120000_ai_event_log', NULL, NULL, now() - interval '20 days', 1)",
        ]
        if fault == .migrationFailed {
            rows.append("('c4e5f6a7-2b3c-4d5e-9f0a-1b2c3d4e5f03', '\(String(repeating: "c", count: 64))', NULL, '20261207093000_payment_refund_reason', "
                + "E'Error: P3018\\nA migration failed to apply. Database error code: 42701\\nERROR: column \"refundReason\" of relation \"Payment\" already exists', "
                + "NULL, now() - interval '2 hours', 0)")
        }
        return """
            CREATE TABLE "_prisma_migrations" (id varchar(36) PRIMARY KEY, checksum varchar(64) NOT NULL,
              finished_at timestamptz, migration_name varchar(255) NOT NULL, logs text, rolled_back_at timestamptz,
              started_at timestamptz NOT NULL DEFAULT now(), applied_steps_count integer NOT NULL DEFAULT 0);
            INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count) VALUES
              \(rows.joined(separator: ",\n  "));
            """
    }

    /// Where the sandbox's database listens, when it runs.
    public var databaseAddress: String? {
        lock.withLock { database.map { "127.0.0.1:\($0.port)" } }
    }
}
