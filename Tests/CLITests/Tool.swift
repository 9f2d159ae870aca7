import Foundation

/// Runs the built mailprep binary the way a user or a script does, with stdout, stderr and status apart.
struct Tool {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The mailprep binary built beside the test bundle.
    static let binary: URL = {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [beside.appendingPathComponent("mailprep"),
                          beside.deletingLastPathComponent().appendingPathComponent("mailprep"),
                          root.appendingPathComponent(".build/debug/mailprep")]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[2]
    }()

    static func sample(_ name: String) -> String {
        root.appendingPathComponent("Samples").appendingPathComponent(name).path
    }

    /// Runs `mailprep arguments...` in the repository root with a clean, English environment plus `environment`.
    /// `prefix` runs it through another program (`setpriv ...`).
    static func run(_ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:], executable: URL? = nil,
                    prefix: [String] = []) throws -> Run {
        var env = ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"]
        env.merge(environment) { $1 }
        let program = (executable ?? binary).path
        let command = prefix.isEmpty ? [program] + arguments : prefix + [program] + arguments
        return try exec(command, stdin: stdin, environment: env)
    }

    /// Runs any command in the repository root, feeding `stdin` and collecting both outputs.
    static func exec(_ command: [String], stdin: Data? = nil, environment: [String: String]) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.currentDirectoryURL = root
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        // Read both pipes while the process runs, so a full pipe cannot block it.
        nonisolated(unsafe) var errData = Data()
        let reader = Thread { errData = err.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !reader.isFinished { usleep(1000) }
        return Run(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                   stderr: String(decoding: errData, as: UTF8.self))
    }

    /// A fresh temporary folder, removed by the caller.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mailprep-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
