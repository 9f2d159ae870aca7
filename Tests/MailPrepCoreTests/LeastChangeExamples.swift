import Foundation
import Testing
import MIME
@testable import MailPrepCore

/// The messages issue 8 found `fix` getting wrong, as examples of what it must do instead.
@Suite("The least change")
struct LeastChangeExamples {
    typealias Scratch = FixJobTests.Scratch

    /// Bytes that do not compress (as a photo's), the same every run.
    static func noise(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    /// A CSV of `count` octets that deflate shrinks to about a tenth.
    static func csv(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 64)
        var row = 0
        while bytes.count < count {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            row += 1
            bytes += Array("\(row),Kowloon Bay,HKD,\(state >> 54),paid,2026-11-\(10 + row % 20)\r\n".utf8)
        }
        return Array(bytes.prefix(count))
    }

    /// A base64 part with a file name.
    static func part(_ name: String, type: String, _ bytes: [UInt8]) -> String {
        "Content-Type: \(type); name=\"\(name)\"\r\nContent-Disposition: attachment; filename=\"\(name)\"\r\n"
            + "Content-Transfer-Encoding: base64\r\n\r\n" + Data(bytes).base64EncodedString(options: .lineLength76Characters) + "\r\n"
    }

    static func write(_ text: String, to scratch: Scratch) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: scratch.input))
    }

    static let header = "From: mei.chan@example.org\r\nTo: ka.ming@example.net\r\nSubject: files\r\nMIME-Version: 1.0\r\n"

    @Test("both photos of a nested multipart linked: the nested multipart goes too, no internal error")
    func nestedMultipartLosesEveryPart() throws {
        let scratch = try Scratch("gmail-draft.eml")
        defer { scratch.remove() }
        let text = Self.header + "Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n"
            + "--outer\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nTwo photos of the flat.\r\n"
            + "--outer\r\nContent-Type: multipart/mixed; boundary=\"inner\"\r\n\r\n"
            + "--inner\r\n" + Self.part("a.jpg", type: "image/jpeg", Self.noise(40_000, seed: 1))
            + "--inner\r\n" + Self.part("b.jpg", type: "image/jpeg", Self.noise(40_000, seed: 2))
            + "--inner--\r\n--outer--\r\n"
        try Self.write(text, to: scratch)
        let share = scratch.folder.appendingPathComponent("share").path
        let result = try LinkTests.job(limit: 50_000, strategy: .auto, share: share)
            .run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: false)
        #expect(result.fits)
        #expect(result.plan.links.map(\.filename) == ["a.jpg", "b.jpg"])
        #expect(result.wireBytes == result.predictedWireBytes)
        let seen = try LinkTests.python(scratch.output, """
            print([p.get_content_type() for p in m.walk()], m.defects)
            print('a.jpg' in m.get_body(('plain',)).get_content())
            """)
        #expect(seen == "['multipart/mixed', 'text/plain'] []\nTrue\n")
    }

    @Test("four CSVs that compress well and three photos: compress the CSVs and link one photo, not five links")
    func linksRankedBySizeAfterCompression() throws {
        let scratch = try Scratch("gmail-draft.eml")
        defer { scratch.remove() }
        var text = Self.header + "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
            + "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe quarter's ledgers and the photos.\r\n"
        // The CSVs are the larger files as they come, so ranking by original size would link them first.
        for number in 1...4 { text += "--b\r\n" + Self.part("ledger-\(number).csv", type: "text/csv", Self.csv(1_600_000, seed: UInt64(number))) }
        for number in 1...3 { text += "--b\r\n" + Self.part("photo-\(number).jpg", type: "image/jpeg", Self.noise(1_500_000, seed: UInt64(10 + number))) }
        text += "--b--\r\n"
        try Self.write(text, to: scratch)
        let share = scratch.folder.appendingPathComponent("share").path
        let job = LinkTests.job(limit: 6_000_000, strategy: .auto, share: share)
        let plan = try job.run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: true)
        #expect(plan.fits)
        #expect(plan.plan.links.count == 1)
        #expect(plan.plan.links.first?.filename?.hasSuffix(".jpg") == true)
        #expect(plan.plan.compressions.count == 4)
        let result = try job.run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: false)
        #expect(result.fits && result.plan.links.count == 1 && result.plan.compressions.count == 4)
        #expect(result.wireBytes == result.predictedWireBytes)
    }

    @Test("a message that is itself the attachment becomes a text message carrying the link")
    func rootAttachmentIsLinked() throws {
        let scratch = try Scratch("gmail-draft.eml")
        defer { scratch.remove() }
        let pdf = Self.noise(40_000, seed: 7)
        let text = Self.header + "Content-Type: application/pdf; name=\"lease.pdf\"\r\n"
            + "Content-Disposition: attachment; filename=\"lease.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + Data(pdf).base64EncodedString(options: .lineLength76Characters) + "\r\n"
        try Self.write(text, to: scratch)
        let share = scratch.folder.appendingPathComponent("share").path
        let job = LinkTests.job(limit: 20_000, strategy: .auto, share: share)
        let plan = try job.run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: true)
        let result = try job.run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: false)
        #expect(result.fits && plan.fits)
        #expect(plan.predictedWireBytes == result.wireBytes, "the plan measured the message the run wrote")
        let link = try #require(result.plan.links.first?.shared)
        #expect(try Data(contentsOf: URL(fileURLWithPath: ShareStore(root: share).filePath(of: link))) == Data(pdf))
        let seen = try LinkTests.python(scratch.output, """
            print(m.get_content_type(), m['Subject'], m.defects, len(m.get_all('X-Mailprep-Link')))
            print('lease.pdf' in m.get_content(), m.get_filename())
            """)
        #expect(seen == "text/plain files [] 1\nTrue None\n")
    }

    @Test("a message that is itself a CSV attachment is compressed in place: its header keeps From and Subject, its body is the zip")
    func rootAttachmentIsCompressed() throws {
        let scratch = try Scratch("gmail-draft.eml")
        defer { scratch.remove() }
        let csv = Self.csv(200_000, seed: 9)
        let text = Self.header + "Content-Type: text/csv; name=\"ledger.csv\"\r\n"
            + "Content-Disposition: attachment; filename=\"ledger.csv\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + Data(csv).base64EncodedString(options: .lineLength76Characters) + "\r\n"
        try Self.write(text, to: scratch)
        let job = FixJobTests.job(limit: 100_000)
        let plan = try job.run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: true)
        #expect(plan.fits && plan.plan.compressions.map(\.path) == ["1"])
        let result = try job.run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: false)
        #expect(result.fits && result.wireBytes == result.predictedWireBytes)
        let seen = try LinkTests.python(scratch.output, """
            import zipfile, io
            print(m.get_content_type(), m['Subject'], m.get_filename(), m.defects, len(m.get_all('Content-Type')))
            z = zipfile.ZipFile(io.BytesIO(m.get_content()))
            print(z.namelist(), len(z.read('ledger.csv')))
            """)
        #expect(seen == "application/zip files ledger.csv.zip [] 1\n['ledger.csv'] 200000\n")
    }

    /// A message made from `seed`: a text body (sometimes with an HTML alternative), and up to five attachments of
    /// three kinds (CSV that compresses, photo that does not, binary that does not), sometimes in a nested multipart.
    static func generated(seed: UInt64) -> String {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
        var text = Self.header + "Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\n"
        if next(2) == 0 {
            text += "--m\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease see the files.\r\n"
        } else {
            text += "--m\r\nContent-Type: multipart/alternative; boundary=\"a\"\r\n\r\n"
                + "--a\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease see the files.\r\n"
                + "--a\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>Please see the files.</p></body></html>\r\n--a--\r\n"
        }
        var parts: [String] = []
        for number in 0..<next(6) {
            let size = 2_000 + next(60_000)
            switch next(3) {
            case 0: parts.append(Self.part("table-\(number).csv", type: "text/csv", Self.csv(size, seed: state)))
            case 1: parts.append(Self.part("photo-\(number).jpg", type: "image/jpeg", Self.noise(size, seed: state)))
            default: parts.append(Self.part("data-\(number).bin", type: "application/octet-stream", Self.noise(size, seed: state)))
            }
        }
        if parts.count >= 2 && next(2) == 0 {
            let inner = Array(parts.suffix(2))
            parts.removeLast(2)
            parts.append("Content-Type: multipart/mixed; boundary=\"n\"\r\n\r\n" + inner.map { "--n\r\n" + $0 }.joined() + "--n--\r\n")
        }
        return text + parts.map { "--m\r\n" + $0 }.joined() + "--m--\r\n"
    }

    @Test("generated messages and limits: when linking every attachment would fit, auto fits; predicted sizes are written",
          arguments: 1...16)
    func generatedMessages(seed: Int) throws {
        let scratch = try Scratch("gmail-draft.eml")
        defer { scratch.remove() }
        try Self.write(Self.generated(seed: UInt64(seed)), to: scratch)
        let message = try MessageReader.parse(path: scratch.input)
        let share = scratch.folder.appendingPathComponent("share").path
        // A limit somewhere between a bare text message and the whole message.
        // Every fourth: too small for anything to fit.
        let limit = seed % 4 == 0 ? 800 : 3_000 + Int64(seed * 7_919) % max(1, message.wireBytes)
        let everything = try LinkTests.job(limit: limit, strategy: .link, share: share, linkOver: 0)
            .run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: true)
        let auto = LinkTests.job(limit: limit, strategy: .auto, share: share)
        let plan = try auto.run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: true)
        if everything.fits { #expect(plan.fits, "seed \(seed), limit \(limit): a change that fits exists") }
        let result = try auto.run(input: scratch.input, output: .file(scratch.output), force: true, planOnly: false)
        #expect(result.fits == plan.fits || !plan.plan.isExact, "seed \(seed)")
        guard !result.nothingWritten else {
            #expect(!FileManager.default.fileExists(atPath: scratch.output))
            return
        }
        #expect(result.wireBytes == result.predictedWireBytes, "seed \(seed), limit \(limit)")
        let written = try MessageReader.parse(path: scratch.output)
        #expect(written.defects.filter { $0.severity == .warning }.isEmpty, "seed \(seed): \(written.defects)")
        #expect(written.wireBytes == result.wireBytes)
        #expect(written.decodedBytes == result.plan.decodedBytes, "seed \(seed): the decoded size the limits were judged on")
    }

    @Test("--strategy remove: the photo leaves, a note of its name, size and SHA-256 stays in both bodies; nothing shared")
    func removeLeavesANote() throws {
        let scratch = try Scratch("gmail-draft.eml")
        defer { scratch.remove() }
        let photo = Self.noise(40_000, seed: 3)
        let text = Self.header + "Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\n"
            + "--m\r\nContent-Type: multipart/alternative; boundary=\"a\"\r\n\r\n"
            + "--a\r\nContent-Type: text/plain; charset=big5\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        var bytes = Array(text.utf8) + Charset.encode("附上單位相片。", label: "big5")! + Array("\r\n".utf8)
        bytes += Array(("--a\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>Photo</p></body></html>\r\n--a--\r\n"
            + "--m\r\n" + Self.part("flat.jpg", type: "image/jpeg", photo) + "--m--\r\n").utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: scratch.input))
        let share = scratch.folder.appendingPathComponent("share").path
        // No share address is needed to leave a file out.
        let job = LinkTests.job(limit: 20_000, strategy: .remove, url: nil, share: share, language: .traditionalChinese)
        let plan = try job.run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: true)
        let result = try job.run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: false)
        #expect(result.fits && result.plan.removals.map(\.filename) == ["flat.jpg"] && result.plan.links.isEmpty)
        #expect(plan.predictedWireBytes == result.wireBytes && result.wireBytes == result.predictedWireBytes)
        #expect(!FileManager.default.fileExists(atPath: share), "nothing shared")
        var hashing = SHA256Sink(DiscardingSink())
        try hashing.write(photo)
        let digest = hashing.finish().hex
        let seen = try LinkTests.python(scratch.output, """
            plain = m.get_body(('plain',))
            print(plain.get_content_charset(), [p.get_filename() for p in m.walk() if p.get_filename()])
            print('這個附件已移除' in plain.get_content(), '\(digest)' in plain.get_content(), '\(digest)' in m.get_body(('html',)).get_content())
            print(m['X-Mailprep-Removed'].split(';')[1].strip())
            """)
        #expect(seen == "big5 []\nTrue True True\nsha256=\(digest)\n")
        // auto never leaves anything out: without a share address it compresses only, and says links would need one.
        let auto = try LinkTests.job(limit: 20_000, strategy: .auto, url: nil, share: share)
            .run(input: scratch.input, output: .file(scratch.output), force: true, planOnly: true)
        #expect(auto.plan.removals.isEmpty && !auto.fits)
    }
}
