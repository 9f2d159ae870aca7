import Foundation
import Testing

/// `fix` stopped at any moment (Ctrl-C, SIGTERM, kill -9) leaves no message half written, no shared file for a
/// message that was never written, and no temporary file that the next run does not remove. The moments span a
/// debug build's run of about 4 s (parsing, planning, compressing or sharing, writing); a run that ends first must
/// have left its whole result.
@Suite("A killed fix leaves nothing", .serialized)
struct KilledFixTests {
    /// A message with one attachment of about 16 MB of CSV: long enough to be caught in the middle. Made once.
    static let big: Data = {
        var csv: [UInt8] = []
        csv.reserveCapacity(16_100_000)
        var row = 0
        while csv.count < 16_000_000 {
            row += 1
            csv += Array("\(row),Kwun Tong,HKD,\(row &* 7919 % 100_003),paid\r\n".utf8)
        }
        let text = "From: a@example.org\r\nTo: b@example.net\r\nSubject: big\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nThe ledger.\r\n"
            + "--b\r\nContent-Type: text/csv; name=ledger.csv\r\nContent-Disposition: attachment; filename=ledger.csv\r\n"
            + "Content-Transfer-Encoding: base64\r\n\r\n" + Data(csv).base64EncodedString(options: .lineLength76Characters) + "\r\n--b--\r\n"
        return Data(text.utf8)
    }()

    static func bigMessage(at path: String) throws {
        try big.write(to: URL(fileURLWithPath: path))
    }

    /// Starts `mailprep arguments` (standard input from the file `input`, if given), sends `signal` after `delay`
    /// seconds (nil: lets it finish), and returns its exit status (or the signal).
    static func interrupted(_ arguments: [String], after delay: Double?, signal: Int32 = SIGKILL, input: String? = nil,
                            environment: [String: String] = [:]) throws -> Int32 {
        let process = Process()
        process.executableURL = Tool.binary
        process.arguments = arguments
        process.environment = ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"].merging(environment) { $1 }
        if let input { process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: input)) }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        if let delay {
            Thread.sleep(forTimeInterval: delay)
            kill(process.processIdentifier, signal)
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    static func contents(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
    }

    @Test("compressing, stopped at any moment: the output is whole or absent, and no temporary file stays",
          arguments: [(SIGINT, 0.05), (SIGINT, 1.5), (SIGTERM, 3.5), (SIGKILL, 0.5), (SIGKILL, 2.5)])
    func compressing(signal: Int32, delay: Double) throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("big.eml").path
        let output = folder.appendingPathComponent("out.eml").path
        try Self.bigMessage(at: input)
        let status = try Self.interrupted(["fix", "--level", "9", "--limit", "15MB", "-o", output, input], after: delay, signal: signal)
        let left = Self.contents(folder.path)
        if status == 0 || left.contains("out.eml") {
            // Done, or stopped just after the message appeared: it is whole.
            #expect(left == ["big.eml", "out.eml"])
            #expect(try Tool.run(["check", "--limit", "15MB", output]).status == 0)
        } else if signal != SIGKILL {
            #expect(left == ["big.eml"], "signal \(signal) after \(delay) s")
        } else {
            // Killed outright, it could remove nothing; the next run does, and writes its message.
            #expect(left.allSatisfy { $0 == "big.eml" || $0.contains("mailprep-p") })
            #expect(try Tool.run(["fix", "--level", "1", "--limit", "15MB", "-o", output, input]).status == 0)
            #expect(Self.contents(folder.path) == ["big.eml", "out.eml"])
        }
    }

    @Test("linking, stopped at any moment: no shared file becomes visible without its message",
          arguments: [(SIGINT, 0.05), (SIGINT, 1.5), (SIGTERM, 2.8), (SIGKILL, 1.0), (SIGKILL, 3.0)])
    func linking(signal: Int32, delay: Double) throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("big.eml").path
        let output = folder.appendingPathComponent("out.eml").path
        let share = folder.appendingPathComponent("share").path
        try Self.bigMessage(at: input)
        let status = try Self.interrupted(["fix", "--strategy", "link", "--limit", "1MB", "--share-url", "https://files.example.org/m/",
                                           "--share", share, "-o", output, input], after: delay, signal: signal)
        let listed = try Tool.run(["share", "list", "--json", "--share", share]).stdout.split(separator: "\n").count
        if status == 0 || FileManager.default.fileExists(atPath: output) {
            // Done, or stopped just after the message and its shared file appeared (together, in one step).
            #expect(listed == 1 && FileManager.default.fileExists(atPath: output))
            return
        }
        #expect(listed == 0, "signal \(signal) after \(delay) s: a shared file without its message")
        #expect(!FileManager.default.fileExists(atPath: output))
        #expect(Self.contents(folder.path).allSatisfy { ["big.eml", "share"].contains($0) || (signal == SIGKILL && $0.contains("mailprep-p")) })
        if signal != SIGKILL {
            #expect(Self.contents(share + "/.incoming").isEmpty)
        }
        // What a killed run left in the share's intake goes with the next prune, not a day later.
        #expect(try Tool.run(["share", "prune", "--share", share]).status == 0)
        #expect(Self.contents(share + "/.incoming").isEmpty)
    }

    @Test("from standard input to standard output, stopped at any moment: the spooled copy goes (at once, or with the next run after kill -9) and nothing is shared before the message is out",
          arguments: [(SIGINT, 1.0), (SIGKILL, 1.0), (SIGKILL, 2.5)])
    func pipeline(signal: Int32, delay: Double) throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("big.eml").path
        let spool = folder.appendingPathComponent("tmp").path
        let share = folder.appendingPathComponent("share").path
        try FileManager.default.createDirectory(atPath: spool, withIntermediateDirectories: true)
        try Self.bigMessage(at: input)
        let arguments = ["fix", "--strategy", "link", "--limit", "1MB", "--share-url", "https://files.example.org/m/",
                         "--share", share, "-o", "-", "-"]
        func run(after delay: Double?) throws -> Int32 {
            try Self.interrupted(arguments, after: delay, signal: signal, input: input, environment: ["TMPDIR": spool])
        }
        let status = try run(after: delay)
        let listed = try Tool.run(["share", "list", "--json", "--share", share]).stdout.split(separator: "\n").count
        if status != 0 {
            #expect(listed == 0, "signal \(signal) after \(delay) s: a shared file without its message")
        }
        if signal != SIGKILL {
            #expect(Self.contents(spool).isEmpty)
        }
        // The next run from standard input removes what a killed one left, and its own copy when done.
        #expect(try run(after: nil) == 0)
        #expect(Self.contents(spool).isEmpty)
    }
}
