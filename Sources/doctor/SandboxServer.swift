import DoctorKit
import DoctorSandbox
import Foundation

/// `doctor demo --serve`: the sandbox kept up as a service to point any command at.
///
/// It prints the variables to export (the sandbox's own: its keys exist nowhere else) and serves
/// until Ctrl-C, SIGTERM or SIGHUP, then stops the sandbox and its throwaway PostgreSQL. A fault
/// switched from another terminal (`doctor demo --lift-fault`) is announced with its UTC time.
enum SandboxServer {
    /// Serves `sandbox` until a signal; returns the exit status (0 after a clean stop).
    static func serve(_ sandbox: Sandbox, fault: SandboxFault?, databaseMissing: String?, console: Console) async -> Int32 {
        console.out("sandbox: payment API at \(sandbox.apiURL)" + (fault.map { " with fault \($0.name): \($0.summary)" } ?? " (healthy)"))
        if let address = sandbox.databaseAddress {
            console.out("sandbox: PostgreSQL at \(address) (a throwaway cluster, removed when the sandbox stops)")
        } else if let databaseMissing {
            console.out("sandbox: no database (\(databaseMissing)): the database steps will be skipped")
        }
        console.out("# Point any doctor command at the sandbox (these keys exist only in it):")
        // Unredacted, on purpose and only here: these keys are the sandbox's own, made for this
        // process and dead with it, and the commands in the other terminal need them verbatim.
        for (name, value) in exports(sandbox) {
            FileHandle.standardOutput.write(Data("export \(name)=\(quoted(value))\n".utf8))
        }
        console.out("# In another terminal, with these exported: doctor demo --lift-fault (or --set-fault NAME) switches the fault "
            + "while it serves, e.g. under `doctor watch`; or POST {\"fault\": null} to $API_URL\(Sandbox.faultRoute)")
        // Printed as it happens, so the terminal that serves shows when the fix landed.
        sandbox.onFaultSwitch { change in console.out("sandbox: " + change.line) }
        console.out("# Then e.g. `doctor --check all` or `doctor` (the interactive session) in another terminal. Ctrl-C stops the sandbox.")
        let stopped = await firstSignal()
        console.error("\(stopped): stopping the sandbox")
        sandbox.stop()
        return ExitStatus.ok.rawValue
    }

    /// The variables a command needs to diagnose the sandbox as if it were the real service.
    static func exports(_ sandbox: Sandbox) -> [(String, String)] {
        sandbox.environment.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// `'value'` for a POSIX shell, single quotes escaped.
    static func quoted(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Waits for SIGINT, SIGTERM or SIGHUP and names it.
    static func firstSignal() async -> String {
        let names = [SIGINT: "interrupted", SIGTERM: "terminated", SIGHUP: "hung up"]
        let once = SignalCounter()
        var sources: [any DispatchSourceSignal] = []
        let name: String = await withCheckedContinuation { continuation in
            for (number, name) in names {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler {
                    if once.increment() == 1 { continuation.resume(returning: name) }
                }
                source.resume()
                sources.append(source)
            }
        }
        sources.forEach { $0.cancel() }
        return name
    }
}
