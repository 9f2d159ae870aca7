import Foundation
import Testing
import MIME
@testable import MailPrepCore

/// `mailprep fix` as a library: the least change, sizes predicted exactly, archives that give back the originals.
@Suite("Fixing messages")
struct FixJobTests {
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Samples")

    /// A scratch folder with a copy of a sample in it.
    struct Scratch {
        let folder: URL
        let input: String

        init(_ sample: String) throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("fix-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            input = folder.appendingPathComponent(sample).path
            try FileManager.default.copyItem(atPath: FixJobTests.samples.appendingPathComponent(sample).path, toPath: input)
        }

        var output: String { folder.appendingPathComponent("out.eml").path }

        func remove() { try? FileManager.default.removeItem(at: folder) }

        /// Files in the folder other than the input and `keep` (leftover temporary files would show here).
        func others(keeping keep: [String] = []) throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: folder.path)
                .filter { $0 != URL(fileURLWithPath: input).lastPathComponent && !keep.contains($0) }
        }
    }

    static func job(limit: Int64, format: ArchiveFormat = .zip, level: Int? = nil) -> FixJob {
        FixJob(check: MessageCheck(policy: LimitPolicy(userLimitBytes: limit)), options: FixOptions(format: format, level: level))
    }

    /// The decoded bytes of every leaf of the message at `path`, by filename.
    static func decodedParts(_ path: String) throws -> [String: [UInt8]] {
        let message = try MessageReader.parse(path: path)
        let source = try SourceFile(path: path)
        var parts: [String: [UInt8]] = [:]
        for leaf in message.leaves {
            var memory = MemorySink()
            try source.decodeBody(of: leaf, into: &memory)
            parts[leaf.filename ?? leaf.path] = memory.bytes
        }
        return parts
    }

    @Test("the least change: only the CSV is compressed, the message fits, and the written size is the predicted size")
    func leastChange() throws {
        let scratch = try Scratch("chinese-compressible-attachments.eml")
        defer { scratch.remove() }
        let original = try Data(contentsOf: URL(fileURLWithPath: scratch.input))
        // 105,374 bytes now; compressing the CSV alone saves about 50 kB.
        let result = try Self.job(limit: 80_000).run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: false)
        #expect(result.fits)
        #expect(result.plan.compressions.map(\.filename) == ["客戶名單.csv"])
        #expect(result.writtenBytes == Int64(try Data(contentsOf: URL(fileURLWithPath: scratch.output)).count))
        #expect(result.wireBytes == result.predictedWireBytes)
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.input)) == original, "the input is never modified")
        #expect(try scratch.others(keeping: ["out.eml"]).isEmpty, "no temporary files left behind")
        let written = try MessageReader.parse(path: scratch.output)
        #expect(written.defects.filter { $0.severity == .warning }.isEmpty)
        #expect(written.leaves.map { $0.filename ?? "-" } == ["-", "客戶名單.csv.zip", "sync.log", "map.jpg"])
    }

    @Test("archives read back with libarchive give the original files, name and bytes", arguments: ArchiveFormat.allCases)
    func archivesGiveBackOriginals(format: ArchiveFormat) throws {
        let scratch = try Scratch("chinese-compressible-attachments.eml")
        defer { scratch.remove() }
        let originals = try Self.decodedParts(scratch.input)
        let result = try Self.job(limit: 1, format: format).run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: false)
        #expect(Set(result.plan.compressions.compactMap(\.filename)) == ["客戶名單.csv", "sync.log"])
        for (name, archive) in try Self.decodedParts(scratch.output) where name.hasSuffix("." + format.fileExtension) {
            let path = scratch.folder.appendingPathComponent("read-back").path
            try Data(archive).write(to: URL(fileURLWithPath: path))
            let files = try ArchiveReader.files(at: path)
            #expect(files.count == 1)
            let original = String(name.dropLast(format.fileExtension.count + 1))
            #expect(files.first?.name == original)
            #expect(files.first?.data == originals[original], "\(original) in \(format.rawValue)")
            #expect(files.first?.modified == 1_795_341_900, "the message's Date")
            if format == .zip && !original.utf8.allSatisfy({ $0 < 0x80 }) {
                // General purpose flag bit 11: the name is UTF-8 (what Windows and macOS need for Chinese names).
                #expect(archive.count > 8 && archive[7] & 0x08 != 0)
            }
        }
    }

    @Test("prediction equals output for every sample it can change; one it cannot change is not written", arguments: [
        "apple-mail-alternative-related-attachment.eml", "outlook-mixed-alternative.eml", "gmail-draft.eml",
        "chinese-big5-rfc2231.eml", "chinese-utf8-rfc2231-continuations.eml", "lf-only-line-endings.eml",
        "forwarded-message-rfc822.eml", "boundary-prefix-of-another.eml", "uuencode-attachment.eml",
        "chinese-compressible-attachments.eml", "quoted-printable-edge-cases.eml",
    ])
    func predictionIsOutput(sample: String) throws {
        let scratch = try Scratch(sample)
        defer { scratch.remove() }
        let result = try Self.job(limit: 1, level: 1).run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: false)
        if result.plan.compressions.isEmpty {
            // Nothing to compress: an unchanged copy would only look like a fix.
            #expect(result.nothingWritten && result.output == nil && result.writtenBytes == nil)
            #expect(!FileManager.default.fileExists(atPath: scratch.output))
            return
        }
        #expect(!result.nothingWritten)
        let data = try Data(contentsOf: URL(fileURLWithPath: scratch.output))
        #expect(result.writtenBytes == Int64(data.count))
        #expect(result.wireBytes == result.predictedWireBytes)
        let before = try MessageReader.parse(path: scratch.input)
        let after = MessageParser.parse(Array(data))
        #expect(after.leaves.count == before.leaves.count)
        #expect(Set(after.defects.map(\.code)).isSubset(of: Set(before.defects.map(\.code))), "no new defects")
    }

    @Test("the estimate is within 10 percentage points of the real result")
    func estimateIsClose() throws {
        let scratch = try Scratch("chinese-compressible-attachments.eml")
        defer { scratch.remove() }
        let job = Self.job(limit: 1, level: 6)
        let plan = try job.run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: true).plan
        let real = try job.run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: false).plan
        for (estimated, actual) in zip(plan.compressions, real.compressions) {
            #expect(abs(estimated.gain - actual.gain) < 0.10, "\(actual.filename ?? ""): estimated \(estimated.gain), real \(actual.gain)")
        }
        #expect(!plan.compressions.isEmpty)
    }

    @Test("signed messages are refused and nothing is written")
    func signed() throws {
        let scratch = try Scratch("gmail-draft.eml")
        defer { scratch.remove() }
        let signed = "From: a@gmail.com\r\nContent-Type: multipart/signed; boundary=s; protocol=\"application/pgp-signature\"\r\n\r\n--s\r\nContent-Type: text/csv; name=a.csv\r\nContent-Disposition: attachment\r\n\r\n" + String(repeating: "a,b,c\r\n", count: 2000) + "--s--\r\n"
        try Data(signed.utf8).write(to: URL(fileURLWithPath: scratch.input))
        #expect(throws: FixError.self) { try Self.job(limit: 1).run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: false) }
        #expect(!FileManager.default.fileExists(atPath: scratch.output))
    }

    @Test("a damaged attachment the plan would share is refused, as one it would compress is; nothing is shared")
    func damaged() throws {
        let scratch = try Scratch("malformed-unclosed-truncated-base64.eml")
        defer { scratch.remove() }
        let share = scratch.folder.appendingPathComponent("share").path
        do {
            _ = try LinkTests.job(limit: 1, strategy: .link, share: share)
                .run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: false)
            Issue.record("expected a damaged-part error")
        } catch {
            guard case .damagedPart(_, let path, _, let problem) = error else { Issue.record("\(error)"); return }
            #expect(path == "2" && problem == "truncated-base64")
        }
        #expect(try scratch.others().isEmpty)
        // Random bytes do not compress: compressing alone leaves it in the message, so nothing hides the damage and
        // nothing is refused; nothing can make it fit, so nothing is written.
        let kept = try Self.job(limit: 1).run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: false)
        #expect(kept.nothingWritten && kept.plan.compressions.isEmpty)
    }

    @Test("an existing output is replaced only with force; in place keeps the original as .orig")
    func outputs() throws {
        let scratch = try Scratch("outlook-mixed-alternative.eml")
        defer { scratch.remove() }
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: scratch.output))
        #expect(throws: FixError.self) { try Self.job(limit: 36_000).run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: false) }
        #expect(try String(contentsOfFile: scratch.output, encoding: .utf8) == "keep me")
        _ = try Self.job(limit: 36_000).run(input: scratch.input, output: .file(scratch.output), force: true, planOnly: false)
        #expect(try String(contentsOfFile: scratch.output, encoding: .utf8).contains("export.csv.zip"))

        let original = try Data(contentsOf: URL(fileURLWithPath: scratch.input))
        let result = try Self.job(limit: 36_000).run(input: scratch.input, output: .inPlace, force: false, planOnly: false)
        #expect(result.fits)
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.input + ".orig")) == original)
        #expect(try String(contentsOfFile: scratch.input, encoding: .utf8).contains("export.csv.zip"))
    }

    @Test("a plan writes nothing and marks its sizes as estimates")
    func planOnly() throws {
        let scratch = try Scratch("chinese-compressible-attachments.eml")
        defer { scratch.remove() }
        let result = try Self.job(limit: 80_000).run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: true)
        #expect(result.planOnly && !result.plan.isExact && result.wireBytes == nil)
        #expect(try scratch.others().isEmpty)
    }
}

