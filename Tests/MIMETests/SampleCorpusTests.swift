import Testing
@testable import MIME

/// Every sample in Samples/ against the independent parser's results (Python's email, scripts/expected.py),
/// fed whole and in chunks, with LF and CRLF line endings.
@Suite("Sample corpus")
struct SampleCorpusTests {
    @Test("sizes, types and names match Python's email package", arguments: Fixtures.sampleNames)
    func matchesIndependentParser(name: String) throws {
        let expected = try #require(Fixtures.expected(name), "no expected file for \(name): run scripts/expected.py")
        let message = MessageParser.parse(Fixtures.bytes(name))
        #expect(message.wireBytes == expected["wireBytes"] as? Int64 ?? Int64(expected["wireBytes"] as? Int ?? -1))

        let parts = try #require(expected["parts"] as? [[String: Any]])
        let leaves = message.leaves
        guard message.root.header.fields.isEmpty == false else {
            // Not a message (junk, empty): Python treats the bytes as a body; mailprep refuses it (not-a-message).
            #expect(message.defects.contains { $0.code == .notAMessage || $0.code == .emptyMessage })
            return
        }
        #expect(leaves.map(\.path) == parts.map { $0["path"] as? String ?? "?" })
        for (leaf, part) in zip(leaves, parts) {
            #expect(leaf.contentType.mimeType == part["contentType"] as? String, "part \(leaf.path)")
            #expect(leaf.filename == part["filename"] as? String, "part \(leaf.path)")
            #expect(leaf.transferEncoding.name == (part["transferEncoding"] as? String).map { $0 == "x-uuencode" ? "x-uuencode" : $0 }, "part \(leaf.path)")
            if let wire = part["bodyWireBytes"] as? Int {
                #expect(leaf.bodyWireBytes == Int64(wire), "body wire bytes of part \(leaf.path)")
            }
            if let decoded = part["decodedBytes"] as? Int {
                #expect(leaf.decodedBytes == Int64(decoded), "decoded bytes of part \(leaf.path)")
            }
        }
    }

    @Test("wire size is the byte count of the CRLF form as sent", arguments: Fixtures.sampleNames)
    func wireSizeIsCRLFByteCount(name: String) {
        let bytes = Fixtures.bytes(name)
        var sent = Fixtures.crlf(bytes)
        if let last = sent.last, last != 0x0A { sent += [0x0D, 0x0A] }  // a client ends the data with CRLF
        #expect(MessageParser.parse(bytes).wireBytes == Int64(sent.count))
    }

    @Test("chunks of 1, 7 and 4096 bytes give the same tree as one push", arguments: Fixtures.sampleNames, [1, 7, 4096])
    func chunkingChangesNothing(name: String, chunk: Int) {
        let bytes = Fixtures.bytes(name)
        let whole = MessageSummary(MessageParser.parse(bytes))
        let chunked = MessageSummary(Fixtures.parse(bytes, chunk: chunk))
        #expect(whole == chunked)
    }

    @Test("LF and CRLF line endings measure the same", arguments: Fixtures.sampleNames)
    func lineEndingsMeasureTheSame(name: String) {
        let bytes = Fixtures.bytes(name)
        let lf = MessageParser.parse(Fixtures.lf(bytes))
        let crlf = MessageParser.parse(Fixtures.crlf(bytes))
        #expect(lf.wireBytes == crlf.wireBytes)
        #expect(MessageSummary(lf, spans: false).entities == MessageSummary(crlf, spans: false).entities)
    }

    @Test("a small buffer splits long lines into pieces without changing the result", arguments: Fixtures.sampleNames)
    func smallBufferChangesNothing(name: String) {
        let bytes = Fixtures.bytes(name)
        let small = ParserLimits(bufferBytes: 4096)
        #expect(MessageSummary(MessageParser.parse(bytes)) == MessageSummary(Fixtures.parse(bytes, chunk: 1000, limits: small)))
    }
}

/// Reading files: through read(2) and through mapped windows of any size, the same tree.
@Suite("Reading files")
struct ReadingFiles {
    @Test("mapped windows of 4 KiB and 64 KiB give the same tree as reading", arguments: Fixtures.sampleNames, [4096, 65_536])
    func mappedWindows(name: String, window: Int) throws {
        let path = Fixtures.samples.appendingPathComponent(name).path
        let read = try MessageReader.parse(path: path, limits: .default, mappedThreshold: .max, mappedWindow: window)
        let mapped = try MessageReader.parse(path: path, limits: ParserLimits(bufferBytes: 4096), mappedThreshold: 1, mappedWindow: window)
        #expect(MessageSummary(read) == MessageSummary(mapped))
        #expect(MessageSummary(read) == MessageSummary(MessageParser.parse(Fixtures.bytes(name))))
    }

    @Test("bytes fed in place in odd pieces, long lines included, give the same tree")
    func inPlacePieces() {
        var bytes = Array("Subject: long\r\nX-Long: ".utf8) + [UInt8](repeating: UInt8(ascii: "y"), count: 20_000)
        bytes += Array("\r\n\r\n".utf8) + Fixtures.bytes("gmail-draft.eml")
        let whole = MessageSummary(MessageParser.parse(bytes))
        for piece in [1, 13, 4095, 9000] {
            let parser = MessageParser(limits: ParserLimits(bufferBytes: 4096))
            Fixtures.pieces(of: bytes, size: piece) { parser.feedInPlace($0) }
            #expect(MessageSummary(parser.finish()) == whole, "pieces of \(piece)")
        }
    }

    @Test("a missing file, a folder: typed errors")
    func errors() {
        #expect(throws: MessageReadError.notFound(path: "/no/such/file")) { try MessageReader.parse(path: "/no/such/file") }
        #expect(throws: MessageReadError.isDirectory(path: "/tmp")) { try MessageReader.parse(path: "/tmp") }
    }
}
