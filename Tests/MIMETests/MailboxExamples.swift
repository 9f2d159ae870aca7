import Foundation
import Testing
@testable import MIME
import CMIMEScan

/// Messages inside mailbox files: an mbox's messages found and read back with their quoting undone, an `.emlx`
/// file's message between its length line and Mail's property list.
@Suite("Mailbox files")
struct MailboxExamples {
    /// A folder of its own for one test's files, removed after.
    final class Folder {
        let path: String

        init() {
            path = NSTemporaryDirectory() + "mailprep-mailbox-\(UUID().uuidString)"
            try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }

        deinit { try? FileManager.default.removeItem(atPath: path) }

        func write(_ name: String, _ bytes: [UInt8]) -> String {
            let file = path + "/" + name
            FileManager.default.createFile(atPath: file, contents: Data(bytes))
            return file
        }
    }

    static func message(_ subject: String, body: String) -> [UInt8] {
        Array("From: mei.chan@icloud.com\nTo: wing@example.hk\nSubject: \(subject)\n\n\(body)".utf8)
    }

    /// What a reader gets for `location`, read in pieces of `chunk` octets.
    static func read(_ location: MessageLocation, chunk: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        try MessageReader.copy(location, chunk: chunk) { out += $0 }
        return out
    }

    @Test("three messages behind From lines: each is found, without its separator or the blank line before the next",
          arguments: ["\n", "\r\n"])
    func mboxMessages(lineBreak: String) throws {
        let folder = Folder()
        let first = Self.message("one", body: "Hello\n"), second = Self.message("two", body: "Bye\n\n"), third = Self.message("three", body: "end\n")
        func native(_ bytes: [UInt8]) -> [UInt8] { lineBreak == "\n" ? bytes : Fixtures.crlf(bytes) }
        let separator = { (n: Int) in Array("From mei.chan@icloud.com Thu Dec  3 10:0\(n):00 2026\(lineBreak)".utf8) }
        let blank = Array(lineBreak.utf8)
        let file = folder.write("Drafts", separator(1) + native(first) + blank + separator(2) + native(second) + blank
                                + separator(3) + native(third) + blank)
        let found = try Mbox.messages(in: file)
        #expect(found.map(\.index) == [1, 2, 3])
        #expect(found.map(\.name) == ["\(file)#1", "\(file)#2", "\(file)#3"])
        #expect(try found.map { try Self.read($0, chunk: 4096) } == [native(first), native(second), native(third)])
        #expect(found[0].start == Int64(separator(1).count), "the message starts after its From line")
    }

    @Test("a body line beginning From that was quoted comes back unquoted: mboxo undoes >From, mboxrd one > of each run",
          arguments: [64, 65, 100, 4096])
    func quoting(chunk: Int) throws {
        let folder = Folder()
        // As written: the writer turned "From here" into ">From here"; ">From there" and ">>From afar" were in the draft.
        let stored = Self.message("quoted", body: String(repeating: "padding line\n", count: 9)
                                  + ">From here\n>>From there\n>>>From afar\nFrom: not quoted\n")
        let file = folder.write("Drafts", Array("From - Thu Dec 03 10:00:00 2026\n".utf8) + stored + [0x0A])
        let mboxo = try #require(try Mbox.messages(in: file, quoting: .mboxo).first)
        let mboxrd = try #require(try Mbox.messages(in: file, quoting: .mboxrd).first)
        let text = { (bytes: [UInt8]) in String(decoding: bytes, as: UTF8.self) }
        let readO = text(try Self.read(mboxo, chunk: chunk)), readRD = text(try Self.read(mboxrd, chunk: chunk))
        #expect(readO.hasSuffix("\nFrom here\n>>From there\n>>>From afar\nFrom: not quoted\n"))
        #expect(readRD.hasSuffix("\nFrom here\n>From there\n>>From afar\nFrom: not quoted\n"))
        #expect(readO.utf8.count == stored.count - 1 && readRD.utf8.count == stored.count - 3)
        // The parsed message counts the unquoted octets, plus a CR for each LF on the wire.
        let message = try MessageReader.parse(mboxo)
        #expect(message.sourceBytes == Int64(readO.utf8.count))
    }

    @Test("a line that begins From but has no date after a sender is body text, not a separator")
    func bodyLineIsNotASeparator() throws {
        let folder = Folder()
        let body = Self.message("prose", body: "We walked home.\n\nFrom here\nFrom the harbour we saw it.\n")
        let file = folder.write("Drafts", Array("From MAILER-DAEMON Thu Dec  3 10:00:00 2026\n".utf8) + body + [0x0A])
        let found = try Mbox.messages(in: file)
        #expect(found.count == 1)
        #expect(try Self.read(found[0], chunk: 4096) == body)
    }

