import Testing
@testable import MIME

/// How the parser frames messages, with the awkward inputs real mail brings.
@Suite("Parsing messages")
struct ParserExamples {
    private func parse(_ text: String) -> Message {
        MessageParser.parse(Array(text.utf8))
    }

    @Test("a single-part message's body is section 1 and its line breaks count as CRLF")
    func singlePart() {
        let message = parse("Subject: hi\n\nline one\nline two\n")
        #expect(message.leaves.map(\.path) == ["1"])
        #expect(message.root.headerWireBytes == 13 + 2)
        #expect(message.root.bodyWireBytes == 10 + 10)
        #expect(message.wireBytes == 15 + 20)
        #expect(message.bareLineFeeds == 4)
    }

    @Test("the line break before a delimiter belongs to the delimiter, not to the part")
    func delimiterOwnsPrecedingLineBreak() {
        let message = parse("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nabc\r\n--b--\r\n")
        let part = message.leaves[0]
        #expect(part.bodyWireBytes == 3)
        #expect(part.decodedBytes == 3)
    }

    @Test("a line matching an outer boundary closes the inner multipart, with a defect")
    func outerBoundaryClosesInner() {
        let message = parse("""
            Content-Type: multipart/mixed; boundary=outer

            --outer
            Content-Type: multipart/alternative; boundary=inner

            --inner

            one
            --outer

            two
            --outer--

            """)
        #expect(message.leaves.map(\.path) == ["1.1", "2"])
        #expect(message.defects.contains { $0.code == .missingCloseDelimiter && $0.detail == "inner" })
    }

    @Test("a boundary followed by other text on its line is not a delimiter")
    func boundaryPrefixIsNotDelimiter() {
        let message = parse("Content-Type: multipart/mixed; boundary=abc\n\n--abc\n\nx\n--abcdef\ny\n--abc--\n")
        #expect(message.leaves.count == 1)
        #expect(message.leaves[0].bodyWireBytes == Int64("x\r\n--abcdef\r\ny".utf8.count))
    }

    @Test("transport padding after a delimiter is allowed")
    func delimiterWithTrailingWhitespace() {
        let message = parse("Content-Type: multipart/mixed; boundary=b\n\n--b \t\n\none\n--b--  \n")
        #expect(message.leaves.count == 1)
        #expect(message.defects.filter { $0.severity == .warning }.isEmpty)
    }

    @Test("preamble and epilogue count in the wire size but belong to no part")
    func preambleAndEpilogue() {
        let text = "Content-Type: multipart/mixed; boundary=b\r\n\r\npreamble\r\n--b\r\n\r\nx\r\n--b--\r\nepilogue\r\n"
        let message = parse(text)
        #expect(message.wireBytes == Int64(text.utf8.count))
        #expect(message.root.bodyWireBytes == Int64(text.utf8.count - 45))
        #expect(message.leaves[0].bodyWireBytes == 1)
    }

    @Test("a multipart that never closes is measured to the end, with a defect")
    func neverCloses() {
        let message = parse("Content-Type: multipart/mixed; boundary=b\n\n--b\n\nstill going\n")
        #expect(message.leaves.count == 1)
        #expect(message.defects.contains { $0.code == .missingCloseDelimiter })
    }

    @Test("message/rfc822 parts are measured whole, not split")
    func attachedMessageIsOneLeaf() {
        let message = parse("""
            Content-Type: multipart/mixed; boundary=b

            --b
            Content-Type: message/rfc822

            Content-Type: multipart/mixed; boundary=c

            --c

            inner
            --c--
            --b--

            """)
        #expect(message.leaves.map(\.kind) == [.message])
        #expect(message.leaves[0].path == "1")
    }

    @Test("parts of a multipart/digest default to message/rfc822")
    func digestDefault() {
        let message = parse("Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\nbody\n--d--\n")
        #expect(message.leaves[0].contentType.mimeType == "message/rfc822")
    }

    @Test("10,000 nested multiparts stop at the depth limit and are measured as one leaf")
    func deepNesting() {
        var text = ""
        for level in 0..<10_000 {
            text += "Content-Type: multipart/mixed; boundary=\"l\(level)\"\n\n--l\(level)\n"
        }
        text += "\ninnermost\n"
        let message = parse(text)
        #expect(message.entities.count == ParserLimits.default.maxDepth + 1)
        #expect(message.defects.contains { $0.code == .nestingTooDeep })
        #expect(message.wireBytes == Int64(text.utf8.count + text.utf8.filter { $0 == 0x0A }.count))
    }

