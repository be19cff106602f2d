extension CheckRegistry {
    /// Every check kind the doctor ships; the one place a new kind is registered.
    public static let standard = CheckRegistry(kinds: [
        HTTPCheck.self,
        HTTPSampleCheck.self,
        EnvCheck.self,
        WebhookSecretCheck.self,
        StripeAPICheck.self,
        StripeEndpointCheck.self,
        StripeDeliveriesCheck.self,
    ])
}
