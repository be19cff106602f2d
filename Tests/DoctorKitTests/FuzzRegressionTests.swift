import Foundation
import Testing

@testable import DoctorKit

/// Inputs scripts/fuzz found to break an invariant, fed through the same API as the fuzz target
/// that found them (Fuzz/Sources/<Target>).
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    /// FuzzValidators: a token that merely contains `://` was masked as a URL, whose "scheme" (all
    /// before `://`) was shown: the token in the clear.
    @Test("a secret containing :// is not shown as a URL's scheme")
    func secretWithSchemeSeparator() {
        let value = "sntrys_abcdef01234ntrys_abcdef0123456321563trys_abcdef012re34ntrys_abcdef0123456321563212sdi\u{04}h1ttpss://\u{03}"
        var configuration = Configuration()
        configuration.set("SENTRY_AUTH_TOKEN", value, origin: .process)
        let finding = VariableValidators.validate("SENTRY_AUTH_TOKEN", value, in: configuration)
        #expect(!(finding.shown ?? "").contains("abcdef0123"), "\(finding.shown ?? "nil")")
        #expect(!SecretMask.url("rnd_Zq7Xw9VkMnB4ab12 x://host").contains("Zq7Xw9"))
        // Real URLs keep their scheme and host.
        #expect(SecretMask.url("prisma+postgres://localhost:51213/?api_key=k") == "prisma+postgres://localhost:51213/?api_key=****")
        #expect(SecretMask.url("rediss://:pw@cache:6380") == "rediss://:****@cache:6380")
    }

    /// FuzzValidators: a STRIPE_SECRET_KEY made only of two words and underscores was named whole
    /// as its "unexpected prefix".
    @Test("a secret key that is all prefix is not echoed in the message")
    func secretKeyAllPrefix() {
        let value = "wjsec_PASSWORD_"
        var configuration = Configuration()
        configuration.set("STRIPE_SECRET_KEY", value, origin: .process)
        let finding = VariableValidators.validate("STRIPE_SECRET_KEY", value, in: configuration)
        #expect(finding.status == .fail)
        #expect(!finding.message.contains(value), "\(finding.message)")
        #expect(!finding.message.contains("PASSWORD"), "\(finding.message)")
        // A prefix with something after it is still named, as before.
        #expect(VariableValidators.validate("STRIPE_SECRET_KEY", "xk_live_abcdefghijklmnop", in: Configuration())
            .message.contains("unexpected prefix xk_live_"))
    }
}
