import Testing
@testable import MailPrepIMAP

/// What servers send for `UID FETCH 1:* (UID RFC822.SIZE BODYSTRUCTURE ENVELOPE)`, Dovecot's and Gmail's shapes
/// among them, and what the parser makes of it; and malformed data, which must throw and never crash.
@Suite("IMAP FETCH responses")
struct IMAPFetchResponseExamples {
    /// A fixture's octets on the wire: every LF not already after a CR becomes CRLF.
    static func wire(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        for byte in text.utf8 {
            if byte == 0x0A, out.last != 0x0D { out.append(0x0D) }
            out.append(byte)
        }
        return out
    }

    /// A synchronizing literal carrying `text`: `{N}`, CRLF, then its N octets of UTF-8.
    static func literal(_ text: String) -> String { "{\(text.utf8.count)}\r\n\(text)" }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    static func parseOne(_ text: String) throws -> IMAPFetchItem {
        let items = try IMAPFetchResponse.parse(wire(text))
        try #require(items.count == 1)
        return items[0]
    }

    static let anna = "((\"Anna Berg\" NIL \"anna.berg\" \"example.org\"))"

    /// Dovecot 2.3: a text/plain body and a base64 PDF whose name is an RFC 2047 word in Content-Type and RFC 2231
    /// in Content-Disposition; the tagged completion follows.
    static let dovecotMixed = """
        * 1 FETCH (UID 4127 RFC822.SIZE 62734 BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL NIL \
        "quoted-printable" 1283 31 NIL NIL NIL NIL)("application" "pdf" ("name" "=?UTF-8?B?5a2j5bqm5oql5ZGKLnBkZg==?=") \
        NIL NIL "base64" 60412 NIL ("attachment" ("filename*" "utf-8''%E5%AD%A3%E5%BA%A6%E6%8A%A5%E5%91%8A.pdf" \
        "size" "44145")) NIL NIL) "mixed" ("boundary" "----=_Part_1180_2093817.1741079564") NIL NIL NIL) \
        ENVELOPE ("Tue, 04 Mar 2025 09:12:44 +0000" "Q1 report" \(anna) \(anna) \(anna) \
        ((NIL NIL "finance" "example.com")) NIL NIL NIL "<1180.1741079564@example.org>"))
        A3 OK Fetch completed (0.004 + 0.000 + 0.003 secs).

        """

    @Test("a Dovecot multipart/mixed: the text and the PDF are leaves 1 and 2, the PDF's filename read from its disposition")
    func dovecotMultipartWithAttachment() throws {
        let item = try Self.parseOne(Self.dovecotMixed)
        #expect(item.sequence == 1)
        #expect(item.uid == 4127)
        #expect(item.rfc822Size == 62734)
        let body = try #require(item.bodyStructure)
        #expect(body.isMultipart && body.subtype == "mixed" && body.path == "")
        #expect(body.size == nil)
        #expect(body.parameter("Boundary") == Self.bytes("----=_Part_1180_2093817.1741079564"))
        #expect(body.leaves.map(\.path) == ["1", "2"])
        let text = body.children[0]
        #expect(text.type == "text" && text.subtype == "plain" && text.encoding == "quoted-printable")
        #expect(text.size == 1283 && text.lines == 31)
        let pdf = body.children[1]
        #expect(pdf.type == "application" && pdf.subtype == "pdf" && pdf.encoding == "base64")
        #expect(pdf.size == 60412 && pdf.lines == nil)
        #expect(pdf.disposition == "attachment")
        #expect(pdf.dispositionParameter("FILENAME*") == Self.bytes("utf-8''%E5%AD%A3%E5%BA%A6%E6%8A%A5%E5%91%8A.pdf"))
        #expect(pdf.dispositionParameter("size") == Self.bytes("44145"))
        #expect(pdf.parameter("name") == Self.bytes("=?UTF-8?B?5a2j5bqm5oql5ZGKLnBkZg==?="))
        #expect(pdf.parameter("filename") == nil)
        let envelope = try #require(item.envelope)
        #expect(envelope.subject == Self.bytes("Q1 report"))
        #expect(envelope.from == [IMAPAddress(name: Self.bytes("Anna Berg"), mailbox: Self.bytes("anna.berg"), host: Self.bytes("example.org"))])
        #expect(envelope.to.map(\.mailbox) == [Self.bytes("finance")])
        #expect(envelope.cc.isEmpty && envelope.inReplyTo == nil)
        #expect(envelope.messageID == Self.bytes("<1180.1741079564@example.org>"))
    }

