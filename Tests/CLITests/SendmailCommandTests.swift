import Foundation
import Testing
import MailPrepCore

/// `mailprep sendmail` between a mail tool and a real sender: msmtp, sending to a Postfix of the test's own on the
/// loopback (message_size_limit set, delivery into a Maildir).
@Suite("mailprep sendmail", .serialized, .enabled(if: Postfix.available, "needs root and Debian's postfix (CI has both)"))
struct SendmailCommandTests {
    /// A message from chan@example.hk with one attachment of `size` random octets (nothing compresses) and, with
    /// `text`, a second one of that many octets of text (which does).
    static func message(attachment size: Int, text: Int = 0, headers: String = "To: wong@example.org\r\n") -> Data {
        var generator = SystemRandomNumberGenerator()
        let random = Data((0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) })
        var message = "From: Chan Tai Man <chan@example.hk>\r\n" + headers + "Subject: =?UTF-8?B?5aCx5ZGK?=\r\n"
            + "Message-ID: <sendmail-test-\(UUID().uuidString)@example.hk>\r\nDate: Thu, 03 Dec 2026 10:00:00 +0800\r\n"
            + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            + "報告在附件。\r\n\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=UTF-8''%E5%A0%B1%E5%91%8A.bin\r\n"
            + "Content-Transfer-Encoding: base64\r\n\r\n"
            + random.base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed]) + "\r\n"
        if text > 0 {
            let lines = String(repeating: "2026-12-03 10:00:00 INFO order 12345 shipped to Kowloon Bay\r\n", count: text / 60 + 1)
            message += "--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Disposition: attachment; filename=orders.log\r\n\r\n" + lines
        }
        return Data((message + "--b--\r\n").utf8)
    }

    /// `mailprep sendmail ARGS` with `message` on standard input, HOME and the state folder in `home`, TMPDIR a
    /// folder of its own that must be empty again afterwards (the spool, the fixed message: nothing is left behind).
    static func sendmail(_ arguments: [String], message: Data, home: URL) throws -> Tool.Run {
        let temporary = home.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        let run = try Tool.run(["sendmail"] + arguments, stdin: message,
                               environment: ["HOME": home.path, "PATH": "/usr/bin:/bin:/usr/sbin", "TMPDIR": temporary.path])
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.path).isEmpty, "left in TMPDIR")
        return run
    }

    @Test("fits: what mutt hands over reaches Postfix byte for byte (apart from what Postfix adds), through msmtp named in the configuration file alone")
    func fits() throws {
        let postfix = try Postfix(limit: 1_000_000)
        defer { postfix.stop() }
        let home = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: home) }
        let config = home.appendingPathComponent(".config/mailprep")
        try FileManager.default.createDirectory(at: config, withIntermediateDirectories: true)
        // mutt splits $sendmail on spaces without a shell: the real sender must come from the configuration.
        try "send_via:\n  chan@example.hk: msmtp -C \(try postfix.msmtpConfiguration())\n".write(to: config.appendingPathComponent("config.yaml"),
                                                                                           atomically: true, encoding: .utf8)
        let message = Self.message(attachment: 300_000)
        // As mutt calls sendmail: -oem -oi, then -- and the recipients.
        let run = try Self.sendmail(["-oem", "-oi", "--", "wong@example.org"], message: message, home: home)
        #expect(run.status == 0, "\(run.stderr)")
        let delivered = postfix.waitForDelivery(count: 1)
        #expect(delivered.count == 1)
        #expect(Postfix.asSent(delivered.first ?? Data()) == String(decoding: message, as: UTF8.self))
    }

    @Test("over with --oversize refuse: exit 65 with the size, the limit, whose it is and what would make it fit; nothing reaches Postfix")
    func refuse() throws {
        let postfix = try Postfix(limit: 10_000_000)
        defer { postfix.stop() }
        let home = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: home) }
        // The real sender leaves a mark when it is called at all.
        let mark = home.appendingPathComponent("called")
        let via = "/bin/sh -c 'touch \(mark.path); exec msmtp -C \(try postfix.msmtpConfiguration()) \"$@\"' sh"
        let message = Self.message(attachment: 100_000, text: 1_500_000)
        let run = try Self.sendmail(["--via", via, "--limit", "1MB", "--oversize", "refuse", "-oi", "-t"], message: message, home: home)
        #expect(run.status == 65)
        #expect(run.stderr.contains("mailprep: not sent: the message is 1.7 MB, over the 1.0 MB limit of --limit by 673 kB\n"))
        #expect(run.stderr.contains("compressing the attachments (zip) would make it "))
        let chinese = try Self.sendmail(["--via", via, "--limit", "1MB", "--lang", "zh-Hant", "-oi", "-t"], message: message, home: home)
        #expect(chinese.status == 65 && chinese.stderr.contains("未寄出：郵件有 1.7 MB"), "refuse is the default without a share URL")
        usleep(300_000)
        #expect(!FileManager.default.fileExists(atPath: mark.path), "the real sender was never called")
        #expect(postfix.delivered.isEmpty)
        let last = try Tool.run(["sendmail", "--last", "--json"], environment: ["HOME": home.path])
        #expect(last.stdout.contains("\"action\":\"refused\""))
    }

    @Test("over with a share URL: fixed (compressed, the rest linked), sent fitted, a copy kept in a Maildir, the log says what changed")
    func fix() throws {
        let postfix = try Postfix(limit: 1_000_000)
        defer { postfix.stop() }
        let home = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: home) }
        let share = home.appendingPathComponent("share").path
        let keep = home.appendingPathComponent("Sent").path
        let message = Self.message(attachment: 900_000, text: 2_000_000)
        let run = try Self.sendmail(["--via", "msmtp -C \(try postfix.msmtpConfiguration())", "--limit", "1MB", "--share", share,
                                     "--share-url", "https://files.example.org/m/", "--protect", "--keep", keep, "-oi", "-f", "chan@example.hk",
                                     "wong@example.org"], message: message, home: home)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("fixed before sending: 3.3 MB → ") && run.stderr.contains("(1 compressed, 1 linked)"))
        let delivered = try #require(postfix.waitForDelivery(count: 1).first)
        let sent = Postfix.asSent(delivered)
        let entry = try #require(ShareStore(root: share).list().first)
        #expect(sent.contains("https://files.example.org/m/\(entry.token)/%E5%A0%B1%E5%91%8A.bin"))
        // The compressed attachment arrived whole: Python's email and zipfile give back the original log.
        let original = String(decoding: message, as: UTF8.self)
        // The part's content: after its header, up to the CRLF that belongs to the closing delimiter (RFC 2046).
        let start = try #require(original.range(of: "filename=orders.log\r\n\r\n")?.upperBound)
        let end = try #require(original.range(of: "\r\n--b--", range: start..<original.endIndex)?.lowerBound)
        let attached = String(original[start..<end])
        let arrived = home.appendingPathComponent("arrived.eml")
        try Data(sent.utf8).write(to: arrived)
        let unpacked = try Tool.exec(["/usr/bin/python3", "-c", """
            import email, email.policy, io, sys, zipfile
            m = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=email.policy.default)
            part = next(p for p in m.walk() if p.get_filename() == 'orders.log.zip')
            z = zipfile.ZipFile(io.BytesIO(part.get_payload(decode=True)))
            sys.stdout.buffer.write(z.read('orders.log'))
            """, arrived.path], environment: [:])
        #expect(unpacked.status == 0, "\(unpacked.stderr)")
        #expect(unpacked.stdout == attached, "the log inside the zip is the one that was attached")
        // The kept copy is what was sent, seen (a sent copy), in Maildir's cur/.
        let kept = try FileManager.default.contentsOfDirectory(atPath: keep + "/cur")
        #expect(kept.count == 1 && kept[0].hasSuffix(":2,S"))
        let copy = try String(contentsOfFile: keep + "/cur/" + kept[0], encoding: .utf8)
        #expect(Postfix.asSent(Data(copy.utf8)) == sent)
        // The password exists only in the log (and on the sender's screen, which a mail client does not show).
        let last = try Tool.run(["sendmail", "--last"], environment: ["HOME": home.path])
        #expect(last.stdout.contains("fixed") && last.stdout.contains(entry.token) && last.stdout.contains("password for the downloads"))
        let log = home.appendingPathComponent(".local/state/mailprep/sendmail.log").path
        #expect((try FileManager.default.attributesOfItem(atPath: log)[.posixPermissions] as? Int) == 0o600)
    }

    @Test("the real sender fails after a fix: its exit status is mailprep's (the client keeps the message), and the shared files are taken back")
    func realSenderFails() throws {
        let home = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: home) }
        // msmtp to a port nothing listens on: it cannot connect.
        let port = try ServeCommandTests.Proxy.freePort()
        let rc = home.appendingPathComponent("msmtprc")
        try "account default\nhost 127.0.0.1\nport \(port)\nfrom chan@example.hk\nauth off\ntls off\n".write(to: rc, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: rc.path)
        let share = home.appendingPathComponent("share").path
        let run = try Self.sendmail(["--via", "msmtp -C \(rc.path)", "--limit", "200kB", "--share", share, "--share-url", "https://files.example.org/m/",
                                     "-oi", "wong@example.org"], message: Self.message(attachment: 400_000), home: home)
        // What msmtp itself says of that, called directly.
        let direct = try Tool.exec(["/usr/bin/msmtp", "-C", rc.path, "wong@example.org"], stdin: Self.message(attachment: 10), environment: [:])
        #expect(direct.status != 0)
        #expect(run.status == direct.status, "\(run.stderr)")
        #expect(run.stderr.contains("the real sender failed (exit \(direct.status)); nothing was sent by mailprep, and the file it put into the share for this message was removed"))
        #expect(ShareStore(root: share).list().isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: share).filter { !$0.hasPrefix(".") }.isEmpty)
    }

    @Test("-t: recipients from To, Cc and Bcc are judged (a Bcc whose server takes 50 kB decides), and msmtp drops the Bcc field before delivery")
    func recipientsFromHeader() throws {
        let postfix = try Postfix(limit: 20_000_000, domains: ["example.org", "small.example"])
        defer { postfix.stop() }
        let home = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: home) }
        let limits = home.appendingPathComponent("small.json")
        try #"{"id": "small", "name": "Small Mail", "kind": "provider", "domains": ["small.example"], "receive": {"bytes": 50000, "measuredOn": "encoded", "confirmed": true, "source": "https://small.example/help"}}"#
            .write(to: limits, atomically: true, encoding: .utf8)
        let message = Self.message(attachment: 100_000, headers: "To: wong@example.org\r\nBcc: lee@small.example\r\n")
        let via = "msmtp -C \(try postfix.msmtpConfiguration())"
        let refused = try Self.sendmail(["--via", via, "--limits", limits.path, "--oversize", "refuse", "-oi", "-t"], message: message, home: home)
        #expect(refused.status == 65 && refused.stderr.contains("limit of recipient lee@small.example (Small Mail)"), "\(refused.stderr)")
        let judged = try Self.sendmail(["--via", via, "--limits", limits.path, "--oversize", "warn", "-oi", "-t"], message: message, home: home)
        #expect(judged.status == 0 && judged.stderr.contains("sent over the limit (--oversize warn)"), "\(judged.stderr)")
        let delivered = postfix.waitForDelivery(count: 2)
        #expect(delivered.count == 2, "one copy for each recipient's mailbox (both in the test's one Maildir)")
        #expect(delivered.allSatisfy { !String(decoding: $0, as: UTF8.self).contains("Bcc:") })
        let unknown = try Self.sendmail(["--via", via, "--provider", "postfix", "--limit-not-a-flag-of-ours", "-t"], message: message, home: home)
        #expect(unknown.status != 0 && unknown.stderr.contains("msmtp"), "an unknown long option goes to msmtp, which refuses it: nothing is dropped silently")
    }

    @Test("no real sender is exit 78; a --via that is mailprep itself is refused (no loop); -bp goes to the real sender untouched")
    func realSenderProblems() throws {
        let home = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: home) }
        let message = Self.message(attachment: 1_000)
        let none = try Self.sendmail(["-oi", "wong@example.org"], message: message, home: home)
        #expect(none.status == 78 && none.stderr.contains("no real sender to hand the message to"))
        let link = home.appendingPathComponent("sendmail")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: Tool.binary)
        let loop = try Self.sendmail(["--via", link.path + " sendmail", "-oi", "wong@example.org"], message: message, home: home)
        #expect(loop.status == 78 && loop.stderr.contains("is mailprep itself"))
        let queue = try Self.sendmail(["--via", "/bin/echo", "-bp"], message: Data(), home: home)
        #expect(queue.status == 0 && queue.stdout == "-bp\n", "not a message: handed over as it is")
        let usage = try Self.sendmail(["--via"], message: message, home: home)
        #expect(usage.status == 64 && usage.stderr.contains("--via: needs a value"))
    }
}

