extension CheckRegistry {
    /// Every check kind the doctor ships; the one place a new kind is registered.
    public static let standard = CheckRegistry(kinds: [
        HTTPCheck.self,
        HTTPSampleCheck.self,
        EnvCheck.self,
        PostgresPingCheck.self,
        PostgresSchemaCheck.self,
        PostgresPoolCheck.self,
        PrismaAccelerateCheck.self,
        ReconciliationCheck.self,
        RedisPingCheck.self,
        WebhookSecretCheck.self,
        StripeAPICheck.self,
        StripeEndpointCheck.self,
        StripeDeliveriesCheck.self,
        RefundsDisputesCheck.self,
        WebhookVolumeCheck.self,
        RenderServiceCheck.self,
        RenderDeploysCheck.self,
        RenderEnvCheck.self,
        RenderMetricsCheck.self,
        SentryErrorsCheck.self,
        DuplicateProcessingCheck.self,
        AuditRetentionCheck.self,
        LogScanCheck.self,
        ReconciliationJobCheck.self,
    ])
}
