import Foundation
import Testing

/// `mailprep check imaps://…`: drafts on a real IMAP server (a Dovecot of the test's own), sized from the server's
/// figures without downloading them, or downloaded and counted with `--exact`.
@Suite("Drafts on an IMAP server", .enabled(if: DovecotIMAP.available, "needs root and dovecot-imapd"), .serialized)
struct IMAPCheckTests {
    /// The well-formed samples (the malformed ones are split or ended differently by any two parsers).
    static let samples = ["apple-mail-alternative-related-attachment.eml", "chinese-big5-rfc2231.eml",
                          "chinese-compressible-attachments.eml", "chinese-utf8-rfc2231-continuations.eml",
                          "forwarded-message-rfc822.eml", "gmail-draft.eml", "lf-only-line-endings.eml",
                          "outlook-mixed-alternative.eml", "quoted-printable-edge-cases.eml", "uuencode-attachment.eml"]

    static func objects(_ jsonLines: String) throws -> [[String: Any]] {
        try jsonLines.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    static func parts(_ object: [String: Any]) -> [[String: Any]] { object["parts"] as? [[String: Any]] ?? [] }

    @Test("a Drafts folder checked from the server's figures: every message's size and its parts' encoded sizes equal mailprep's own count of the same file; --exact equals it in every figure")
    func serverFiguresEqualFiles() throws {
        let files = Self.samples.map(Tool.sample)
        let server = try DovecotIMAP(folders: ["Drafts": try files.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }])
        defer { server.stop() }
        let environment = ["MAILPREP_IMAP_PASSWORD": server.password]
        let local = try files.map { try Self.objects(try Tool.run(["check", "--json", $0]).stdout)[0] }

        let run = try Tool.run(["check", "--json", server.url("Drafts")], environment: environment)
        #expect(run.status == 0 || run.status == 1, "\(run.stderr)")
        try Schema.validate(run.stdout)
        let fromServer = try Self.objects(run.stdout)
        #expect(fromServer.map { $0["file"] as? String } == (1...files.count).map { server.url("Drafts") + "/;UID=\($0)" })
        for (remote, file) in zip(fromServer, local) {
            let name = file["file"] as? String ?? "?"
            #expect(remote["wireBytes"] as? Int == file["wireBytes"] as? Int, "\(name)")
            #expect(Self.parts(remote).map { $0["path"] as? String } == Self.parts(file).map { $0["path"] as? String }, "\(name)")
            #expect(Self.parts(remote).map { $0["wireBytes"] as? Int } == Self.parts(file).map { $0["wireBytes"] as? Int }, "\(name)")
            #expect(Self.parts(remote).map { $0["filename"] as? String } == Self.parts(file).map { $0["filename"] as? String }, "\(name)")
            #expect(remote["subject"] as? String == file["subject"] as? String, "\(name)")
            #expect(remote["from"] as? String == file["from"] as? String, "\(name)")
            #expect(remote["recipients"] as? [String] == file["recipients"] as? [String], "\(name)")
            // Decoded sizes are estimates: base64 within 3 octets, anything else at most its encoded size.
            for (a, b) in zip(Self.parts(remote), Self.parts(file)) {
                let estimate = a["decodedBytes"] as? Int ?? -1, counted = b["decodedBytes"] as? Int ?? -1
                if a["transferEncoding"] as? String == "base64" {
                    #expect(abs(estimate - counted) <= 3, "\(name) part \(a["path"] ?? "")")
                } else {
                    #expect(estimate >= counted - 2 * ((a["wireBytes"] as? Int ?? 0) / 60 + 1), "\(name) part \(a["path"] ?? "")")
                }
            }
            let stored = remote["stored"] as? [String: Any]
            #expect(stored?["format"] as? String == "imap" && stored?["sizesFrom"] as? String == "server")
        }

        let exact = try Tool.run(["check", "--json", "--exact", server.url("Drafts")], environment: environment)
        let downloaded = try Self.objects(exact.stdout)
        #expect(downloaded.count == local.count)
        for (remote, file) in zip(downloaded, local) {
            // (sourceBytes are not compared: the server gives the message with CRLF line ends, whatever the file had.)
            for key in ["wireBytes", "decodedBytes", "fits"] {
                #expect("\(remote[key] ?? "nil")" == "\(file[key] ?? "nil")", "\(file["file"] ?? "") \(key)")
            }
            #expect(Self.parts(remote).map { "\($0["path"] ?? ""):\($0["wireBytes"] ?? ""):\($0["decodedBytes"] ?? "")" }
                    == Self.parts(file).map { "\($0["path"] ?? ""):\($0["wireBytes"] ?? ""):\($0["decodedBytes"] ?? "")" })
            #expect((remote["problems"] as? [[String: Any]])?.contains { $0["code"] as? String == "server-size-differs" } == false)
            #expect((remote["stored"] as? [String: Any])?["sizesFrom"] as? String == "message")
        }
        let flags = try FileManager.default.contentsOfDirectory(atPath: server.root.appendingPathComponent("mail/Drafts/cur").path)
            .filter { $0.hasSuffix(".test:2,S") }
        #expect(flags.count == files.count, "EXAMINE and BODY.PEEK: no flag was changed")
    }

    @Test("one message by its UID gets the full report; a folder of drafts gets lines, the summary and where the sizes come from")
    func reportsAndFolderNames() throws {
        let big = Array("From: mei.chan@icloud.com\r\nTo: wing@gmail.com\r\nSubject: 大檔案\r\nMIME-Version: 1.0\r\nContent-Type: application/octet-stream; name=\"大檔案.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n".utf8)
            + Array(String(repeating: String(repeating: "A", count: 76) + "\r\n", count: 300_000).utf8)
        let small = try Data(contentsOf: URL(fileURLWithPath: Tool.sample("gmail-draft.eml")))
        // "草稿" as Dovecot keeps it on disk: modified UTF-7 (RFC 3501 section 5.1.3).
        let server = try DovecotIMAP(folders: ["&g0l6Pw-": [small, Data(big)]])
        defer { server.stop() }
        let environment = ["MAILPREP_IMAP_PASSWORD": server.password]
        let folder = try Tool.run(["check", server.url("%E8%8D%89%E7%A8%BF")], environment: environment)
        #expect(folder.status == 1, "\(folder.stderr)")
        #expect(folder.stdout.contains("OVER   23.4 MB / 20.0 MB     \(server.url("草稿"))/;UID=2"), "the folder's name as itself, not percent-encoded")
        #expect(folder.stdout.contains("2 messages: 1 fit, 1 over the limit"))
        #expect(folder.stdout.hasSuffix("sizes are the IMAP server's (RFC822.SIZE; decoded sizes estimated from BODYSTRUCTURE); --exact downloads each message and counts it\n"))
        let one = try Tool.run(["check", "--lang", "zh-Hant", server.url("%E8%8D%89%E7%A8%BF") + "/;UID=2"], environment: environment)
        #expect(one.status == 1)
        #expect(one.stdout.contains("大檔案.bin") && one.stdout.contains("超出"))
    }

    @Test("the password from a netrc file; TLS verified against --ca-file and refused without it; wrong password, missing folder and unsafe addresses each a one-line error and their status")
    func credentialsAndErrors() throws {
        let server = try DovecotIMAP(folders: ["Drafts": [try Data(contentsOf: URL(fileURLWithPath: Tool.sample("gmail-draft.eml")))]])
        defer { server.stop() }
        let netrc = server.root.appendingPathComponent("netrc")
        try "machine 127.0.0.1 login \(server.user) password \(server.password)\n".write(to: netrc, atomically: true, encoding: .utf8)
        let viaNetrc = try Tool.run(["check", "--netrc-file", netrc.path, "--ca-file", server.certificate, server.url("Drafts", secure: true)])
        #expect(viaNetrc.status == 0, "\(viaNetrc.stderr)")
        #expect(viaNetrc.stdout.hasPrefix("fits   42.1 kB / 20.0 MB     \(server.url("Drafts", secure: true))/;UID=1\n"))

        let untrusted = try Tool.run(["check", "--netrc-file", netrc.path, server.url("Drafts", secure: true)])
        #expect(untrusted.status == 76)
        #expect(untrusted.stderr.hasPrefix("mailprep: \(server.url("Drafts", secure: true)): TLS failed ("))
        #expect(untrusted.stderr.split(separator: "\n").count == 1)

        let wrong = try Tool.run(["check", server.url("Drafts")], environment: ["MAILPREP_IMAP_PASSWORD": "not-it"])
        #expect(wrong.status == 77 && wrong.stderr.contains("the server refused the login"))
        #expect(!wrong.stderr.contains("not-it"))

        let missing = try Tool.run(["check", server.url("Nowhere")], environment: ["MAILPREP_IMAP_PASSWORD": server.password])
        #expect(missing.status == 66 && missing.stderr.contains("the server said: M1 NO"))

        let inURL = try Tool.run(["check", "imaps://mei:secret@imap.mail.me.com/Drafts"])
        #expect(inURL.status == 64 && inURL.stderr.contains("no password in the address"))
        let plain = try Tool.run(["check", "imap://mei@imap.example.hk/Drafts"])
        #expect(plain.status == 64 && plain.stderr.contains("would send your password to imap.example.hk unencrypted"))
    }

    @Test("no folder named: the one the server marks as drafts (RFC 6154), here 草稿; a UID it lacks, an empty folder, a bad UID and a name that only looks like this machine's are each an error")
    func draftsFolderAndEdges() throws {
        let draft = try Data(contentsOf: URL(fileURLWithPath: Tool.sample("gmail-draft.eml")))
        let server = try DovecotIMAP(folders: ["&g0l6Pw-": [draft], "Empty": []], drafts: "草稿")
        defer { server.stop() }
        let environment = ["MAILPREP_IMAP_PASSWORD": server.password]
        let root = server.url("")
        let found = try Tool.run(["check", "--json", root], environment: environment)
        #expect(found.status == 0, "\(found.stderr)")
        #expect(try Self.objects(found.stdout).map { $0["file"] as? String } == [server.url("草稿") + "/;UID=1"])

        let noUID = try Tool.run(["check", server.url("%E8%8D%89%E7%A8%BF") + "/;UID=99"], environment: environment)
        #expect(noUID.status == 66 && noUID.stderr.contains("no message with UID 99 in this folder"))
        let empty = try Tool.run(["check", server.url("Empty")], environment: environment)
        #expect(empty.status == 66 && empty.stderr == "mailprep: \(server.url("Empty")): no messages in this folder\n")
        let badUID = try Tool.run(["check", server.url("Empty") + "/;UID=12x"])
        #expect(badUID.status == 64 && badUID.stderr.contains(";UID= needs a message's UID"))
        let lookalike = try Tool.run(["check", "imap://mei@127.0.0.1.example.hk/Drafts"])
        #expect(lookalike.status == 64 && lookalike.stderr.contains("unencrypted"), "a name, not this machine's address")
        let masked = try Tool.run(["check", "imaps://mei:hunter2@imap.example.hk/Drafts"])
        #expect(masked.status == 64 && !masked.stderr.contains("hunter2") && masked.stderr.contains("imaps://mei:***@imap.example.hk/Drafts"))
    }

    @Test("fix …/;UID=n downloads the draft, fixes it and writes FOLDER-UIDn.fixed.eml here, leaving the server's copy alone; a folder or --in-place is refused")
    func fixOneMessage() throws {
        let big = Array("From: mei.chan@icloud.com\r\nTo: wing@gmail.com\r\nSubject: 報價\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee the price list.\r\n--b\r\nContent-Type: text/csv; name=\"prices.csv\"\r\nContent-Disposition: attachment; filename=\"prices.csv\"\r\n\r\n".utf8)
            + Array(String(repeating: "item,price,HKD\r\n", count: 1_500_000).utf8) + Array("--b--\r\n".utf8)
        let server = try DovecotIMAP(folders: ["Drafts": [Data(big)]])
        defer { server.stop() }
        let environment = ["MAILPREP_IMAP_PASSWORD": server.password]
        let here = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: here) }
        let output = here.appendingPathComponent("Drafts-UID1.fixed.eml").path
        let fixed = try Tool.run(["fix", "-o", output, server.url("Drafts") + "/;UID=1"], environment: environment)
        #expect(fixed.status == 0, "\(fixed.stderr)")
        let check = try Tool.run(["check", "--json", output])
        #expect(check.status == 0 && check.stdout.contains("prices.csv.zip"))
        let still = try Tool.run(["check", "--json", server.url("Drafts") + "/;UID=1"], environment: environment)
        #expect(still.status == 1, "the draft on the server is as it was")
        let folder = try Tool.run(["fix", server.url("Drafts")], environment: environment)
        #expect(folder.status == 64 && folder.stderr.contains("a folder; fix one message of it"))
        let inPlace = try Tool.run(["fix", "--in-place", server.url("Drafts") + "/;UID=1"], environment: environment)
        #expect(inPlace.status == 64)
    }
}