    @Test("a subject and a name in Chinese UTF-8 arrive as literals and are kept as their octets; a single part is path 1")
    func literalSubjectInUTF8() throws {
        let text = """
            * 2 FETCH (UID 4128 ENVELOPE ("Wed, 05 Mar 2025 10:20:00 +0800" \(Self.literal("关于第一季度报告的问题")) \
            ((\(Self.literal("王芳")) NIL "wang.fang" "example.cn")) NIL NIL ((NIL NIL "anna.berg" "example.org")) \
            NIL NIL "<a1@example.org>" "<b2@example.cn>") RFC822.SIZE 2291 BODYSTRUCTURE ("text" "plain" \
            ("charset" "utf-8") NIL NIL "base64" 412 6 NIL NIL NIL NIL))

            """
        let item = try Self.parseOne(text)
        #expect(item.uid == 4128 && item.rfc822Size == 2291)
        let envelope = try #require(item.envelope)
        #expect(envelope.subject == Self.bytes("关于第一季度报告的问题"))
        #expect(envelope.from.first?.name == Self.bytes("王芳"))
        #expect(envelope.sender.isEmpty && envelope.replyTo.isEmpty)
        #expect(envelope.inReplyTo == Self.bytes("<a1@example.org>"))
        let body = try #require(item.bodyStructure)
        #expect(!body.isMultipart && body.path == "1" && body.leaves == [body])
    }

    /// A reply with a forwarded message attached; the forwarded message is itself multipart, with an alternative inside.
    static let forwarded = """
        * 7 FETCH (UID 207 RFC822.SIZE 9120 BODYSTRUCTURE (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 44 2 \
        NIL NIL NIL NIL)("message" "rfc822" ("name" "Fwd.eml") NIL NIL "7bit" 8410 ("Mon, 03 Mar 2025 08:00:00 +0100" \
        "Re: \\"Budget\\" C:\\\\temp" \(anna) \(anna) \(anna) ((NIL NIL "bob" "example.com")) NIL NIL NIL "<orig@example.org>") \
        (("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 20 1 NIL NIL NIL NIL)(("text" "plain" ("charset" "utf-8") \
        NIL NIL "quoted-printable" 300 10 NIL NIL NIL NIL)("text" "html" ("charset" "utf-8") NIL NIL "quoted-printable" \
        900 22 NIL NIL NIL NIL) "alternative" ("boundary" "b2") NIL NIL NIL)("image" "png" ("name" "chart.png") \
        "<chart@example.org>" NIL "base64" 6000 NIL ("inline" ("filename" "chart.png")) NIL NIL) "mixed" \
        ("boundary" "b1") NIL NIL NIL) 131 NIL ("attachment" ("filename" "Fwd.eml")) NIL NIL) "mixed" \
        ("boundary" "b0") NIL NIL NIL))

        """

