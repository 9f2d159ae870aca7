import Foundation
import Testing

/// `mailprep check` and `fix` on drafts where mail programs keep them: Thunderbird's mbox, Apple Mail's `.emlx`
/// files in Mail's own folder layout, MH folders.
@Suite("Drafts in mailboxes")
struct MailboxCheckTests {
    /// Writes `Drafts` (an mbox, by Python's `mailbox` module, as Thunderbird's local Drafts) and each message again as
    /// `N.eml`: the second carries a 15 MB attachment, every one a body line beginning "From ".
    static func pythonMbox(in folder: URL) throws {
        let script = """
            import mailbox, email.message, email.policy, random, sys
            folder = sys.argv[1]
            box = mailbox.mbox(folder + '/Drafts')
            for n in range(1, 4):
                m = email.message.EmailMessage(policy=email.policy.SMTP.clone(linesep='\\n'))
                m['From'] = 'mei.chan@icloud.com'
                m['To'] = 'wing@gmail.com'
                m['Subject'] = '草稿 %d' % n
                m.set_content('Dear Wing,\\n\\nFrom here on the lease is yours.\\n')
                if n == 2:
                    data = random.Random(7).randbytes(15_000_000)
                    m.add_attachment(data, maintype='application', subtype='pdf', filename='租約.pdf')
                raw = m.as_bytes()
                open('%s/%d.eml' % (folder, n), 'wb').write(raw)
                box.add(raw)
            box.flush()
            """
        let run = try Tool.exec(["/usr/bin/python3", "-c", script, folder.path], environment: ProcessInfo.processInfo.environment)
        try #require(run.status == 0, "\(run.stderr)")
    }

    static func objects(_ jsonLines: String) throws -> [[String: Any]] {
        try jsonLines.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    @Test("an mbox made by Python's mailbox: each message is FILE#N and measures exactly as the same message as a file")
    func mboxEqualsFiles() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.pythonMbox(in: folder)
        let mbox = folder.appendingPathComponent("Drafts").path
        let run = try Tool.run(["check", "--json", mbox])
        #expect(run.status == 1, "the second is over iCloud's 20 MB")
        try Schema.validate(run.stdout)
        let fromMbox = try Self.objects(run.stdout)
        #expect(fromMbox.map { $0["file"] as? String } == ["\(mbox)#1", "\(mbox)#2", "\(mbox)#3"])
        let files = try (1...3).map { try Self.objects(try Tool.run(["check", "--json", folder.appendingPathComponent("\($0).eml").path]).stdout)[0] }
        for (inMbox, file) in zip(fromMbox, files) {
            #expect(inMbox["wireBytes"] as? Int == file["wireBytes"] as? Int)
            #expect(inMbox["decodedBytes"] as? Int == file["decodedBytes"] as? Int)
            #expect(inMbox["sourceBytes"] as? Int == file["sourceBytes"] as? Int)
            #expect((inMbox["parts"] as? [[String: Any]])?.map { $0["wireBytes"] as? Int } == (file["parts"] as? [[String: Any]])?.map { $0["wireBytes"] as? Int })
            #expect(inMbox["subject"] as? String == file["subject"] as? String)
        }
        let stored = try #require(fromMbox[1]["stored"] as? [String: Any])
        #expect(stored["format"] as? String == "mbox" && stored["index"] as? Int == 2 && stored["quoting"] as? String == "mboxo")
        // The offset is where the message's first header line is in the file.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: mbox))
        let offset = try #require(stored["offset"] as? Int)
        #expect(bytes[offset..<(offset + 5)].elementsEqual(Array("From:".utf8)))
        #expect(bytes[..<offset].suffix(1) == Data([0x0A]) && bytes[..<(offset - 1)].suffix(500).contains(0x0A), "after the separator line")

        let one = try Tool.run(["check", mbox + "#2"])
        #expect(one.status == 1 && one.stdout.contains("租約.pdf") && one.stdout.hasPrefix("\(mbox)#2 — 草稿 2"), "one message: the full report")
        let missing = try Tool.run(["check", mbox + "#9"])
        #expect(missing.status == 66 && missing.stderr == "mailprep: \(mbox)#9: no such message; the mbox holds 3 messages\n")
        let chinese = try Tool.run(["check", "--lang", "zh-Hant", mbox + "#9"])
        #expect(chinese.stderr.contains("此 mbox 只有 3 封"))
    }