    @Test("mboxcl2: Content-Length frames each message, so a From line inside a body is not a separator, and nothing is unquoted")
    func contentLengthFraming() throws {
        let folder = Folder()
        let body1 = "first\n\nFrom somebody@example.hk Thu Dec  3 10:00:00 2026\n>From kept as is\n"
        let message1 = Array("From: a@example.hk\nContent-Length: \(body1.utf8.count)\n\n\(body1)".utf8)
        let body2 = "second\n"
        let message2 = Array("From: b@example.hk\nContent-Length: \(body2.utf8.count)\n\n\(body2)".utf8)
        let file = folder.write("Sent", Array("From a@example.hk Thu Dec  3 10:00:00 2026\n".utf8) + message1 + [0x0A]
                                + Array("From b@example.hk Thu Dec  3 10:01:00 2026\n".utf8) + message2 + [0x0A])
        let found = try Mbox.messages(in: file)
        #expect(found.count == 2)
        #expect(found.map(\.quoting) == [.none, .none])
        #expect(try found.map { try Self.read($0, chunk: 4096) } == [message1, message2])
    }

    @Test("a file that does not begin with a From line is not an mbox: no messages")
    func notAnMbox() throws {
        let folder = Folder()
        let file = folder.write("letter.txt", Self.message("plain", body: "hi\n"))
        #expect(try Mbox.messages(in: file).isEmpty)
        #expect(!Mbox.looksLikeMbox(Array("From: someone\n".utf8)))
        #expect(Mbox.looksLikeMbox(Array("From - Thu Dec 03 10:00:00 2026\nX-Mozilla-Status: 0001\n".utf8)))
    }

    @Test("an .emlx file: exactly the octets its first line counts, not Mail's property list after them")
    func emlx() throws {
        let folder = Folder()
        let message = Self.message("蘋果郵件草稿", body: "Hello\n")
        let plist = Array("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\"><dict><key>flags</key><integer>8590195717</integer></dict></plist>\n".utf8)
        let file = folder.write("12345.emlx", Array("\(message.count)       \n".utf8) + message + plist)
        let location = try #require(try EMLX.location(of: file))
        #expect(location.format == .emlx && location.length == Int64(message.count))
        #expect(try Self.read(location, chunk: 64) == message)
        #expect(try MessageReader.parse(location).root.header.text("Subject") == "蘋果郵件草稿")
        let notEMLX = folder.write("other.emlx", message)
        #expect(try EMLX.location(of: notEMLX) == nil, "no length line: not an .emlx file")
    }

    @Test("separators across every read and every core's share of the file are each found once",
          arguments: [(7, 50), (16, 97), (64, 1_000), (4096, 64 << 20)])
    func separatorsAcrossEdges(window: Int, pieceBytes: Int64) throws {
        let folder = Folder()
        var bytes: [UInt8] = []
        var expected: [[UInt8]] = []
        for n in 0..<40 {
            let body = String(repeating: "line \(n)\n", count: n % 7) + (n % 5 == 0 ? ">From quoted\n" : "")
            let message = Self.message("m\(n)", body: body)
            bytes += Array("From sender\(n)@example.hk Thu Dec  3 10:00:\(10 + n) 2026\n".utf8) + message + [0x0A]
            expected.append(Array(String(decoding: message, as: UTF8.self).replacingOccurrences(of: "\n>From ", with: "\nFrom ").utf8))
        }
        let file = folder.write("Drafts", bytes)
        let found = try Mbox.messages(in: file, quoting: .mboxo, window: window, pieceBytes: pieceBytes)
        #expect(found.count == 40)
        #expect(try found.map { try Self.read($0, chunk: 64) } == expected)
    }

    @Test("the line-start search finds what a plain search finds, wherever the match lies")
    func lineStartSearch() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let count = Int.random(in: 0..<80, using: &generator)
            let haystack = (0..<count).map { _ in [UInt8(0x0A), 0x3E, 0x46, 0x41][Int.random(in: 0..<4, using: &generator)] }
            for needle in [[UInt8(0x0A), 0x3E], [0x0A, 0x46, 0x41, 0x0A]] {
                let plain = haystack.indices.first { haystack[$0...].starts(with: needle) }
                let found = haystack.withUnsafeBufferPointer { hay in
                    needle.withUnsafeBufferPointer { mime_find(hay.baseAddress, hay.count, $0.baseAddress, $0.count) }
                        .map { hay.baseAddress!.distance(to: $0) }
                }
                #expect(found == plain, "\(haystack) \(needle)")
            }
        }
    }
}