    @Test("a forwarded message/rfc822 with a nested multipart numbers its parts 2.1, 2.2.1, 2.2.2, 2.3 and is one leaf")
    func forwardedMessagePaths() throws {
        let body = try #require(try Self.parseOne(Self.forwarded).bodyStructure)
        #expect(body.leaves.map(\.path) == ["1", "2"])
        let message = body.children[1]
        #expect(message.type == "message" && message.subtype == "rfc822")
        #expect(message.size == 8410 && message.lines == 131 && message.disposition == "attachment")
        #expect(message.dispositionParameter("filename") == Self.bytes("Fwd.eml"))
        #expect(message.encapsulatedEnvelope?.subject == Self.bytes("Re: \"Budget\" C:\\temp"))
        #expect(message.encapsulatedEnvelope?.messageID == Self.bytes("<orig@example.org>"))
        let inner = try #require(message.children.first)
        #expect(message.children.count == 1)
        #expect(inner.isMultipart && inner.subtype == "mixed" && inner.path == "2")
        #expect(inner.leaves.map(\.path) == ["2.1", "2.2.1", "2.2.2", "2.3"])
        #expect(inner.children.map(\.path) == ["2.1", "2.2", "2.3"])
        let image = inner.children[2]
        #expect(image.id == Self.bytes("<chart@example.org>") && image.disposition == "inline")
    }

    @Test("a message/rfc822 whose body is a single part numbers it 2.1; a message that is itself one message/rfc822 is 1, 1.1")
    func encapsulatedSinglePartPaths() throws {
        let envelope = "(NIL \"Note\" NIL NIL NIL NIL NIL NIL NIL NIL)"
        let inner = "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 1)"
        let nested = try Self.parseOne("""
            * 1 FETCH (BODY (("text" "plain" NIL NIL NIL "7bit" 3 1)("message" "rfc822" NIL NIL NIL "7bit" 200 \
            \(envelope) \(inner) 9) "mixed"))
            """)
        #expect(nested.bodyStructure?.children[1].children.map(\.path) == ["2.1"])
        let whole = try Self.parseOne("* 1 FETCH (BODYSTRUCTURE (\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 200 \(envelope) \(inner) 9))")
        #expect(whole.bodyStructure?.path == "1")
        #expect(whole.bodyStructure?.children.first?.path == "1.1")
        #expect(whole.bodyStructure?.children.first?.lines == 1)
    }

    @Test("group syntax in an address list keeps the members and drops the markers; undisclosed-recipients is empty")
    func groupSyntax() throws {
        let item = try Self.parseOne("""
            * 3 FETCH (UID 300 ENVELOPE ("Thu, 06 Mar 2025 12:00:00 +0000" "Team lunch" \(Self.anna) NIL NIL \
            ((NIL NIL "team" NIL)("Ann" NIL "ann" "example.org")("Bo" NIL "bo" "example.org")(NIL NIL NIL NIL)\
            ("Carl" NIL "carl" "example.net")) NIL ((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) NIL NIL))
            """)
        let envelope = try #require(item.envelope)
        #expect(envelope.to.map(\.mailbox) == [Self.bytes("ann"), Self.bytes("bo"), Self.bytes("carl")])
        #expect(envelope.to[2].host == Self.bytes("example.net"))
        #expect(envelope.bcc.isEmpty && envelope.messageID == nil)
    }

