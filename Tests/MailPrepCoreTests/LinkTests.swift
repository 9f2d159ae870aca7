import Foundation
import Testing
import MIME
@testable import MailPrepCore

/// `fix` moving attachments to the share: what the message says afterwards, in which charset and encoding,
/// and that the share holds exactly what left.
@Suite("Linking attachments")
struct LinkTests {
    typealias Scratch = FixJobTests.Scratch

    static let base = "https://files.example.org/m/"

    static func job(limit: Int64, strategy: FixStrategy = .link, url: String? = base, share: String, language: Language = .english,
                    dedupe: Bool = false, protect: Bool = false, linkOver: Int64? = nil) -> FixJob {
        let options = ShareOptions(store: ShareStore(root: share), baseURL: url, dedupe: dedupe, protect: protect,
                                   block: LinkBlock(language: language))
        return FixJob(check: MessageCheck(policy: LimitPolicy(userLimitBytes: limit, marginBytes: 0)),
                      options: FixOptions(strategy: strategy, linkOver: linkOver, share: options))
    }

    /// Parses a written message with Python's email package (an independent reader) and returns what it sees.
    static func python(_ path: String, _ script: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", """
            import email, json, sys
            from email import policy
            m = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=policy.default)
            \(script)
            """, path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test("a Big5 body keeps Big5 and base64; the Chinese block is written in Big5; the share holds the decoded file")
    func big5Body() throws {
        let scratch = try Scratch("chinese-big5-rfc2231.eml")
        defer { scratch.remove() }
        let share = scratch.folder.appendingPathComponent("share").path
        let original = try FixJobTests.decodedParts(scratch.input)
        let result = try Self.job(limit: 5_000, share: share, language: .traditionalChinese)
            .run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: false)
        #expect(result.fits)
        let link = try #require(result.plan.links.first?.shared)
        #expect(link.fileName == "財務報表.xls")
        let stored = try Data(contentsOf: URL(fileURLWithPath: ShareStore(root: share).filePath(of: link)))
        #expect(Array(stored) == original["財務報表.xls"])
        let seen = try Self.python(scratch.output, """
            body = m.get_body(('plain',))
            print(body.get_content_charset(), body['Content-Transfer-Encoding'])
            print(body.get_content())
            print(len(m.get_all('X-Mailprep-Link')), [p.get_filename() for p in m.walk() if p.get_filename()])
            """)
        #expect(seen.hasPrefix("big5 base64\n"))
        #expect(seen.contains("附件是本季度的財務報表"), "the original text is still there")
        #expect(seen.contains("這個附件太大，無法以電郵寄出"))
        #expect(seen.contains(Self.base + link.token + "/%E8%B2%A1%E5%8B%99%E5%A0%B1%E8%A1%A8.xls"))
        #expect(seen.contains("SHA-256：" + link.sha256))
        #expect(seen.contains("1 []"), "one header, and the attachment is gone (no placeholder part)")
    }

    @Test("plain and HTML alternatives both get the block; HTML before </body> (at the end without one), with data attributes")
    func alternatives() throws {
        let scratch = try Scratch("gmail-draft.eml")
        defer { scratch.remove() }
        let share = scratch.folder.appendingPathComponent("share").path
        let result = try Self.job(limit: 8_000, share: share)
            .run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: false)
        let link = try #require(result.plan.links.first?.shared)
        let seen = try Self.python(scratch.output, """
            html = m.get_body(('html',)).get_content()
            plain = m.get_body(('plain',)).get_content()
            end = html.lower().rfind('</body')
            block = html.rfind('data-mailprep-links="1"')
            print(block < end if end >= 0 else html.rstrip().endswith('</div>') and block > 0, 'data-mailprep-sha256="%s"' % sys.argv[2] in html)
            print(plain.count(sys.argv[3]), html.count(sys.argv[3]))
            """.replacingOccurrences(of: "sys.argv[2]", with: "'\(link.sha256)'").replacingOccurrences(of: "sys.argv[3]", with: "'\(link.token)'"))
        #expect(seen == "True True\n1 2\n", "plain: the address; HTML: the href and data-mailprep-link")
    }

    @Test("a Chinese block in a 7bit US-ASCII body: the body becomes UTF-8 quoted-printable, and says so")
    func asciiBodyBecomesUTF8() throws {
        let scratch = try Scratch("outlook-mixed-alternative.eml")
        defer { scratch.remove() }
        let share = scratch.folder.appendingPathComponent("share").path
        let message = try MessageReader.parse(path: scratch.input)
        let plain = try #require(message.entities.first { $0.contentType.mimeType == "text/plain" })
        #expect(plain.transferEncoding != .base64)
        _ = try Self.job(limit: 8_000, share: share, language: .traditionalChinese)
            .run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: false)
        let seen = try Self.python(scratch.output, """
            body = m.get_body(('plain',))
            print(body.get_content_charset(), body['Content-Transfer-Encoding'])
            print('下載期限' in body.get_content())
            """)
        #expect(seen == "utf-8 quoted-printable\nTrue\n")
    }

    @Test("a message with no text part gets one, first, holding the block")
    func newTextPart() throws {
        let scratch = try Scratch("uuencode-attachment.eml")
        defer { scratch.remove() }
        let body = "From: a@example.org\r\nTo: b@example.org\r\nSubject: files\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
            + "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=data.bin\r\n"
            + "Content-Transfer-Encoding: base64\r\n\r\n" + Data(repeating: 7, count: 30_000).base64EncodedString(options: .lineLength76Characters)
            + "\r\n--b--\r\n"
        try body.write(toFile: scratch.input, atomically: true, encoding: .utf8)
        let share = scratch.folder.appendingPathComponent("share").path
        let result = try Self.job(limit: 5_000, share: share)
            .run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: false)
        #expect(result.wireBytes == result.predictedWireBytes)
        let seen = try Self.python(scratch.output, """
            print([p.get_content_type() for p in m.walk()])
            print('data.bin (30.0 kB)' in m.get_body(('plain',)).get_content())
            """)
        #expect(seen == "['multipart/mixed', 'text/plain']\nTrue\n")
    }

    @Test("an LF-only message stays LF-only, and its size is predicted exactly")
    func lineFeeds() throws {
        let scratch = try Scratch("lf-only-line-endings.eml")
        defer { scratch.remove() }
        let share = scratch.folder.appendingPathComponent("share").path
        let plan = try Self.job(limit: 1_500, share: share)
            .run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: true)
        let result = try Self.job(limit: 1_500, share: share)
            .run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: false)
        #expect(!plan.plan.links.isEmpty && plan.plan.isExact)
        #expect(plan.predictedWireBytes == result.wireBytes, "the plan measured the message the run wrote")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: scratch.output))
        #expect(!bytes.contains(0x0D))
    }

    @Test("auto compresses first and links only when that is not enough")
    func autoStrategy() throws {
        let scratch = try Scratch("chinese-compressible-attachments.eml")
        defer { scratch.remove() }
        let share = scratch.folder.appendingPathComponent("share").path
        let compressOnly = try Self.job(limit: 80_000, strategy: .auto, share: share)
            .run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: true)
        #expect(compressOnly.plan.links.isEmpty && !compressOnly.plan.compressions.isEmpty)
        let linked = try Self.job(limit: 20_000, strategy: .auto, share: share)
            .run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: false)
        #expect(linked.fits && !linked.plan.links.isEmpty)
        #expect(linked.wireBytes == linked.predictedWireBytes)
        #expect(linked.wireBytes.map { $0 <= 20_000 } == true)
        #expect(!linked.plan.compressions.isEmpty, "what still needs compressing is compressed")
    }

    @Test("--link-over links every attachment larger than the size, needed or not")
    func linkOver() throws {
        let scratch = try Scratch("chinese-compressible-attachments.eml")
        defer { scratch.remove() }
        let share = scratch.folder.appendingPathComponent("share").path
        let message = try MessageReader.parse(path: scratch.input)
        let over = message.entities.filter { MessageLinks.canLink($0, in: message) && $0.decodedBytes > 10_000 }.count
        let result = try Self.job(limit: 100_000_000, share: share, linkOver: 10_000)
            .run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: false)
        #expect(result.plan.links.count == over && over > 0)
    }

    @Test("no share URL, or a loopback one: refused before anything is shared or written")
    func refusedURLs() throws {
        let scratch = try Scratch("gmail-draft.eml")
        defer { scratch.remove() }
        let share = scratch.folder.appendingPathComponent("share").path
        for url in [nil, "http://localhost:8025/", "http://127.0.0.1/m/"] as [String?] {
            #expect(throws: FixError.self) {
                try Self.job(limit: 8_000, url: url, share: share).run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: false)
            }
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.output))
        #expect(ShareStore(root: share).list().isEmpty)
        let plan = try Self.job(limit: 8_000, url: nil, share: share).run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: true)
        #expect(!plan.plan.isExact && !plan.plan.linkAddressKnown, "a plan still shows what would be linked")
    }

    @Test("which share addresses only this machine reaches: judged as addresses, so a name that begins with 127. is a name",
          arguments: [("localhost", true), ("files.localhost", true), ("127.0.0.1", true), ("127.8.9.10", true),
                      ("0.0.0.0", true), ("[::1]", true), ("::1", true), ("[::]", true),
                      ("127.0.0.1.nip.io", false), ("files.example.hk", false), ("10.0.0.5", false), ("[2001:db8::1]", false)])
    func loopbackHosts(host: String, loopback: Bool) {
        #expect(ShareOptions.isLoopback(host) == loopback)
    }

    @Test("when the message cannot be written, the files shared for it are removed again")
    func writeFailureRemovesShares() throws {
        let scratch = try Scratch("gmail-draft.eml")
        defer { scratch.remove() }
        let share = scratch.folder.appendingPathComponent("share").path
        let missingFolder = scratch.folder.appendingPathComponent("no/such/folder/out.eml").path
        #expect(throws: FixError.self) {
            try Self.job(limit: 8_000, share: share).run(input: scratch.input, output: .file(missingFolder), force: false, planOnly: false)
        }
        #expect(ShareStore(root: share).list().isEmpty)
    }

    @Test("--dedupe reuses the entry for the same file; without it, each run shares anew")
    func dedupe() throws {
        let scratch = try Scratch("gmail-draft.eml")
        defer { scratch.remove() }
        let share = scratch.folder.appendingPathComponent("share").path
        func run(_ dedupe: Bool) throws -> String? {
            try Self.job(limit: 8_000, share: share, dedupe: dedupe)
                .run(input: scratch.input, output: .file(scratch.output), force: true, planOnly: false).plan.links.first?.shared?.token
        }
        let first = try run(false)
        let second = try run(false)
        let third = try run(true)
        #expect(first != nil && first != second)
        #expect(third == first || third == second, "an existing entry, not a new one")
        #expect(ShareStore(root: share).list().count == 2)
    }

    @Test("--protect: a password for the sender, only its salted hash in the share, nothing of it in the message")
    func protect() throws {
        let scratch = try Scratch("gmail-draft.eml")
        defer { scratch.remove() }
        let share = scratch.folder.appendingPathComponent("share").path
        let result = try Self.job(limit: 8_000, share: share, protect: true)
            .run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: false)
        let password = try #require(result.password)
        let entry = try #require(ShareStore(root: share).list().first)
        #expect(entry.accepts(password: password))
        #expect(!entry.accepts(password: password + "x"))
        let written = try String(contentsOfFile: scratch.output, encoding: .utf8)
        #expect(!written.contains(password))
        let metadata = try String(contentsOfFile: share + "/" + entry.token + "/" + ShareStore.metadataName, encoding: .utf8)
        #expect(!metadata.contains(password))
    }

    @Test("quoted-printable: lines of at most 76, decoding gives the input back", arguments: [
        "short line\r\n", String(repeating: "長", count: 100) + "\r\n", "trailing space \r\nend=", String(repeating: "a", count: 300),
    ])
    func quotedPrintable(text: String) throws {
        let encoded = QuotedPrintableEncoder.encode(Array(text.utf8))
        let lines = String(decoding: encoded, as: UTF8.self).components(separatedBy: "\r\n")
        #expect(lines.allSatisfy { $0.utf8.count <= 76 })
        #expect(lines.allSatisfy { !$0.hasSuffix(" ") })
        var decoder = QuotedPrintableDecodingSink(MemorySink())
        try decoder.write(encoded)
        #expect(try decoder.finish().bytes == Array(text.utf8))
    }

    @Test("templates of your own replace the built-in wording; a broken one is an error, not a silent default")
    func ownTemplates() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("templates-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "{{#files}}* {{name}} <{{url}}> until {{expires_iso}}\n{{/files}}".write(to: folder.appendingPathComponent("link.txt.mustache"), atomically: true, encoding: .utf8)
        try "<p>zh: {{count}}</p>".write(to: folder.appendingPathComponent("link.zh-Hant.html.mustache"), atomically: true, encoding: .utf8)
        let link = SharedLink(name: "a&b.pdf", url: "https://x.example/T/a%26b.pdf", size: 10, sha256: String(repeating: "0", count: 64),
                              expires: Date(timeIntervalSince1970: 1_798_502_400))
        let english = LinkBlock(language: .english, templatesFolder: folder.path)
        #expect(try english.text([link], protected: false) == "* a&b.pdf <https://x.example/T/a%26b.pdf> until 2026-12-29T00:00:00Z\n",
                "text is not HTML-escaped")
        #expect(try english.html([link], protected: false).contains("a&amp;b.pdf"), "the built-in HTML, escaped")
        let chinese = LinkBlock(language: .traditionalChinese, templatesFolder: folder.path)
        #expect(try chinese.html([link], protected: false) == "<div data-mailprep-links=\"1\"><p>zh: 1</p></div>\n")
        try "Files:\n{{#files}}* {{name}\n".write(to: folder.appendingPathComponent("link.txt.mustache"), atomically: true, encoding: .utf8)
        let broken = LinkBlock(language: .english, templatesFolder: folder.path)
        let error = #expect(throws: LinkBlock.TemplateError.self) { try broken.text([link], protected: false) }
        let where_ = folder.appendingPathComponent("link.txt.mustache").path + ":2:"
        #expect(error?.description.hasPrefix(where_) == true, "file and line: \(error?.description ?? "")")
        #expect(error?.description.contains("ParserError") == false)
    }

    @Test("expiry dates as each language writes them")
    func dates() {
        let date = Date(timeIntervalSince1970: 1_798_502_400)  // 2026-12-29 00:00 UTC
        let utc = TimeZone(identifier: "UTC")!
        #expect(LinkBlock.date(date, language: .english, timeZone: utc) == "29 December 2026")
        #expect(LinkBlock.date(date, language: .traditionalChinese, timeZone: utc) == "2026年12月29日")
    }

    @Test("every built-in Chinese link and removal note is strict Big5: a Big5 body keeps Big5 and every reader shows it",
          arguments: [1, 2])
    func chineseBlocksAreStrictBig5(files: Int) throws {
        let block = LinkBlock(language: .traditionalChinese)
        let links = (1...files).map { number in
            SharedLink(name: "report-\(number).pdf", url: Self.base + "TOKEN/report.pdf", size: 12_345_678,
                       sha256: String(repeating: "a", count: 64), expires: Date(timeIntervalSince1970: 1_798_675_200))
        }
        for text in [try block.text(links, protected: true), try block.html(links, protected: true), try block.removedText(links),
                     try block.removedHTML(links)] {
            let bytes = try #require(Charset.encode(text, label: "big5"), "has a form in Big5")
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("big5-\(UUID().uuidString)")
            try Data(bytes).write(to: folder)
            defer { try? FileManager.default.removeItem(at: folder) }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", "import sys; sys.stdout.buffer.write(open(sys.argv[1], 'rb').read().decode('big5').encode())",
                                 folder.path]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "Python's strict big5 decoder reads it")
            #expect(String(decoding: data, as: UTF8.self) == text)
        }
    }
}

extension LinkTests {
    /// Eight photos of random octets (nothing compresses), of unlike sizes so that largest-first is not message order.
    static func photos(in folder: URL) throws -> (path: String, sizes: [Int]) {
        let sizes = [60_000, 140_000, 90_000, 120_000, 70_000, 110_000, 80_000, 130_000]
        var generator = SystemRandomNumberGenerator()
        var text = "From: chan@example.com.hk\r\nTo: wong@example.org\r\nSubject: photos\r\nMessage-ID: <photos@example.com.hk>\r\n"
            + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n八張相片。\r\n"
        for (index, size) in sizes.enumerated() {
            let bytes = Data((0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) })
            text += "--b\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; filename=\"IMG_000\(index + 1).jpg\"\r\n"
                + "Content-Transfer-Encoding: base64\r\n\r\n" + bytes.base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed]) + "\r\n"
        }
        let path = folder.appendingPathComponent("photos.eml").path
        try (text + "--b--\r\n").write(toFile: path, atomically: true, encoding: .utf8)
        return (path, sizes)
    }

    static func bundleJob(limit: Int64, share: String, strategy: FixStrategy = .auto, linkOver: Int64? = nil) -> FixJob {
        let options = ShareOptions(store: ShareStore(root: share), baseURL: base, block: LinkBlock(language: .english))
        return FixJob(check: MessageCheck(policy: LimitPolicy(userLimitBytes: limit, marginBytes: 0)),
                      options: FixOptions(bundleName: "相片.zip", strategy: strategy, linkOver: linkOver, share: options))
    }

    @Test("--bundle with links: when one link to one photo is not enough, all eight leave as one archive behind one link, in the message's order")
    func bundledLinks() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bundle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let (input, sizes) = try Self.photos(in: folder)
        let original = try FixJobTests.decodedParts(input)
        let share = folder.appendingPathComponent("share").path
        let output = folder.appendingPathComponent("out.eml").path
        // About 1.07 MB of base64: 800 kB needs three photos to leave.
        let plan = try Self.bundleJob(limit: 800_000, share: share).run(input: input, output: .file(output), force: false, planOnly: true)
        let result = try Self.bundleJob(limit: 800_000, share: share).run(input: input, output: .file(output), force: false, planOnly: false)
        #expect(result.fits && result.plan.links.count == 8 && result.plan.links.allSatisfy(\.bundled))
        // Before the archive is made its size is estimated; only its digits in the link block can differ.
        #expect(plan.plan.links.count == 8 && abs(plan.predictedWireBytes - (result.wireBytes ?? 0)) <= 8, "the plan predicts it to a few octets")
        #expect(result.predictedWireBytes == result.wireBytes, "exact once the archive is made")
        let entries = ShareStore(root: share).list()
        #expect(entries.count == 1 && entries[0].fileName == "相片.zip" && entries[0].contentType == "application/zip")
        #expect(Set(result.plan.links.compactMap(\.url)) == [Self.base + entries[0].token + "/%E7%9B%B8%E7%89%87.zip"])
        // Python's zipfile reads the archive: every photo, in the message's order, byte for byte.
        let archive = ShareStore(root: share).filePath(of: entries[0])
        let listing = try Self.python(archive, """
            pass
            import zipfile, hashlib
            z = zipfile.ZipFile(sys.argv[1])
            for info in z.infolist(): print(info.filename, hashlib.sha256(z.read(info)).hexdigest())
            """)
        let expected = sizes.indices.map { index -> String in
            let name = "IMG_000\(index + 1).jpg"
            return "\(name) \(sha256Hex(original[name] ?? []))"
        }
        #expect(listing.split(separator: "\n").map(String.init) == expected)
        let seen = try Self.python(output, """
            print(len(m.get_all('X-Mailprep-Link')), [p.get_filename() for p in m.walk() if p.get_filename()])
            print(m.get_body(('plain',)).get_content())
            """)
        #expect(seen.hasPrefix("1 []\n"), "one link, no attachment left")
        let lines = seen.replacingOccurrences(of: "\r\n", with: "\n")
        #expect(lines.contains("they are in one archive") && lines.contains("  8 files in it:\n    IMG_0001.jpg\n    IMG_0002.jpg\n"), "\(seen)")

        // One photo leaving is enough: that single link is the lesser change.
        let single = try Self.bundleJob(limit: 1_000_000, share: folder.appendingPathComponent("share2").path)
            .run(input: input, output: .file(output), force: true, planOnly: true)
        #expect(single.fits && single.plan.links.count == 1 && !single.plan.links[0].bundled)

        // --link-over: the four photos over 100 kB must leave; with --bundle they leave as one archive, the rest stay.
        let forced = try Self.bundleJob(limit: 1_000_000, share: folder.appendingPathComponent("share3").path, strategy: .link, linkOver: 100_000)
            .run(input: input, output: .file(output), force: true, planOnly: true)
        #expect(forced.plan.links.map(\.filename) == ["IMG_0002.jpg", "IMG_0004.jpg", "IMG_0006.jpg", "IMG_0008.jpg"])
        #expect(forced.fits && forced.plan.links.allSatisfy(\.bundled))
    }
}