    @Test("a folder summary says how many are over which limit, and the largest")
    func summaryByLimit() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.pythonMbox(in: folder)
        let run = try Tool.run(["check", folder.appendingPathComponent("Drafts").path])
        #expect(run.stdout.contains("3 messages: 2 fit, 1 over the limit, 0 unreadable or not messages\n  1 over sender mei.chan@icloud.com: iCloud Mail sending limit, 20.0 MB\nlargest:\n"))
        let chinese = try Tool.run(["check", "--lang", "zh-Hant", folder.appendingPathComponent("Drafts").path])
        #expect(chinese.stdout.contains("  1 封超出 寄件人 mei.chan@icloud.com"))
    }

    @Test("fix Drafts#2 writes Drafts-2.fixed.eml beside the mbox and never touches the mbox; --in-place and a whole mbox are refused")
    func fixBesideTheMbox() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.pythonMbox(in: folder)
        let mbox = folder.appendingPathComponent("Drafts").path
        let before = try Data(contentsOf: URL(fileURLWithPath: mbox))
        let share = folder.appendingPathComponent("share").path
        let fixed = try Tool.run(["fix", "--share", share, "--share-url", "https://files.example.hk/m/", mbox + "#2"])
        #expect(fixed.status == 0, "\(fixed.stderr)")
        let output = folder.appendingPathComponent("Drafts-2.fixed.eml").path
        let check = try Tool.run(["check", "--json", output])
        #expect(check.status == 0)
        #expect(try Self.objects(check.stdout)[0]["subject"] as? String == "草稿 2")
        #expect(try Data(contentsOf: URL(fileURLWithPath: mbox)) == before)
        let inPlace = try Tool.run(["fix", "--in-place", mbox + "#2"])
        #expect(inPlace.status == 64 && inPlace.stderr.contains("is inside a mailbox, which mailprep never rewrites"))
        let whole = try Tool.run(["fix", mbox])
        #expect(whole.status == 64 && whole.stderr.contains("an mbox of 3 messages; fix one at a time: \(mbox)#1 to \(mbox)#3"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: mbox)) == before)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty)
    }

    @Test("a walk of a home folder finds Apple Mail's .emlx in Mail's layout, Thunderbird's Drafts mbox and an MH folder in number order, and skips the rest")
    func walkFindsEveryFormat() throws {
        let home = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: home) }
        let fm = FileManager.default
        func write(_ path: String, _ text: String) throws {
            let url = home.appendingPathComponent(path)
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        let draft = { (subject: String) in "From: mei.chan@icloud.com\nTo: wing@example.hk\nSubject: \(subject)\n\nHello\n" }
        func emlx(_ message: String) -> String {
            "\(message.utf8.count)\n\(message)<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\"><dict/></plist>\n"
        }
        let apple = "Library/Mail/V10/8A1F3C2E-0B7D-4C55-9E61-3D2B1A0F9C77/Drafts.mbox/5E0C9A4B-2D31-47F8-8B6E-1C9F0A2D3E4B/Data/Messages/"
        try write(apple + "101.emlx", emlx(draft("蘋果 1")))
        try write(apple + "102.partial.emlx", emlx(draft("蘋果 2")))
        try write(apple + "../Info.plist", "<?xml version=\"1.0\"?><plist/>")
        let thunderbird = ".thunderbird/abcd1234.default-release/Mail/Local Folders/"
        try write("Thunderbird/Local Folders/Drafts", "From - Thu Dec 03 10:00:00 2026\nX-Mozilla-Status: 0001\n" + draft("雷鳥") + "\n")
        try write("Thunderbird/Local Folders/Drafts.msf", "// <!-- <mdb:mork:z v=\"1.4\"/> -->\n")
        try write(thunderbird + "Drafts", "From - Thu Dec 03 10:00:00 2026\n" + draft("hidden") + "\n")
        for number in [1, 2, 10] { try write("Mail/drafts/\(number)", draft("MH \(number)")) }
        try write("Mail/drafts/.mh_sequences", "cur: 10\n")
        try write("Documents/Makefile", "CC:=cc\n")
        try write("Documents/notes", "shopping: rice, tea\n")
        try write("Documents/photo.jpg", "\u{FF}\u{D8}\u{FF}")

        let run = try Tool.run(["check", "--json", home.path])
        try Schema.validate(run.stdout)
        let found = try Self.objects(run.stdout)
        let root = home.path + "/"
        #expect(found.map { ($0["file"] as? String)?.replacingOccurrences(of: root, with: "") } == [
            apple + "101.emlx", apple + "102.partial.emlx",
            "Mail/drafts/1", "Mail/drafts/2", "Mail/drafts/10",
            "Thunderbird/Local Folders/Drafts#1",
        ])
        #expect(found.map { $0["subject"] as? String } == ["蘋果 1", "蘋果 2", "MH 1", "MH 2", "MH 10", "雷鳥"])
        #expect(found.map { ($0["stored"] as? [String: Any])?["format"] as? String } == ["emlx", "emlx", nil, nil, nil, "mbox"])
        let partial = try #require(found[1]["problems"] as? [[String: Any]])
        #expect(partial.map { $0["code"] as? String }.contains("partial-emlx"))
        let fixPartial = try Tool.run(["fix", home.appendingPathComponent(apple + "102.partial.emlx").path])
        #expect(fixPartial.status == 65 && fixPartial.stderr.contains("Apple Mail keeps this message's attachments apart"))
    }

    @Test("Thunderbird's deleted drafts (X-Mozilla-Status 0x0008) stay out of the listing, numbering unchanged; FILE#N still checks one and says so")
    func thunderbirdExpunged() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let draft = { (status: String, subject: String, body: String) in
            "From - Thu Dec 03 10:00:00 2026\nX-Mozilla-Status: \(status)\nX-Mozilla-Status2: 00000000\nFrom: mei.chan@icloud.com\nTo: wing@gmail.com\nSubject: \(subject)\n\n\(body)\n\n"
        }
        let mbox = folder.appendingPathComponent("Drafts").path
        try (draft("0009", "old autosave", String(repeating: "x", count: 30_000)) + draft("0001", "live", "hello")).write(toFile: mbox, atomically: true, encoding: .utf8)
        let listing = try Tool.run(["check", "--json", "--limit", "20kB", folder.path])
        #expect(listing.status == 0, "the deleted copy is over, but it is not a draft any more")
        #expect(try Self.objects(listing.stdout).map { $0["file"] as? String } == [mbox + "#2"])
        let deleted = try Tool.run(["check", "--json", "--limit", "20kB", mbox + "#1"])
        #expect(deleted.status == 1)
        #expect((try Self.objects(deleted.stdout)[0]["problems"] as? [[String: Any]])?.contains { $0["code"] as? String == "expunged" } == true)
    }

    @Test("a path that is a pipe is read as one message, every octet of it; a .eml that kept its From line is a file of its own")
    func pipesAndSavedSeparators() throws {
        let sample = try Data(contentsOf: URL(fileURLWithPath: Tool.sample("gmail-draft.eml")))
        let expected = try Self.objects(try Tool.run(["check", "--json", Tool.sample("gmail-draft.eml")]).stdout)[0]
        let piped = try Tool.run(["check", "--json", "/dev/stdin"], stdin: sample)
        #expect(try Self.objects(piped.stdout)[0]["wireBytes"] as? Int == expected["wireBytes"] as? Int, "\(piped.stderr)")

        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let saved = folder.appendingPathComponent("saved.eml")
        try (Data("From mei.chan@icloud.com Thu Dec  3 10:00:00 2026\n".utf8) + sample).write(to: saved)
        let one = try Self.objects(try Tool.run(["check", "--json", saved.path]).stdout)[0]
        let walked = try Self.objects(try Tool.run(["check", "--json", folder.path]).stdout)
        #expect(one["file"] as? String == saved.path && one["wireBytes"] as? Int == expected["wireBytes"] as? Int)
        #expect(walked.map { $0["file"] as? String } == [saved.path] && walked.first?["wireBytes"] as? Int == expected["wireBytes"] as? Int)
        let inPlace = try Tool.run(["fix", "--in-place", "--limit", "30kB", "--share-url", "https://files.example.hk/m/",
                                    "--share", folder.appendingPathComponent("share").path, saved.path])
        #expect(inPlace.status == 0, "\(inPlace.stderr)")
        #expect(FileManager.default.fileExists(atPath: saved.path + ".orig"))
    }

    @Test("an mbox or MH message the walk cannot read is reported as unreadable, not left out")
    func unreadableInWalk() throws {
        guard geteuid() == 0 else { return }
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let draft = "From: mei.chan@icloud.com\nTo: wing@gmail.com\nSubject: MH\n\nhello\n"
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("inbox"), withIntermediateDirectories: true)
        try draft.write(to: folder.appendingPathComponent("inbox/1"), atomically: true, encoding: .utf8)
        try draft.write(to: folder.appendingPathComponent("inbox/2"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: folder.appendingPathComponent("inbox/2").path)
        let run = try Tool.run(["check", folder.path], prefix: ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"])
        #expect(run.status == 66)
        #expect(run.stderr.contains("inbox/2: permission denied"))
        #expect(run.stdout.contains("2 messages: 1 fit, 0 over the limit, 1 unreadable or not messages"))
    }
}