extension SendmailCommandTests {
    /// A repository with three commits, the second adding a file of `big` octets of text, and its patches.
    static func series(in folder: URL, big: Int) throws -> (repository: URL, patches: [String]) {
        let repository = folder.appendingPathComponent("project")
        try FileManager.default.createDirectory(at: repository, withIntermediateDirectories: true)
        let environment = ["HOME": folder.path, "GIT_CONFIG_NOSYSTEM": "1", "PATH": "/usr/bin:/bin"]
        func git(_ arguments: [String]) throws {
            let run = try Tool.exec(["/usr/bin/git", "-C", repository.path] + arguments, environment: environment)
            #expect(run.status == 0, "git \(arguments): \(run.stderr)")
        }
        try git(["init", "-q"])
        try git(["config", "user.name", "Chan Tai Man"])
        try git(["config", "user.email", "chan@example.hk"])
        for (index, size) in [200, big, 300].enumerated() {
            let line = "order \(index) shipped to Kowloon Bay\n"
            try String(repeating: line, count: size / line.utf8.count + 1).write(to: repository.appendingPathComponent("file\(index).txt"), atomically: true, encoding: .utf8)
            try git(["add", "."])
            try git(["commit", "-q", "-m", ["fix the first thing", "add the big table", "fix the last thing"][index]])
        }
        try git(["format-patch", "-q", "-3", "-o", "out"])
        let names = try FileManager.default.contentsOfDirectory(atPath: repository.appendingPathComponent("out").path).sorted()
        return (repository, names.map { "out/" + $0 })
    }

