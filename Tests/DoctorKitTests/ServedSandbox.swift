import Foundation

/// `doctor demo --serve` as a child process, for the tests that use it as another terminal would:
/// its output read up to a marker, its exports parsed, stopped with SIGTERM.
final class ServedSandbox {
    let process = Process()
    private let out = Pipe()
    private let home: String
    /// What it printed so far.
    private(set) var text = ""

    /// Starts `doctor demo --serve` with `arguments` after it, in a state folder of its own; a
    /// reader blocked on a silent pipe cannot hang the suite: after 60 s the server is stopped.
    init(_ arguments: [String]) throws {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("serve-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        process.executableURL = URL(fileURLWithPath: DoctorProcess.binary)
        process.arguments = ["demo", "--serve"] + arguments
        process.environment = ["PATH": "/usr/bin:/bin", "HOME": home, "XDG_STATE_HOME": home]
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let bound = process
        DispatchQueue.global().asyncAfter(deadline: .now() + 60) { if bound.isRunning { bound.terminate() } }
    }

    deinit {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
        try? FileManager.default.removeItem(atPath: home)
    }

    /// Reads until `marker` was printed, the output ends or 20 s pass.
    func read(until marker: String) {
        let deadline = Date().addingTimeInterval(20)
        while !text.contains(marker), Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
    }

    /// The preamble's `export NAME='value'` lines, read to its last line.
    func exports() -> [String: String] {
        read(until: "Ctrl-C stops the sandbox")
        var exports: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("export ") {
            let body = line.dropFirst("export ".count)
            guard let equals = body.firstIndex(of: "=") else { continue }
            exports[String(body[..<equals])] = String(body[body.index(after: equals)...]).trimmingCharacters(in: CharacterSet(charactersIn: "'"))
        }
        return exports
    }

    /// Sends SIGTERM and returns the exit status.
    func terminate() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
