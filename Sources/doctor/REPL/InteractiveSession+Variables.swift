import DoctorKit
import Foundation

extension InteractiveSession {
    /// The service's variables, whether set or not (others appear once set from a file or here).
    static let knownVariables: [String] = [
        "API_URL", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "DATABASE_URL", "DIRECT_URL", "REDIS_URL",
        "SENTRY_DSN", "SENTRY_AUTH_TOKEN", "RENDER_API_KEY", "RENDER_SERVICE_ID", "STRIPE_API_BASE", "RENDER_API_BASE",
        "SENTRY_ORG", "SENTRY_PROJECT", "SENTRY_API_BASE",
    ]

    /// The variables `env` shows and `set` completes: the known ones, and any the session, a file or
    /// the sandbox supplied (not the whole shell environment).
    var variableNames: [String] {
        var names = Self.knownVariables
        for name in configuration.names where !names.contains(name) {
            switch configuration.origin(name) {
            case .process?, nil: continue
            default: names.append(name)
            }
        }
        return names
    }

    /// `env`: every variable, secrets masked, with where it came from and what the validators say.
    func showEnvironment() {
        let names = variableNames
        let width = names.map(\.count).max() ?? 0
        for name in names {
            let padded = name.padding(toLength: width, withPad: " ", startingAt: 0)
            guard let value = configuration.value(name) else {
                console.out(renderer.style.dim("[-] \(padded)  (not set)"))
                continue
            }
            let finding = VariableValidators.validate(name, value, in: configuration)
            let status: Status = switch finding.status {
            case .pass: .pass
            case .warn: .warn
            case .fail: .fail
            }
            let shown = finding.shown ?? VariableValidators.display(name, value)
            let origin = configuration.origin(name).map { " (from \($0))" } ?? ""
            let message = finding.status == .pass ? "" : ": \(finding.message)"
            console.out(renderer.style.paint("[\(status.symbol)]", status) + " \(padded)  \(shown)\(renderer.style.dim(origin))\(message)")
        }
    }

    /// `set VAR=value` (or `set VAR`, which asks for a secret without echo).
    func set(_ argument: String) {
        let name: String
        var value: String?
        if let equals = argument.firstIndex(of: "=") {
            name = argument[..<equals].trimmingCharacters(in: .whitespaces)
            value = String(argument[argument.index(after: equals)...]).trimmingCharacters(in: .whitespaces)
        } else {
            name = argument
        }
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            refuse("set needs VAR=value (for a secret, `set VAR` asks for it without echo)")
            return
        }
        let secret = Configuration.isSecret(name)
        if value == nil {
            guard secret, let reader else {
                refuse(secret ? "set \(name) needs a value: \(name)=value (no prompt when not on a terminal)"
                              : "set needs VAR=value, e.g. `set \(name)=…`")
                return
            }
            guard let typed = reader.readSecret(prompt: "\(name) (not echoed): "), !typed.isEmpty else {
                console.out("\(name) unchanged")
                return
            }
            value = typed
        }
        guard let value, !value.isEmpty else {
            refuse("set \(name)= has no value; `unset \(name)` removes it")
            return
        }
        diagnosis.set(name, value)
        if Configuration.baseOverrideNames.contains(name) {
            diagnosis.addNotice("\(name) overridden to \(value) (from this session)")
        }
        rebuildConsole()
        events.append(.variable(name: name, set: true, at: Date()))
        let finding = VariableValidators.validate(name, value, in: configuration)
        let shown = finding.shown ?? VariableValidators.display(name, value)
        let verdict = finding.status == .pass ? "" : " — \(finding.message)"
        // The note's reader must know the target or a key changed mid-session (never the secret).
        recorder?.note("doctor: \(name) set for this session" + (secret ? "" : " to \(shown)"))
        console.out("\(name) = \(shown) for this session\(verdict)")
        if secret && setup.interactive && argument.contains("=") {
            console.out(renderer.style.dim("(not kept in the history; `set \(name)` alone asks without echo)"))
        }
    }

    /// `unset VAR`.
    func unset(_ argument: String) {
        guard !argument.isEmpty, !argument.contains(" ") else {
            refuse("unset needs one variable name")
            return
        }
        guard configuration.value(argument) != nil else {
            console.out("\(argument) is not set")
            return
        }
        diagnosis.unset(argument)
        rebuildConsole()
        events.append(.variable(name: argument, set: false, at: Date()))
        recorder?.note("doctor: \(argument) unset for this session")
        console.out("\(argument) unset for this session")
    }

    /// The console redacts with the secrets known now (a secret just set is masked from here on).
    private func rebuildConsole() {
        console = Console(redactor: redactor)
    }
}