    @Test("git send-email with mailprep as its hook: a series with one patch over its list's limit sends nothing; without it, all arrive")
    func gitSendEmail() throws {
        let postfix = try Postfix(limit: 10_000_000, domains: ["lists.example.org", "example.hk"])
        defer { postfix.stop() }
        let home = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: home) }
        // The list's limit comes from the user's own entry, named in the configuration file.
        let config = home.appendingPathComponent(".config/mailprep")
        try FileManager.default.createDirectory(at: config, withIntermediateDirectories: true)
        try #"{"id": "example-lists", "name": "Example lists", "kind": "provider", "domains": ["lists.example.org"], "receive": {"bytes": 100000, "measuredOn": "encoded", "confirmed": true, "source": "https://lists.example.org/policy"}}"#
            .write(to: config.appendingPathComponent("lists.json"), atomically: true, encoding: .utf8)
        try "limits: lists.json\n".write(to: config.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
        let (repository, patches) = try Self.series(in: home, big: 150_000)
        let environment = ["HOME": home.path, "GIT_CONFIG_NOSYSTEM": "1", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"]
        for (key, value) in [("sendemail.to", "dev@lists.example.org"), ("sendemail.from", "Chan Tai Man <chan@example.hk>"),
                             ("sendemail.smtpServer", "127.0.0.1"), ("sendemail.smtpServerPort", String(postfix.port)),
                             ("sendemail.confirm", "never"), ("sendemail.suppresscc", "all")] {
            _ = try Tool.exec(["/usr/bin/git", "-C", repository.path, "config", key, value], environment: environment)
        }
        let install = try Tool.run(["git-validate", "--install"], environment: ["HOME": home.path], prefix: ["/usr/bin/env", "-C", repository.path])
        #expect(install.status == 0, "\(install.stderr)")
        #expect(install.stdout.contains("installed .git/hooks/sendemail-validate"))

        let refused = try Tool.exec(["/usr/bin/git", "-C", repository.path, "send-email", "--no-annotate"] + patches, environment: environment)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("mailprep: 0002-add-the-big-table.patch is 160 kB, over the 100 kB limit of recipient dev@lists.example.org (Example lists) by 70.2 kB: git send-email sends none of the series"))
        #expect(refused.stderr.contains("judged for dev@lists.example.org (recipients from the patch and git's sendemail.to, cc and bcc)"))
        usleep(300_000)
        #expect(postfix.delivered.isEmpty && !postfix.log.contains("ehlo="), "nothing of the series was sent")

        let sent = try Tool.exec(["/usr/bin/git", "-C", repository.path, "send-email", "--no-annotate", patches[0], patches[2]], environment: environment)
        #expect(sent.status == 0, "\(sent.stderr)")
        #expect(sent.stderr.contains("0001-fix-the-first-thing.patch: ") && sent.stderr.contains("fits (judged for dev@lists.example.org"))
        #expect(postfix.waitForDelivery(count: 2).count == 2)
    }
}