    @Test("more parts than the limit are measured as part of the last one")
    func tooManyParts() {
        var text = "Content-Type: multipart/mixed; boundary=b\n\n"
        for _ in 0..<50 { text += "--b\n\nx\n" }
        text += "--b--\n"
        let message = MessageParser.parse(Array(text.utf8), limits: ParserLimits(maxEntities: 10))
        #expect(message.entities.count == 10)
        #expect(message.defects.contains { $0.code == .tooManyParts })
        #expect(message.wireBytes == Int64(text.utf8.count + text.utf8.filter { $0 == 0x0A }.count))
    }

    @Test("a 10 MB header line is measured without being kept")
    func hugeHeaderLine() {
        var bytes = Array("X-Junk: ".utf8)
        bytes += [UInt8](repeating: UInt8(ascii: "a"), count: 10_000_000)
        bytes += Array("\r\nSubject: after\r\n\r\nbody\r\n".utf8)
        let message = Fixtures.parse(bytes, chunk: 65_536)
        #expect(message.wireBytes == Int64(bytes.count))
        #expect(message.defects.contains { $0.code == .headerTooLarge })
        #expect(message.defects.contains { $0.code == .lineTooLong })
        #expect(message.root.bodyWireBytes == 6)
    }

    @Test("a line that is not a header field ends the header section, with a defect")
    func missingSeparator() {
        let message = parse("Subject: x\nthis is body text\nmore\n")
        #expect(message.defects.contains { $0.code == .missingHeaderBodySeparator })
        #expect(message.root.bodyWireBytes == Int64("this is body text\r\nmore\r\n".utf8.count))
    }

    @Test("binary junk and empty input are not messages")
    func notMessages() {
        #expect(MessageParser.parse([0, 1, 2, 0xFF, 0x0A, 7]).defects.contains { $0.code == .notAMessage })
        #expect(MessageParser.parse([UInt8]()).defects.contains { $0.code == .emptyMessage })
    }

    @Test("an mbox From line at the start is noted and skipped")
    func mboxFromLine() {
        let message = parse("From someone@example.org Mon Jan  1 00:00:00 2026\nSubject: x\n\nbody\n")
        #expect(message.defects.contains { $0.code == .mboxFromLine })
        #expect(message.root.header.text("Subject") == "x")
    }

    @Test("raw Big5 in a header is flagged and still decoded")
    func eightBitHeader() {
        var bytes = Array("Subject: ".utf8) + [0xA4, 0xA4, 0xA4, 0xE5]  // 中文 in Big5
        bytes += Array("\n\nbody\n".utf8)
        let message = MessageParser.parse(bytes)
        #expect(message.defects.contains { $0.code == .eightBitHeader })
        #expect(message.root.header.text("Subject") == "中文")
    }

    @Test("signed and encrypted messages are recognised")
    func signed() {
        let message = parse("Content-Type: multipart/signed; boundary=s; protocol=\"application/pgp-signature\"\n\n--s\n\nx\n--s--\n")
        #expect(message.isSignedOrEncrypted)
        #expect(!parse("Subject: x\n\nbody\n").isSignedOrEncrypted)
    }
}

extension ParserExamples {
    @Test("a part header cut off at the end of the file: an empty body, never a negative size")
    func headerCutOffAtTheEnd() {
        for text in ["From: a@example.org\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: base64",
                     "From: a@example.org\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain"] {
            let message = MessageParser.parse(Array(text.utf8))
            #expect(message.leaves.count == 1)
            #expect(message.leaves.allSatisfy { $0.bodyWireBytes == 0 && $0.decodedBytes == 0 })
        }
    }

    @Test("a message that is an attached message is section 1, as a single-part body is")
    func rootMessageIsSectionOne() {
        let message = MessageParser.parse(Array("From: a@example.org\r\nContent-Type: message/rfc822\r\n\r\nFrom: b@example.org\r\n\r\nhi\r\n".utf8))
        #expect(message.root.kind == .message && message.root.path == "1")
    }
}
