import Foundation
import Testing
@testable import DoctorKit
import DoctorSandbox

/// Issue 6's acceptance: distinctive secrets, faults that put them near errors, every output
/// format, the note, both escalations and the history: none of the values anywhere, in any encoding,
/// nor any four-character fragment of a password or the webhook secret.
@Suite("No secret leaks", .serialized)
struct SecretLeakTests {
    static let stripeKey = "sk_live_LeakTestKey7Qz9Xw3Vb8Nm2Kp4"
    static let webhookSecret = "whsec_Lk9Tq2Wz7Yx4Vb1Nm8Pr5Js3Hd6Gf0Ca"
    static let databasePassword = "Qx7#Zp9!Lm2@Vb5$"
    static let redisPassword = "Rj4%Tn8^Wc6&Hy1*"
    static let renderKey = "rnd_LeakRenderKey9Fx2Gh7Jk4Lm1"
    static let sentryKey = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"

    /// Every form in which a value could slip out.
    static func forms(_ secret: String) -> [String] {
        var forms = [secret, Data(secret.utf8).base64EncodedString()]
        if let encoded = secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics) { forms.append(encoded) }
        if let encoded = secret.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) { forms.append(encoded) }
        if let json = try? JSONEncoder().encode(secret), let text = String(data: json, encoding: .utf8) {
            forms.append(String(text.dropFirst().dropLast()))
        }
        return forms
    }

    /// Every 4-character piece of the secret part of a password or webhook secret.
    static func fragments(_ secret: String) -> [String] {
        let body = Array(secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret)
        return (0...(body.count - 4)).map { String(body[$0..<$0 + 4]) }
    }

    func scan(_ text: String, _ place: String) {
        for secret in [Self.stripeKey, Self.webhookSecret, Self.databasePassword, Self.redisPassword, Self.renderKey, Self.sentryKey] {
            for form in Self.forms(secret) where text.contains(form) {
                Issue.record("\(place) contains a form of a secret: \(form.prefix(6))…")
            }
        }
        for secret in [Self.webhookSecret, Self.databasePassword, Self.redisPassword] {
            for fragment in Self.fragments(secret) where text.contains(fragment) {
                Issue.record("\(place) contains the fragment \"\(fragment)\" of a secret")
            }
        }
        // API keys may show their prefix and last four only.
        #expect(!text.contains("LeakTestKey"), "\(place)")
        #expect(!text.contains("LeakRenderKey"), "\(place)")
    }

    @Test("every runbook, format, note, escalation and the history are free of every secret")
    func everywhere() throws {
        let sandbox = Sandbox(fault: .wrongSecret)
        try sandbox.start()
        defer { sandbox.stop() }
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("doctor-leak-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let encodedPassword = Self.databasePassword.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        // A real server that refuses the password when there is one; else a closed port.
        let closedPort = try closedLoopbackPort()
        let databaseURL = DatabaseServers.url(password: Self.databasePassword)
            ?? "postgresql://payments:\(encodedPassword)@127.0.0.1:\(closedPort)/payments?schema=public"
        let environment = [
            "XDG_STATE_HOME": state,
            "API_URL": sandbox.apiURL,
            "STRIPE_API_BASE": sandbox.apiURL,
            "STRIPE_SECRET_KEY": Self.stripeKey,  // not the sandbox's key: rejected with 401
            "STRIPE_WEBHOOK_SECRET": Self.webhookSecret,  // not the deployed one: a mismatch
            "DATABASE_URL": databaseURL,
            "DIRECT_URL": "postgresql://payments:\(encodedPassword)@[::1:bad/payments",  // a bad URL
            "REDIS_URL": "redis://default:\(Self.redisPassword.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)@127.0.0.1:\(closedPort)/0",
            "SENTRY_DSN": "https://\(Self.sentryKey)@o1.ingest.sentry.io/42",
            "RENDER_API_KEY": Self.renderKey,
            "RENDER_SERVICE_ID": "srv-leaktest",
        ]
        var outputs: [(String, String)] = []
        for format in ["text", "json", "junit", "prometheus"] {
            let run = try DoctorProcess.run(["--check", "all", "--format", format, "--verbose", "--note", state + "/note-\(format).md"],
                                            environment: environment)
            #expect(run.exitCode == 2, "\(format): \(run.stderr)")
            outputs.append(("--format \(format) stdout", run.stdout))
            outputs.append(("--format \(format) stderr", run.stderr))
        }
        for team in ["stripe", "render"] {
            for format in ["text", "json"] {
                let run = try DoctorProcess.run(["escalate", team, "--format", format], environment: environment)
                outputs.append(("escalate \(team) \(format)", run.stdout + run.stderr))
            }
        }
        let scripted = try DoctorProcess.run([], environment: environment, stdin: """
            set STRIPE_SECRET_KEY=\(Self.stripeKey)
            env
            run webhooks-not-arriving
            note the key \(Self.stripeKey) was rotated
            save \(state)/saved.md
            quit
            """)
        outputs.append(("scripted session", scripted.stdout + scripted.stderr))
        let sessions = try DoctorProcess.run(["sessions", "--format", "json"], environment: environment)
        outputs.append(("sessions", sessions.stdout))
        let note = try DoctorProcess.run(["note"], environment: environment)
        outputs.append(("note", note.stdout))

        for (place, text) in outputs { scan(text, place) }
        // Every file the doctor wrote: journals, notes, history.
        let files = FileManager.default.enumerator(atPath: state)?.compactMap { $0 as? String } ?? []
        #expect(files.contains { $0.hasSuffix("journal.jsonl") })
        for file in files {
            let path = state + "/" + file
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                  let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            scan(text, file)
        }
    }
}
