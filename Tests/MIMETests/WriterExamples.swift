import Foundation
import Testing
@testable import MIME

/// The one serializer: what it counts is what it writes, untouched bytes are copied as they are, new parts
/// read back as written.
@Suite("Writing messages")
struct WriterExamples {
    @Test("base64 output matches Foundation's, and its length matches the formula", arguments: [0, 1, 2, 3, 56, 57, 58, 114, 1000, 65_537])
    func base64(size: Int) throws {
        var generator = DecodedSizeExamples.Seeded(state: UInt64(size) + 11)
        let data = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var encoder = Base64EncodingSink(MemorySink())
        DecodedSizeExamples.feedInPieces(data, using: &generator) { try? encoder.write($0) }
        let written = try encoder.finish().bytes
        let expected = Data(data).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        #expect(String(decoding: written, as: UTF8.self) == expected)
        #expect(Int64(written.count) == Base64EncodingSink<MemorySink>.encodedBytes(of: Int64(size)))
        var decoder = Base64DecodingSink(MemorySink())
        try decoder.write(written)
        #expect(try decoder.finish().bytes == data)
    }

    @Test("with no edits the writer reproduces the source byte for byte, and counts what it writes", arguments: Fixtures.sampleNames)
    func identity(name: String) throws {
        let path = Fixtures.samples.appendingPathComponent(name).path
        let message = try MessageReader.parse(path: path)
        let writer = MessageWriter(message: message, source: try SourceFile(path: path))
        var memory = MemorySink()
        try writer.write(into: &memory)
        #expect(memory.bytes == Fixtures.bytes(name))
        let measured = try writer.measure()
        #expect(measured.bytes == Int64(memory.bytes.count))
        #expect(measured.wireBytes == message.wireBytes)
    }

    @Test("decoding a body gives exactly the decoded size the parser counted", arguments: Fixtures.sampleNames)
    func decodedBodiesMatchCounts(name: String) throws {
        let path = Fixtures.samples.appendingPathComponent(name).path
        let message = try MessageReader.parse(path: path)
        let source = try SourceFile(path: path)
        for leaf in message.leaves {
            var counter = CountingSink()
            try source.decodeBody(of: leaf, into: &counter)
            #expect(counter.bytes == leaf.decodedBytes, "part \(leaf.path)")
        }
    }

    @Test("a new part with a Chinese name reads back with that name, in both header forms")
    func chineseFilename() throws {
        let name = "二零二六年第三季業務檢討會議簡報（最終版）附件資料彙整.pdf.zip"
        let header = NewPart(mimeType: "application/zip", filename: name, size: 1234, bodyPath: "").header(lineBreak: "\r\n")
        #expect(header.split(separator: "\r\n").allSatisfy { $0.utf8.count <= 78 })
        let section = HeaderSection(parsing: Array(header.utf8))
        #expect(ContentDisposition(parsing: section["Content-Disposition"]!.value).parameters["filename"] == name)
        #expect(ContentType(parsing: section["Content-Type"]!.value)?.parameters["name"] == name)
        #expect(ContentDisposition(parsing: section["Content-Disposition"]!.value).parameters["size"] == "1234")
        let ascii = NewPart(mimeType: "application/zip", filename: "report.csv.zip", size: 9, bodyPath: "").header(lineBreak: "\n")
        #expect(ascii.contains("filename=\"report.csv.zip\"") && !ascii.contains("\r"))
    }