extension SendmailCommandTests {
    /// A message of exactly `size` octets in the file: 76-character lines ending in CRLF, or LF alone.
    static func exact(size: Int, crlf: Bool, number: Int) -> Data {
        let end = crlf ? "\r\n" : "\n"
        var text = ["From: chan@example.hk", "To: wong@example.org", "Subject: probe \(number)", "Message-ID: <probe-\(number)@example.hk>",
                    "Date: Thu, 03 Dec 2026 10:00:00 +0800", ""].map { $0 + end }.joined()
        let line = String(repeating: "x", count: 76) + end
        while text.utf8.count + line.utf8.count <= size { text += line }
        let rest = size - text.utf8.count
        if rest > end.utf8.count { text += String(repeating: "y", count: rest - end.utf8.count) + end } else { text += String(repeating: end, count: 0) + String(repeating: "z", count: rest) }
        return Data(text.utf8)
    }

    /// Sends each message through `mailprep sendmail --limit LIMIT --margin MARGIN --oversize refuse` and, for those
    /// it refuses, straight to Postfix: the sizes on the wire that mailprep passed and Postfix rejected, and those it
    /// refused that Postfix would have taken.
    static func probe(_ messages: [Data], limit: Int, margin: Int, rc: String, home: URL) throws -> (falseAccepts: [String], needless: [Int64], passed: Int) {
        var falseAccepts: [String] = []
        var needless: [Int64] = []
        var passed = 0
        for message in messages {
            let run = try Self.sendmail(["--via", "msmtp -C \(rc)", "--limit", String(limit), "--margin", String(margin), "--oversize", "refuse",
                                         "-oi", "wong@example.org"], message: message, home: home)
            let refused = run.stderr.contains("mailprep: not sent:")
            if !refused && run.status != 0 { falseAccepts.append("\(message.count): \(run.stderr)") }
            if !refused && run.status == 0 { passed += 1 }
            guard refused else { continue }
            let direct = try Tool.exec(["/usr/bin/msmtp", "-C", rc, "wong@example.org"], stdin: message, environment: [:])
            if direct.status == 0 {
                let check = try Tool.run(["check", "--json", "-"], stdin: message)
                let object = try JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: Any]
                needless.append(Int64(object?["wireBytes"] as? Int ?? 0))
            }
        }
        return (falseAccepts, needless, passed)
    }

    @Test("at Postfix's own limit: from 50 kB under to 50 kB over, CRLF and LF files, mailprep never passes what Postfix then rejects; needless refusals only within the margin")
    func boundary() throws {
        let limit = 1_000_000
        let postfix = try Postfix(limit: limit)
        defer { postfix.stop() }
        let home = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: home) }
        let rc = try postfix.msmtpConfiguration()
        var number = 0
        let coarse = [true, false].flatMap { crlf in
            stride(from: limit - 50_000, through: limit + 50_000, by: 2_500).map { size -> Data in
                number += 1
                return Self.exact(size: size, crlf: crlf, number: number)
            }
        }
        #expect(coarse.count == 82)
        let standard = try Self.probe(coarse, limit: limit, margin: 10_000, rc: rc, home: home)
        #expect(standard.falseAccepts.isEmpty, "passed by mailprep, rejected by Postfix: \(standard.falseAccepts)")
        // Refused only for the margin: each needless refusal is within 10,000 octets (on the wire) of the limit.
        #expect(standard.needless.allSatisfy { $0 + 10_000 > limit }, "needless refusals: \(standard.needless)")
        // A margin of Postfix's own measured overhead (839 octets for one recipient, see mta-size-accounting.md, and
        // some room): still no false accept, in 50-octet steps across the edge.
        let fine = stride(from: limit - 1_500, through: limit - 500, by: 50).map { size -> Data in
            number += 1
            return Self.exact(size: size, crlf: true, number: number)
        }
        let narrow = try Self.probe(fine, limit: limit, margin: 1_200, rc: rc, home: home)
        #expect(narrow.falseAccepts.isEmpty, "with a 1,200-octet margin: \(narrow.falseAccepts)")
        // And it does pass what fits: nothing is refused more than the margin below the limit.
        #expect(narrow.passed > 0 && narrow.needless.allSatisfy { $0 + 1_200 > limit }, "\(narrow.passed) passed; needless \(narrow.needless)")
        print("boundary: margin 10000: \(coarse.count) probes, 0 false accepts, needless refusals at wire \(standard.needless); "
              + "margin 1200: \(fine.count) probes, 0 false accepts, needless refusals at wire \(narrow.needless)")
    }
}

