import Foundation
import Testing
import MailPrepCore

/// `mailprep relay` between a mail client (Python's smtplib) and an upstream (a Postfix of the test's own).
@Suite("mailprep relay", .serialized, .enabled(if: Postfix.available, "needs root and Debian's postfix (CI has both)"))
struct RelayCommandTests {
    /// A running relay on a free loopback port, its log in a file.
    final class Relay {
        let process = Process()
        let log: URL
        let errors: URL
        private(set) var port = 0

        /// `upstreamArguments`: how the upstream is reached (by default plainly and without AUTH: a relay that trusts
        /// this machine).
        private(set) var ports: [Int] = []

        convenience init(upstream: Int, folder: URL, extra: [String],
                         upstreamArguments: [String] = ["--upstream-tls", "none", "--upstream-auth", "none"]) throws {
            try self.init(arguments: ["--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:\(upstream)"] + upstreamArguments + extra, folder: folder)
        }

        /// `mailprep relay` with these arguments; waits for `listeners` "relaying on" lines.
        init(arguments: [String], folder: URL, listeners: Int = 1) throws {
            log = folder.appendingPathComponent("relay.log")
            errors = folder.appendingPathComponent("relay.err")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
            process.executableURL = Tool.binary
            process.arguments = ["relay"] + arguments
            process.environment = ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": folder.path, "TMPDIR": folder.path]
            process.standardOutput = try FileHandle(forWritingTo: log)
            process.standardError = try FileHandle(forWritingTo: errors)
            try process.run()
            for _ in 0..<300 {
                let text = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
                ports = text.components(separatedBy: "relaying on smtp://").dropFirst().compactMap { rest in
                    rest.split(separator: " ").first.flatMap { address in address.lastIndex(of: ":").flatMap { Int(address[address.index(after: $0)...]) } }
                }
                if ports.count >= listeners || !process.isRunning { break }
                usleep(50_000)
            }
            port = ports.first ?? 0
        }

        func stop() {
            process.terminate()
            process.waitUntilExit()
        }

        var errorText: String { (try? String(contentsOf: errors, encoding: .utf8)) ?? "" }
        var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
    }

    /// Sends `message` with smtplib (EHLO, MAIL with SIZE, RCPT, DATA) and prints the outcome: "sent" or the code and text.
    static func smtplib(port: Int, message: URL, from: String = "chan@example.hk", to: [String] = ["wong@example.org"]) throws -> String {
        let script = """
            import smtplib, sys
            data = open(sys.argv[2], 'rb').read()
            try:
                with smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=30) as s:
                    s.sendmail(sys.argv[3], sys.argv[4].split(','), data)
                print('sent')
            except smtplib.SMTPResponseException as e:
                print(e.smtp_code, e.smtp_error.decode())
            """
        return try Tool.exec(["/usr/bin/python3", "-c", script, String(port), message.path, from, to.joined(separator: ",")], environment: [:]).stdout
    }

    @Test("a message that fits is relayed as it came; one over the limit is refused with 552 5.3.4 and the reason, and never reaches the upstream")
    func relayOrRefuse() throws {
        let postfix = try Postfix(limit: 10_000_000)
        defer { postfix.stop() }
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let relay = try Relay(upstream: postfix.port, folder: folder, extra: ["--limit", "1MB"])
        defer { relay.stop() }
        #expect(relay.port > 0, "\((try? String(contentsOf: relay.errors, encoding: .utf8)) ?? "")")

        let small = folder.appendingPathComponent("small.eml")
        let fits = SendmailCommandTests.message(attachment: 50_000)
        try fits.write(to: small)
        #expect(try Self.smtplib(port: relay.port, message: small) == "sent\n")
        let delivered = postfix.waitForDelivery(count: 1)
        #expect(delivered.count == 1)
        #expect(Postfix.asSent(delivered.first ?? Data()) == String(decoding: fits, as: UTF8.self), "byte for byte")

        let big = folder.appendingPathComponent("big.eml")
        try SendmailCommandTests.message(attachment: 1_500_000).write(to: big)
        let refused = try Self.smtplib(port: relay.port, message: big)
        #expect(refused.hasPrefix("552 5.3.4 not sent: the message is 2.1 MB, over the 1.0 MB limit of --limit by 1.1 MB"), "\(refused)")
        usleep(300_000)
        #expect(postfix.delivered.count == 1, "the big one never went upstream")
        let log = try String(contentsOf: relay.log, encoding: .utf8)
        #expect(log.contains("from=<chan@example.hk> recipients=1") && log.contains(" relayed 250") && log.contains(" refused 552"), "\(log)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("mailprep-p") }.isEmpty, "no spool left")
    }
}

extension RelayCommandTests {
    @Test("the upstream's own SIZE decides (from its EHLO); --oversize warn relays anyway; fix relays the fitted message with its link")
    func upstreamSizeWarnAndFix() throws {
        let postfix = try Postfix(limit: 1_000_000)
        defer { postfix.stop() }
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let big = folder.appendingPathComponent("big.eml")
        try SendmailCommandTests.message(attachment: 900_000).write(to: big)

        // No --limit: the sender's domain is unknown (10.24 MB by default), but the upstream says 1,000,000.
        let judged = try Relay(upstream: postfix.port, folder: folder, extra: [])
        let refused = try Self.smtplib(port: judged.port, message: big)
        judged.stop()
        #expect(refused.hasPrefix("552 5.3.4 not sent: the message is 1.2 MB, over the 1.0 MB limit of sender chan@example.hk (127.0.0.1:\(postfix.port))"),
                "\(refused)")

        let warned = try Relay(upstream: postfix.port, folder: folder, extra: ["--limit", "1MB", "--margin", "900kB", "--oversize", "warn"])
        let small = folder.appendingPathComponent("small.eml")
        try SendmailCommandTests.message(attachment: 200_000).write(to: small)
        #expect(try Self.smtplib(port: warned.port, message: small) == "sent\n")
        warned.stop()
        #expect(postfix.waitForDelivery(count: 1).count == 1)
        #expect(try String(contentsOf: warned.log, encoding: .utf8).contains(" relayed-over 250"))

        let share = folder.appendingPathComponent("share").path
        let kept = folder.appendingPathComponent("Sent by mailprep").path
        let fixing = try Relay(upstream: postfix.port, folder: folder,
                               extra: ["--share", share, "--share-url", "https://files.example.org/m/", "--keep", kept])
        #expect(try Self.smtplib(port: fixing.port, message: big) == "sent\n")
        fixing.stop()
        let delivered = postfix.waitForDelivery(count: 2)
        #expect(delivered.count == 2)
        let entry = try #require(ShareStore(root: share).list().first)
        #expect(String(decoding: delivered.last ?? Data(), as: UTF8.self).contains("https://files.example.org/m/\(entry.token)/"))
        #expect(try String(contentsOf: fixing.log, encoding: .utf8).contains(" fixed 250"))
        // --keep holds what was really sent (the client's Sent copy has the original, with the attachment), as a
        // message already seen, as a Sent folder's are.
        let keptNames = (try? FileManager.default.contentsOfDirectory(atPath: kept + "/cur")) ?? []
        #expect(keptNames.count == 1 && keptNames.allSatisfy { $0.hasSuffix(":2,S") })
        let keptCopy = FileManager.default.contents(atPath: kept + "/cur/" + (keptNames.first ?? "")) ?? Data()
        #expect(Postfix.asSent(delivered.last ?? Data()) == String(decoding: keptCopy, as: UTF8.self), "the kept copy is the message as delivered")
    }
}
