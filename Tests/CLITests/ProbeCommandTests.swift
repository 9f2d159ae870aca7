import Foundation
import Testing

/// `mailprep probe` against a Postfix of the test's own: plain, with STARTTLS and a certificate made here, and the
/// ways a probe fails, each with its own exit status.
@Suite("mailprep probe", .serialized, .enabled(if: Postfix.available, "needs root and Debian's postfix (CI has both)"))
struct ProbeCommandTests {
    @Test("plain: Postfix's message_size_limit exactly, as SIZE; --json for tools")
    func plain() throws {
        let postfix = try Postfix(limit: 12_345_678)
        defer { postfix.stop() }
        let run = try Tool.run(["probe", "127.0.0.1:\(postfix.port)"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("SIZE 12,345,678 bytes (12.3 MB): the largest message it takes, as sent"))
        #expect(run.stdout.contains("no TLS: the server does not offer STARTTLS"))
        let json = try Tool.run(["probe", "--json", "127.0.0.1:\(postfix.port)"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["size"] as? Int == 12_345_678 && object["security"] is NSNull)
        #expect((object["extensions"] as? [String])?.contains("PIPELINING") == true)
    }

    @Test("STARTTLS with a self-signed certificate: verified against that certificate (--ca-file), refused without it (76), and --insecure for test servers")
    func startTLS() throws {
        let postfix = try Postfix(limit: 20_000_000, tls: true)
        defer { postfix.stop() }
        let verified = try Tool.run(["probe", "--ca-file", postfix.certificate, "localhost:\(postfix.port)"])
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.stdout.contains("STARTTLS, certificate verified"))
        #expect(verified.stdout.contains("SIZE 20,000,000 bytes"))
        let untrusted = try Tool.run(["probe", "localhost:\(postfix.port)"])
        #expect(untrusted.status == 76)
        #expect(untrusted.stderr.hasPrefix("mailprep: probe localhost:\(postfix.port): TLS failed: "))
        let insecure = try Tool.run(["probe", "--insecure", "--lang", "zh-Hant", "127.0.0.1:\(postfix.port)"])
        #expect(insecure.status == 0 && insecure.stdout.contains("STARTTLS，憑證未經驗證（--insecure）"))
    }

    @Test("a server without SIZE is exit 1; nothing listening is 69; one that never answers is 75")
    func failures() throws {
        let postfix = try Postfix(limit: 1_000_000, extra: ["smtpd_discard_ehlo_keywords = size"])
        defer { postfix.stop() }
        let noSize = try Tool.run(["probe", "127.0.0.1:\(postfix.port)"])
        #expect(noSize.status == 1 && noSize.stdout.contains("no SIZE: the server does not say how large a message it takes"))
        let refused = try Tool.run(["probe", "127.0.0.1:\(try ServeCommandTests.Proxy.freePort())"])
        #expect(refused.status == 69 && refused.stderr.contains("cannot connect: connection refused"))
        // A listener that accepts and says nothing.
        let silent = Process()
        silent.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        let port = try ServeCommandTests.Proxy.freePort()
        silent.arguments = ["-c", "import socket, time\ns = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\ns.bind(('127.0.0.1', \(port))); s.listen(5)\nc = s.accept()\ntime.sleep(30)"]
        try silent.run()
        defer { silent.terminate() }
        // Until it listens: the one connection it accepts is this check's, so the probe's waits in the queue, unanswered.
        for _ in 0..<100 {
            let connect = try Tool.exec(["/usr/bin/python3", "-c", "import socket; socket.create_connection(('127.0.0.1', \(port)), 1).close()"],
                                        environment: [:])
            if connect.status == 0 { break }
            usleep(50_000)
        }
        let quiet = try Tool.run(["probe", "--timeout", "1", "127.0.0.1:\(port)"])
        #expect(quiet.status == 75 && quiet.stderr.contains("no answer within 1 s (greeting)"))
    }

    @Test("--save: check judges a sender through that server by the SIZE it advertised (submission: in the configuration file)")
    func saved() throws {
        let postfix = try Postfix(limit: 30_000)
        defer { postfix.stop() }
        let home = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: home) }
        let environment = ["HOME": home.path]
        let save = try Tool.run(["probe", "--save", "127.0.0.1:\(postfix.port)"], environment: environment)
        #expect(save.status == 0 && save.stderr.contains("saved for 127.0.0.1:\(postfix.port)"))
        let config = home.appendingPathComponent("config.yaml")
        try "submission:\n  mei.chan@icloud.com: 127.0.0.1:\(postfix.port)\n".write(to: config, atomically: true, encoding: .utf8)
        let check = try Tool.run(["check", "--config", config.path, Tool.sample("apple-mail-alternative-related-attachment.eml")], environment: environment)
        #expect(check.status == 1, "the sample (47 kB) is over the 30 kB this server takes")
        #expect(check.stdout.contains("sender mei.chan@icloud.com: SIZE advertised by 127.0.0.1:\(postfix.port)'s submission server"))
    }
}