/// Estimates from samples on attachments too large to decode whole (over 1 MB), against the real result.
@Suite("Compression estimates")
struct CompressionEstimateTests {
    /// A message with one attachment of `data`, base64 at 76 columns.
    static func message(_ data: [UInt8], name: String) -> String {
        "From: a@gmail.com\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: application/octet-stream; name=\"\(name)\"\r\n"
            + "Content-Disposition: attachment; filename=\"\(name)\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + Data(data).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
            + "\r\n--x--\r\n"
    }

    @Test("sampled estimates are within 10 points of libarchive's result", arguments: ["log", "mixed", "random"])
    func sampledEstimate(kind: String) throws {
        var generator = SystemRandomNumberGenerator()
        var data: [UInt8] = []
        let words = ["INFO", "sync", "finished", "items", "2026-11-29", "user", "香港", "error", "retry"].map { Array($0.utf8) }
        while data.count < 3_000_000 {
            switch kind {
            case "log":
                data += words[Int.random(in: 0..<words.count, using: &generator)] + [0x20]
                if Int.random(in: 0..<8, using: &generator) == 0 { data += Array(String(Int.random(in: 0...99999, using: &generator)).utf8) + [0x0A] }
            case "mixed":
                // Alternating stretches of text and noise: sampling must see both.
                if (data.count / 200_000) % 2 == 0 {
                    data += words[Int.random(in: 0..<words.count, using: &generator)] + [0x20]
                } else {
                    data += (0..<64).map { _ in UInt8.random(in: 0...255, using: &generator) }
                }
            default:
                data += (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
            }
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("estimate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("m.eml").path
        try Data(Self.message(data, name: "\(kind).dat").utf8).write(to: URL(fileURLWithPath: input))
        let job = FixJob(check: MessageCheck(policy: LimitPolicy(userLimitBytes: 1)), options: FixOptions(level: 6, minimumGain: 0))
        let plan = try job.run(input: input, output: .file(folder.appendingPathComponent("o.eml").path), force: false, planOnly: true).plan
        if kind == "random" {
            // Random bytes do not deflate: the estimate says so, and nothing is compressed.
            #expect(plan.compressions.isEmpty)
            #expect(plan.actions.first?.reason?.code == "small-gain")
            return
        }
        let real = try job.run(input: input, output: .file(folder.appendingPathComponent("o.eml").path), force: false, planOnly: false).plan
        let estimated = try #require(plan.compressions.first)
        let actual = try #require(real.compressions.first)
        #expect(estimated.estimated && !actual.estimated)
        #expect(abs(estimated.gain - actual.gain) < 0.10, "\(kind): estimated \(estimated.gain), real \(actual.gain)")
    }
}

extension FixJobTests {
    @Test("an archived file keeps the time its part gives (Content-Disposition modification-date)")
    func modificationDate() throws {
        let scratch = try Scratch("outlook-mixed-alternative.eml")
        defer { scratch.remove() }
        _ = try Self.job(limit: 1).run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: false)
        let archive = try #require(try Self.decodedParts(scratch.output)["export.csv.zip"])
        let path = scratch.folder.appendingPathComponent("export.zip").path
        try Data(archive).write(to: URL(fileURLWithPath: path))
        #expect(try ArchiveReader.files(at: path).first?.modified == 1_794_968_091)
    }
}

extension FixJobTests {
    @Test("--bundle: one archive holds every attachment that compresses, in place of the first; the others leave")
    func bundle() throws {
        let scratch = try Scratch("chinese-compressible-attachments.eml")
        defer { scratch.remove() }
        let originals = try Self.decodedParts(scratch.input)
        let job = FixJob(check: MessageCheck(policy: LimitPolicy(userLimitBytes: 1)), options: FixOptions(bundleName: "客戶資料.zip"))
        let result = try job.run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: false)
        #expect(result.plan.compressions.map(\.bundled) == [true, true])
        #expect(result.wireBytes == result.predictedWireBytes)
        let written = try MessageReader.parse(path: scratch.output)
        #expect(written.leaves.map { $0.filename ?? "-" } == ["-", "客戶資料.zip", "map.jpg"])
        #expect(written.defects.filter { $0.severity == .warning }.isEmpty)
        let archive = try #require(try Self.decodedParts(scratch.output)["客戶資料.zip"])
        let path = scratch.folder.appendingPathComponent("bundle.zip").path
        try Data(archive).write(to: URL(fileURLWithPath: path))
        let files = try ArchiveReader.files(at: path)
        #expect(files.map(\.name) == ["客戶名單.csv", "sync.log"])
        for file in files { #expect(file.data == originals[file.name], "\(file.name)") }
        #expect(try scratch.others(keeping: ["out.eml", "bundle.zip"]).isEmpty)
    }

    @Test("files of the same name in a bundle are told apart")
    func uniqueNames() {
        var used: Set<String> = []
        #expect(["a.csv", "a.csv", "a.csv", "noext", "noext"].map { ArchiveSet.unique($0, in: &used) }
            == ["a.csv", "a (2).csv", "a (3).csv", "noext", "noext (2)"])
    }
}

extension FixJobTests {
    @Test("an exact plan predicts the size a real run then writes, and writes nothing itself")
    func exactPlan() throws {
        let scratch = try Scratch("chinese-compressible-attachments.eml")
        defer { scratch.remove() }
        let job = Self.job(limit: 80_000)
        let plan = try job.run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: true, exactPlan: true)
        #expect(plan.plan.isExact && plan.planOnly && plan.wireBytes == nil)
        #expect(try scratch.others().isEmpty)
        let real = try job.run(input: scratch.input, output: .file(scratch.output), force: false, planOnly: false)
        #expect(real.wireBytes == plan.predictedWireBytes)
    }
}