    @Test("a Gmail response: X-GM-THRID, X-GM-MSGID, X-GM-LABELS, FLAGS, MODSEQ and INTERNALDATE interleaved are skipped")
    func gmailInterleavedItems() throws {
        let item = try Self.parseOne("""
            * 1 FETCH (X-GM-THRID 1826349183745102233 X-GM-MSGID 1826349183745102233 X-GM-LABELS (\\Inbox \\Important \
            "Receipts/2025") UID 58213 FLAGS (\\Seen $NotPhishing) MODSEQ (9120331) INTERNALDATE "04-Mar-2025 09:12:44 +0000" \
            RFC822.SIZE 18224 BODYSTRUCTURE (("TEXT" "PLAIN" ("CHARSET" "UTF-8") NIL NIL "QUOTED-PRINTABLE" 2140 55 NIL NIL \
            NIL)("TEXT" "HTML" ("CHARSET" "UTF-8") NIL NIL "QUOTED-PRINTABLE" 12020 240 NIL NIL NIL) "ALTERNATIVE" \
            ("BOUNDARY" "000000000000a1b2c3") NIL NIL) ENVELOPE ("Tue, 4 Mar 2025 09:12:44 +0000" "Your receipt" \
            (("Shop" NIL "noreply" "shop.example")) (("Shop" NIL "noreply" "shop.example")) (("Shop" NIL "noreply" \
            "shop.example")) ((NIL NIL "me" "gmail.com")) NIL NIL NIL "<r-1@shop.example>"))
            A1 OK Success

            """)
        #expect(item.uid == 58213 && item.rfc822Size == 18224)
        let body = try #require(item.bodyStructure)
        #expect(body.subtype == "alternative")
        #expect(body.parameter("boundary") == Self.bytes("000000000000a1b2c3"))
        #expect(body.children.map { "\($0.type)/\($0.subtype) \($0.encoding ?? "-")" } == ["text/plain quoted-printable", "text/html quoted-printable"])
        #expect(body.children[0].parameters == [IMAPParameter(name: "charset", value: Self.bytes("UTF-8"))])
        #expect(item.envelope?.to.first?.host == Self.bytes("gmail.com"))
    }

    @Test("several messages in one buffer among EXISTS, FLAGS, OK and STATUS lines; two FETCHes for one message merge")
    func severalMessagesInOneBuffer() throws {
        let plain = "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 300 10 NIL NIL NIL NIL)"
        let items = try IMAPFetchResponse.parse(Self.wire("""
            * 3 EXISTS
            * 0 RECENT
            * FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)
            * OK [UIDVALIDITY 1700000000] UIDs valid {3}
            * 1 FETCH (UID 10 RFC822.SIZE 1200 BODYSTRUCTURE \(plain))
            * STATUS \(Self.literal("* 9 FETCH (UID 99)")) (MESSAGES 3)
            * 2 FETCH (UID 11 RFC822.SIZE 900)
            * 2 FETCH (FLAGS (\\Seen))
            * 2 FETCH (UID 11 BODYSTRUCTURE \(plain))
            * 3 FETCH (UID 12 RFC822.SIZE 400 BODYSTRUCTURE \(plain))
            A7 OK UID FETCH completed

            """))
        #expect(items.map(\.sequence) == [1, 2, 3])
        #expect(items.map(\.uid) == [10, 11, 12])
        #expect(items.map(\.rfc822Size) == [1200, 900, 400])
        #expect(items.allSatisfy { $0.bodyStructure?.size == 300 && $0.envelope == nil })
    }

    @Test("keywords in lower case, no extension data, {N+} and ~{N} literals, and BODY[section] items with literals")
    func lenientForms() throws {
        let item = try Self.parseOne("""
            * 4 fetch (uid 13 body[header.fields (subject)] {18}
            Subject: hello\r\n\r\n rfc822.size 10 bodystructure ("TEXT" "PLAIN" nil nil nil "7BIT" 10 1) \
            envelope (nil {5+}
            hello nil nil nil nil nil nil nil ~{3}
            <x>) BODY[]<0> ~{4}
            abcd)
            """)
        #expect(item.uid == 13 && item.rfc822Size == 10)
        #expect(item.bodyStructure == IMAPBodyStructure(type: "text", subtype: "plain", encoding: "7bit", size: 10, lines: 1, path: "1"))
        #expect(item.envelope?.subject == Self.bytes("hello"))
        #expect(item.envelope?.messageID == Self.bytes("<x>"))
    }

