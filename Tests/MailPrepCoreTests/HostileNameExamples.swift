import Foundation
import Testing
import MIME
@testable import MailPrepCore

/// Attachment names written by an attacker: they must not escape an archive, forge lines in a link block, or
/// disguise a file, whatever `fix` does with them.
@Suite("Hostile names")
struct HostileNameExamples {
    typealias Examples = LeastChangeExamples

    /// Names as RFC 2231 `filename*` carries them (percent-encoded UTF-8), with what each must become.
    static let names: [(encoded: String, safe: String)] = [
        ("..%2F..%2F..%2F..%2Ftmp%2Fx.csv", "x.csv"),
        ("%2Fabs.csv", "abs.csv"),
        ("..%5C..%5Cwin.csv", "win.csv"),
        ("invoice%E2%80%AEvsc.exe", "invoicevsc.exe"),
        ("ledger.csv%0D%0A- https%3A%2F%2Fevil.example%2Fphish%2Finvoice.pdf", "invoice.pdf"),
        ("notes%0D%0A%E9%A0%85%E7%9B%AE.csv", "notes項目.csv"),
    ]

    static func message(compressible: Bool) -> String {
        var text = Examples.header + "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
            + "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe files.\r\n"
        for (number, name) in names.enumerated() {
            let bytes = compressible ? Examples.csv(30_000, seed: UInt64(number)) : Examples.noise(30_000, seed: UInt64(number))
            text += "--b\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; filename*=UTF-8''\(name.encoded)\r\n"
                + "Content-Transfer-Encoding: base64\r\n\r\n" + Data(bytes).base64EncodedString(options: .lineLength76Characters) + "\r\n"
        }
        return text + "--b--\r\n"
    }

    @Test("archive members get the safe names, in every format and in a bundle",
          arguments: [(ArchiveFormat.zip, false), (.tarGzip, false), (.sevenZip, false), (.zip, true)])
    func archiveMembers(format: ArchiveFormat, bundle: Bool) throws {
        let scratch = try LeastChangeExamples.Scratch("gmail-draft.eml")
        defer { scratch.remove() }
        try Examples.write(Self.message(compressible: true), to: scratch)
        let job = FixJob(check: MessageCheck(policy: LimitPolicy(userLimitBytes: 1_000, marginBytes: 0)),
                         options: FixOptions(format: format, bundleName: bundle ? "files.zip" : nil))
        let result = try job.run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: false)
        #expect(result.plan.compressions.count == Self.names.count)
        // Every archive in the written message, listed by libarchive (bsdtar's reader) through mailprep's own decoder.
        let written = try MessageReader.parse(path: scratch.output)
        let source = try SourceFile(path: scratch.output)
        var members: [String] = []
        for leaf in written.leaves where leaf.filename?.hasSuffix("." + format.fileExtension) == true || leaf.filename == "files.zip" {
            let path = scratch.folder.appendingPathComponent("archive-\(members.count).\(format.fileExtension)").path
            var memory = MemorySink()
            try source.decodeBody(of: leaf, into: &memory)
            try Data(memory.bytes).write(to: URL(fileURLWithPath: path))
            members += try ArchiveReader.files(at: path).map(\.name)
        }
        #expect(members.sorted() == Self.names.map(\.safe).sorted())
        #expect(members.allSatisfy { !$0.contains("/") && !$0.contains("\\") && !$0.hasPrefix(".") && !$0.contains("\u{202E}") })
        // The parts that replace them are named safely too.
        #expect(written.leaves.compactMap(\.filename).allSatisfy { !$0.contains("/") && !$0.contains("\r") && !$0.contains("\u{202E}") })
    }

    @Test("a name with CR LF cannot forge a line in the link block, and the block shows the name the share stores")
    func linkBlock() throws {
        let scratch = try LeastChangeExamples.Scratch("gmail-draft.eml")
        defer { scratch.remove() }
        try Examples.write(Self.message(compressible: false), to: scratch)
        let share = scratch.folder.appendingPathComponent("share").path
        let result = try LinkTests.job(limit: 10_000, strategy: .link, share: share)
            .run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: false)
        #expect(result.fits && result.plan.links.count == Self.names.count)
        let stored = Set(try ShareStore(root: share).list().map(\.fileName))
        #expect(stored == Set(Self.names.map(\.safe)))
        let body = try LinkTests.python(scratch.output, "print(m.get_body(('plain',)).get_content())")
        // Only the share's addresses are in the text: no line carries the attacker's.
        #expect(!body.contains("evil.example"))
        #expect(!body.contains("\u{202E}"))
        for name in Self.names.map(\.safe) { #expect(body.contains(name), "\(name)") }
    }
}