extension SendmailCommandTests {
    /// neomutt in tmux composing `draft` with `attachment` and sending it with `sendmail`: Enter at the To and
    /// Subject prompts, `y` in the compose menu. Returns the screen once it shows `until` (or after ten seconds).
    static func neomuttSends(draft: URL, attachment: URL, sendmail: String, home: URL, until: [String]) throws -> String {
        try neomuttSends(draft: draft, attachment: attachment, settings: "set sendmail=\"\(sendmail)\"", home: home, until: until)
    }

    /// The same, with `settings` for how neomutt sends (its $sendmail, or $smtp_url and the rest).
    static func neomuttSends(draft: URL, attachment: URL, settings: String, home: URL, until: [String]) throws -> String {
        let rc = home.appendingPathComponent("muttrc")
        try """
            set folder=\(home.path)
            set mbox_type=Maildir
            set charset=utf-8
            set header_cache=""
            set message_cachedir=""
            set editor="true"
            set abort_unmodified=no
            set copy=no
            \(settings)

            """.write(to: rc, atomically: true, encoding: .utf8)
        let socket = "mailprep-test-\(getpid())-\(UUID().uuidString.prefix(8))"
        let environment = ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": home.path]
        let command = "env LANG=C.UTF-8 TERM=xterm-256color HOME=\(home.path) PATH=/usr/bin:/bin /usr/bin/neomutt -n -F \(rc.path) -H \(draft.path) -a \(attachment.path); sleep 30"
        #expect(try Tool.detached(["/usr/bin/tmux", "-L", socket, "new-session", "-d", "-x", "160", "-y", "40", command], environment: environment) == 0)
        defer {
            if let pane = try? Tool.exec(["/usr/bin/tmux", "-L", socket, "display-message", "-p", "#{pane_pid}"], environment: environment),
               let pid = Int32(pane.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) {
                kill(-pid, SIGKILL)
                kill(pid, SIGKILL)
            }
            _ = try? Tool.detached(["/usr/bin/tmux", "-L", socket, "kill-server"], environment: environment)
        }
        func screen() throws -> String { try Tool.exec(["/usr/bin/tmux", "-L", socket, "capture-pane", "-p"], environment: environment).stdout }
        func wait(for text: String) throws -> String {
            var shown = ""
            for _ in 0..<100 {
                shown = try screen()
                if shown.contains(text) { break }
                usleep(100_000)
            }
            return shown
        }
        _ = try wait(for: "To: ")
        _ = try Tool.exec(["/usr/bin/tmux", "-L", socket, "send-keys", "Enter"], environment: environment)
        _ = try wait(for: "Subject: ")
        _ = try Tool.exec(["/usr/bin/tmux", "-L", socket, "send-keys", "Enter"], environment: environment)
        _ = try wait(for: "y:Send")
        _ = try Tool.exec(["/usr/bin/tmux", "-L", socket, "send-keys", "y"], environment: environment)
        var shown = ""
        for _ in 0..<100 {
            shown = try screen()
            if until.contains(where: shown.contains) { break }
            usleep(100_000)
        }
        return shown
    }