    @Test("replacing parts of random messages: predicted size is written size, and the result parses as intended", arguments: 0..<12)
    func randomReplacements(seed: Int) throws {
        var generator = DecodedSizeExamples.Seeded(state: UInt64(seed) &* 104_729)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("writer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let lineBreak = seed % 3 == 0 ? "\n" : "\r\n"
        var text = "From: a@example.org\(lineBreak)Content-Type: multipart/mixed; boundary=\"b\(seed)\"\(lineBreak)\(lineBreak)"
        let parts = Int.random(in: 1...5, using: &generator)
        for index in 0..<parts {
            let size = Int.random(in: 0...3000, using: &generator)
            let data = Data((0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) })
            text += "--b\(seed)\(lineBreak)Content-Type: application/octet-stream; name=\"f\(index).bin\"\(lineBreak)"
            text += "Content-Transfer-Encoding: base64\(lineBreak)\(lineBreak)"
            text += data.base64EncodedString(options: .lineLength76Characters).replacingOccurrences(of: "\r\n", with: lineBreak) + lineBreak
        }
        text += "--b\(seed)--\(lineBreak)"
        let path = folder.appendingPathComponent("m.eml").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let message = try MessageReader.parse(path: path)
        var writer = MessageWriter(message: message, source: try SourceFile(path: path))
        var expected: [String: Int] = [:]
        for entity in 1..<message.entities.count where Bool.random(using: &generator) {
            let size = Int.random(in: 0...5000, using: &generator)
            let bodyPath = folder.appendingPathComponent("new\(entity)").path
            try Data((0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: URL(fileURLWithPath: bodyPath))
            let name = entity % 2 == 0 ? "新檔案\(entity).zip" : "new\(entity).zip"
            writer.edits.replacements[entity] = NewPart(mimeType: "application/zip", filename: name, size: Int64(size), bodyPath: bodyPath)
            expected[name] = size
        }
        let predicted = try writer.measure()
        var memory = MemorySink()
        try writer.write(into: &memory)
        #expect(predicted.bytes == Int64(memory.bytes.count))
        let reparsed = MessageParser.parse(memory.bytes)
        #expect(predicted.wireBytes == reparsed.wireBytes)
        #expect(reparsed.leaves.count == parts)
        #expect(reparsed.defects.filter { $0.severity == .warning }.isEmpty)
        for leaf in reparsed.leaves {
            if let size = expected[leaf.filename ?? ""] { #expect(leaf.decodedBytes == Int64(size), "\(leaf.filename ?? "")") }
        }
    }
}

extension WriterExamples {
    @Test("removing any one part of a multipart leaves a clean message without it", arguments: Fixtures.sampleNames)
    func removals(name: String) throws {
        let path = Fixtures.samples.appendingPathComponent(name).path
        let message = try MessageReader.parse(path: path)
        let before = Set(message.defects.filter { $0.severity == .warning }.map(\.code))
        for (index, entity) in message.entities.enumerated() where entity.parent != nil {
            guard let parent = entity.parent, message.entities[parent].children.count > 1 else { continue }
            var writer = MessageWriter(message: message, source: try SourceFile(path: path))
            writer.edits.removals = [index]
            var memory = MemorySink()
            try writer.write(into: &memory)
            #expect(try writer.measure().bytes == Int64(memory.bytes.count))
            let after = MessageParser.parse(memory.bytes)
            #expect(after.entities.count == message.entities.count - 1 - Self.descendants(of: index, in: message), "\(name) without \(entity.path)")
            #expect(Set(after.defects.filter { $0.severity == .warning }.map(\.code)).isSubset(of: before), "\(name) without \(entity.path)")
            let kept = message.leaves.filter { $0.path != entity.path && !$0.path.hasPrefix(entity.path + ".") }.compactMap(\.filename)
            #expect(after.leaves.compactMap(\.filename) == kept)
        }
    }

    @Test("a multipart cannot lose every part, and the message itself cannot be removed")
    func invalidRemovals() throws {
        let path = Fixtures.samples.appendingPathComponent("gmail-draft.eml").path
        let message = try MessageReader.parse(path: path)
        var writer = MessageWriter(message: message, source: try SourceFile(path: path))
        writer.edits.removals = Set(message.root.children)
        #expect(throws: MessageEdits.EditError.self) { try writer.measure() }
        writer.edits.removals = [0]
        #expect(throws: MessageEdits.EditError.cannotReplaceRoot) { try writer.measure() }
    }

    @Test("removing every part of a nested multipart removes that multipart too, with its delimiter")
    func nestedMultipartLeavesWhole() throws {
        let text = """
            From: a@example.org
            Subject: photos
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="outer"

            --outer
            Content-Type: text/plain

            Two photos.
            --outer
            Content-Type: multipart/mixed; boundary="inner"

            --inner
            Content-Type: image/jpeg; name="a.jpg"
            Content-Transfer-Encoding: base64

            /9j/4AAQ
            --inner
            Content-Type: image/jpeg; name="b.jpg"
            Content-Transfer-Encoding: base64

            /9j/4AAR
            --inner--
            --outer--

            """
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("nested-\(UUID().uuidString).eml").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let message = try MessageReader.parse(path: path)
        let photos = message.entities.indices.filter { message.entities[$0].filename != nil }
        #expect(photos.count == 2)
        var writer = MessageWriter(message: message, source: try SourceFile(path: path))
        writer.edits.removals = Set(photos)
        let inner = try #require(message.entities.firstIndex { $0.path == "2" })
        #expect(writer.edits.removedEntities(in: message) == Set(photos + [inner]))
        var memory = MemorySink()
        try writer.write(into: &memory)
        #expect(try writer.measure().bytes == Int64(memory.bytes.count))
        let after = MessageParser.parse(memory.bytes)
        #expect(after.entities.map(\.contentType.mimeType) == ["multipart/mixed", "text/plain"])
        #expect(after.defects.filter { $0.severity == .warning }.isEmpty)
        // Every part of the message gone: that is not a message any more.
        writer.edits.removals = Set(photos + [message.root.children[0]])
        #expect(throws: MessageEdits.EditError.wouldEmptyMultipart(path: "")) { try writer.measure() }
    }

    static func descendants(of index: Int, in message: Message) -> Int {
        message.entities[index].children.reduce(0) { $0 + 1 + descendants(of: $1, in: message) }
    }
}

extension WriterExamples {
    /// Random edits of one sample: parts replaced and removed, text bodies and headers rewritten, a part inserted.
    static func randomEdits(of message: Message, source: SourceFile, folder: URL, using generator: inout DecodedSizeExamples.Seeded) throws
        -> MessageEdits {
        var edits = MessageEdits()
        let lineBreak = message.lineBreak
        for (index, entity) in message.entities.enumerated() {
            let roll = Int.random(in: 0..<10, using: &generator)
            if entity.parent != nil && roll < 2 {
                let size = Int.random(in: 0...2000, using: &generator)
                let bodyPath = folder.appendingPathComponent("new\(index)").path
                try Data((0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: URL(fileURLWithPath: bodyPath))
                edits.replacements[index] = NewPart(mimeType: "application/zip", filename: "新\(index).zip", size: Int64(size), bodyPath: bodyPath)
            } else if entity.parent != nil && roll < 4 {
                edits.removals.insert(index)
            } else if entity.kind == .leaf && roll < 7 {
                // A body of a few lines in the source's line breaks, ending with one or not; sometimes a new header.
                let lines = (0..<Int.random(in: 0...4, using: &generator)).map { "line \($0) 是 \(index)" }
                var body = Array(lines.joined(separator: String(decoding: lineBreak, as: UTF8.self)).utf8)
                if Bool.random(using: &generator) { body += lineBreak }
                let header = roll == 6 ? Array("Content-Type: text/plain; charset=UTF-8".utf8) + lineBreak + Array("X-Edited: yes".utf8) + lineBreak + lineBreak
                    : nil
                edits.rewrites[index] = RewrittenPart(header: header, body: body)
            } else if entity.parent != nil && roll == 7 {
                let body = Array("inserted =E6=96=B0".utf8) + lineBreak
                edits.insertions[index] = try MessageEdits.newPart(before: index, in: message, source: source,
                                                                   headerFields: ["Content-Type: text/plain; charset=UTF-8",
                                                                                  "Content-Transfer-Encoding: quoted-printable"],
                                                                   body: body)
            } else if index == 0 && entity.kind != .multipart && roll == 9 {
                // A message that is itself one part, replaced: its header keeps From, To, Subject.
                let size = Int.random(in: 0...2000, using: &generator)
                let bodyPath = folder.appendingPathComponent("root").path
                try Data((0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: URL(fileURLWithPath: bodyPath))
                edits.replacements[0] = NewPart(mimeType: "application/zip", filename: "全部.zip", size: Int64(size), bodyPath: bodyPath)
            } else if index == 0 && roll == 8 {
                var header = MemorySink()
                try source.copy(entity.headerSpan, into: &header)
                edits.rewrites[0] = RewrittenPart(header: HeaderEditor.edit(header.bytes, adding: ["X-Mailprep-Link: <https://x.example/a>"],
                                                                            lineBreak: lineBreak))
            }
        }
        return edits
    }

    @Test("the sizes of edited samples computed from the parse tree are those of writing and parsing them",
          arguments: Fixtures.sampleNames)
    func sizesFromTheTree(name: String) throws {
        let path = Fixtures.samples.appendingPathComponent(name).path
        let message = try MessageReader.parse(path: path)
        let source = try SourceFile(path: path)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("edits-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var generator = DecodedSizeExamples.Seeded(state: UInt64(name.utf8.count) &* 7919)
        var compared = 0
        for _ in 0..<40 {
            let writer = MessageWriter(message: message, source: source,
                                       edits: try Self.randomEdits(of: message, source: source, folder: folder, using: &generator))
            guard (try? writer.edits.validate(in: message)) != nil else {
                #expect(throws: MessageEdits.EditError.self) { try writer.size() }
                continue
            }
            let measured = try writer.measureParsed()
            let computed = try writer.size()
            let edits = "\(name): \(writer.edits.removals.sorted()) removed, \(writer.edits.replacements.keys.sorted()) replaced, "
                + "\(writer.edits.rewrites.keys.sorted()) rewritten, \(writer.edits.insertions.keys.sorted()) inserted"
            #expect(computed == EditedSize(bytes: measured.bytes, wireBytes: measured.wireBytes, decodedBytes: measured.decodedBytes),
                    Comment(rawValue: edits))
            compared += 1
        }
        #expect(compared > 0 || message.entities.count == 1)
    }
}