    @Test("language as a list, a location and further nested extensions after the disposition are skipped")
    func extensionData() throws {
        let item = try Self.parseOne("""
            * 5 FETCH (UID 5 BODYSTRUCTURE (("text" "plain" NIL NIL NIL "7bit" 3 1 "Q2hlY2s=" NIL ("en" "de") \
            "http://example.org/a" (1 (2 "x" NIL)) 7)("application" "zip" NIL NIL NIL "base64" 80 NIL ("ATTACHMENT" \
            ("FILENAME" "a.zip") "extra") "fr" NIL) "mixed" NIL NIL "en"))
            """)
        let body = try #require(item.bodyStructure)
        #expect(body.parameters.isEmpty)
        #expect(body.children[0].lines == 1 && body.children[0].disposition == nil)
        #expect(body.children[1].disposition == "attachment")
        #expect(body.children[1].dispositionParameter("filename") == Self.bytes("a.zip"))
    }

    @Test("malformed data throws with the octet offset", arguments: [
        ("* 1 FETCH (UID 5 BODYSTRUCTURE (\"text\" \"plain\" NIL NIL NIL \"7bit\" 3 1", 69),
        ("* 1 FETCH (UID 5 ENVELOPE (NIL {400}\r\nshort NIL NIL NIL NIL NIL NIL NIL NIL))\r\n", 31),
        ("* 1 FETCH (UID 5 RFC822.SIZE 99999999999999999999)\r\n", 29),
        ("* 1 FETCH (UID 4294967296)\r\n", 11),
        ("* 1 FETCH (UID 5 ENVELOPE (\"Mon\" \"unterminated\r\n", 33),
        ("* 1 FETCH (UID 5) trailing\r\n", 18),
        ("* 1 OK\r\n* LIST () \"/\" {99}\r\nINBOX\r\n", 22),
    ])
    func malformed(input: String, offset: Int) {
        let error = #expect(throws: IMAPParseError.self) { try IMAPFetchResponse.parse(Array(input.utf8)) }
        #expect(error?.offset == offset, "\(String(describing: error))")
    }

    @Test("a depth bomb of 100,000 parentheses throws at the 65th level instead of exhausting the stack", arguments: [
        ("* 1 FETCH (BODYSTRUCTURE ", 25 + 63),
        ("* 1 FETCH (X-UNKNOWN ", 21 + 63),
    ])
    func depthBomb(prefix: String, offset: Int) {
        let input = Array((prefix + String(repeating: "(", count: 100_000)).utf8)
        let error = #expect(throws: IMAPParseError.self) { try IMAPFetchResponse.parse(input) }
        #expect(error?.offset == offset)
        let envelope = Array(("* 1 FETCH (ENVELOPE (NIL NIL " + String(repeating: "(", count: 100_000)).utf8)
        #expect(throws: IMAPParseError.self) { try IMAPFetchResponse.parse(envelope) }
    }

    @Test("bare LF line ends, literals' included, are read as CRLF ones are")
    func bareLineFeeds() throws {
        let text = "* 2 FETCH (UID 1 ENVELOPE (NIL \(Self.literal("主题")) NIL NIL NIL NIL NIL NIL NIL NIL))\n"
        let lf = try IMAPFetchResponse.parse(Self.bytes(text).filter { $0 != 0x0D })
        #expect(lf == (try IMAPFetchResponse.parse(Self.wire(text))))
        #expect(lf.first?.envelope?.subject == Self.bytes("主题"))
        #expect(try IMAPFetchResponse.parse(Self.bytes(Self.dovecotMixed)) == (try IMAPFetchResponse.parse(Self.wire(Self.dovecotMixed))))
    }

    @Test("every prefix of a real response, and every octet replaced by a delimiter, parses or throws")
    func truncatedAndCorrupted() {
        let input = Self.wire(Self.forwarded + Self.dovecotMixed)
        for end in 0...input.count {
            _ = try? IMAPFetchResponse.parse(Array(input[..<end]))
        }
        for index in input.indices where index % 3 == 0 {
            for replacement in Self.bytes("()\"{}~ 0\n\\") {
                var corrupted = input
                corrupted[index] = replacement
                _ = try? IMAPFetchResponse.parse(corrupted)
            }
        }
    }
}