    /// What neomutt composes in its tests: a draft to wong@example.org, and an attachment of 300 kB (too big for
    /// a 100 kB limit) and one of 20 kB (fits), random bytes.
    static func neomuttFiles(in folder: URL) throws -> (draft: URL, big: URL, small: URL) {
        let draft = folder.appendingPathComponent("draft")
        try "From: Chan Tai Man <chan@example.hk>\nTo: wong@example.org\nSubject: the table\n\nThe table is attached.\n".write(to: draft, atomically: true, encoding: .utf8)
        var generator = SystemRandomNumberGenerator()
        let big = folder.appendingPathComponent("table.bin")
        try Data((0..<300_000).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: big)
        let small = folder.appendingPathComponent("note.bin")
        try Data((0..<20_000).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: small)
        return (draft, big, small)
    }

    @Test("neomutt with set sendmail=\"mailprep sendmail\": an over-limit message is refused with mailprep's words on neomutt's screen; a fitting one is delivered")
    func neomutt() throws {
        for tool in ["/usr/bin/neomutt", "/usr/bin/tmux"] {
            try #require(FileManager.default.isExecutableFile(atPath: tool), "\(tool) is missing: ./scripts/setup --deps installs it")
        }
        let postfix = try Postfix(limit: 10_000_000)
        defer { postfix.stop() }
        let home = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: home) }
        let config = home.appendingPathComponent(".config/mailprep")
        try FileManager.default.createDirectory(at: config, withIntermediateDirectories: true)
        try "send_via: msmtp -C \(try postfix.msmtpConfiguration())\n".write(to: config.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
        let (draft, big, small) = try Self.neomuttFiles(in: home)
        // mutt splits $sendmail on spaces without a shell: mailprep's own flags may follow, the real sender is in the file.
        let sendmail = "\(Tool.binary.path) sendmail --limit 100kB"

        let refused = try Self.neomuttSends(draft: draft, attachment: big, sendmail: sendmail, home: home, until: ["child exited"])
        #expect(refused.contains("mailprep: not sent: the message is "), "\(refused)")
        #expect(refused.contains("over the 100 kB limit of --limit"))
        #expect(refused.contains("child exited 65"))
        usleep(300_000)
        #expect(postfix.delivered.isEmpty)

        let sent = try Self.neomuttSends(draft: draft, attachment: small, sendmail: sendmail, home: home, until: ["Mail sent", "child exited"])
        #expect(!sent.contains("child exited"), "\(sent)")
        let delivered = postfix.waitForDelivery(count: 1)
        #expect(delivered.count == 1 && String(decoding: delivered.first ?? Data(), as: UTF8.self).contains("note.bin"), "the attachment arrived")
    }
}
