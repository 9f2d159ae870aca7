import Testing
@testable import MIME

/// Header codecs: RFC 2047 words, RFC 2231 parameters, address lists and charsets.
@Suite("Header fields")
struct HeaderExamples {
    @Test("encoded words in Big5, GB2312, Shift_JIS, ISO-2022-JP, UTF-8 Q and ISO-8859-1 decode")
    func encodedWordsInManyCharsets() {
        #expect(EncodedWord.decode(Array("=?Big5?B?pKSk5Q==?=".utf8)) == "中文")
        #expect(EncodedWord.decode(Array("=?gb2312?B?1tDOxA==?=".utf8)) == "中文")
        #expect(EncodedWord.decode(Array("=?Shift_JIS?B?k/qWe4zq?=".utf8)) == "日本語")
        #expect(EncodedWord.decode(Array("=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=".utf8)) == "日本語")
        #expect(EncodedWord.decode(Array("=?utf-8?Q?caf=C3=A9_cr=C3=A8me?=".utf8)) == "café crème")
        #expect(EncodedWord.decode(Array("=?iso-8859-1?q?Andr=E9?= Pirard".utf8)) == "André Pirard")
    }

    @Test("a character split across two encoded words is joined before decoding")
    func splitCharacter() {
        // 會議 in UTF-8 is E6 9C 83 E8 AD B0; the first word ends after two bytes of 會.
        let value = "=?UTF-8?B?5pw=?=\r\n =?UTF-8?B?g+itsA==?="
        #expect(EncodedWord.decode(Array(value.utf8)) == "會議")
    }

    @Test("white space between encoded words is dropped, around plain text it is kept")
    func whitespaceRules() {
        #expect(EncodedWord.decode(Array("=?utf-8?q?a?= =?utf-8?q?b?=".utf8)) == "ab")
        #expect(EncodedWord.decode(Array("=?utf-8?q?a?= plain =?utf-8?q?b?=".utf8)) == "a plain b")
        #expect(EncodedWord.decode(Array("no words here".utf8)) == "no words here")
        #expect(EncodedWord.decode(Array("=?utf-8?x?bad?=".utf8)) == "=?utf-8?x?bad?=")
    }

    @Test("RFC 2231 continuations with a charset join bytes across sections")
    func rfc2231Continuations() {
        let value = "attachment; filename*0*=utf-8''%E4%BA%8C%E9; filename*1*=%9B%B6.pdf; size=10"
        let disposition = ContentDisposition(parsing: Array(value.utf8))
        #expect(disposition.type == "attachment")
        #expect(disposition.parameters["filename"] == "二零.pdf")
        #expect(disposition.parameters["size"] == "10")
    }

    @Test("RFC 2231 in Big5, plain continuations, and the RFC 2231 value preferred over a plain one")
    func rfc2231Variants() {
        let big5 = ContentType(parsing: Array("application/pdf; name*=big5''%A4%A4%A4%E5.pdf".utf8))
        #expect(big5?.parameters["name"] == "中文.pdf")
        let plain = ContentType(parsing: Array("text/plain; name*0=\"long \"; name*1=\"name.txt\"".utf8))
        #expect(plain?.parameters["name"] == "long name.txt")
        let both = ContentDisposition(parsing: Array("attachment; filename=\"fallback.pdf\"; filename*=UTF-8''%E5%A0%B1%E5%91%8A.pdf".utf8))
        #expect(both.parameters["filename"] == "報告.pdf")
    }

    @Test("quoted parameters keep escapes and encoded words inside them decode")
    func quotedParameters() {
        let type = ContentType(parsing: Array("Multipart/Mixed; boundary=\"a\\\"b; c\"; name=\"=?UTF-8?B?5aCx5ZGK?=.pdf\"".utf8))
        #expect(type?.mimeType == "multipart/mixed")
        #expect(type?.parameters["boundary"] == "a\"b; c")
        #expect(type?.parameters["name"] == "報告.pdf")
        #expect(ContentType(parsing: Array("text".utf8)) == nil)
        #expect(ContentType(parsing: Array("text/plain (comment); charset=utf-8 (another)".utf8))?.parameters["charset"] == "utf-8")
    }

    @Test("address lists: display names, groups, comments, quoted commas, encoded words")
    func addressLists() {
        let value = "\"Chan, Tai Man\" <taiman@netvigator.com>, =?Big5?B?pKSk5Q==?= <a@b.hk>, team: x@y.org, z@w.org;, (comment) bare@example.org, Undisclosed recipients:;"
        let mailboxes = AddressList.parse(Array(value.utf8))
        #expect(mailboxes.map(\.address) == ["taiman@netvigator.com", "a@b.hk", "x@y.org", "z@w.org", "bare@example.org"])
        #expect(mailboxes[0].displayName == "Chan, Tai Man")
        #expect(mailboxes[1].displayName == "中文")
        #expect(Mailbox(address: "Someone@Example.ORG.").domain == "example.org")
    }

    @Test("undeclared 8-bit text: UTF-8 first, then Big5-HKSCS, then GB18030")
    func undeclaredText() {
        #expect(Charset.decodeUndeclared(Array("香港".utf8)) == "香港")
        // Written into a body labelled big5, only Big5's own characters: 裏 is an ETEN/HKSCS extension (F9D8).
        #expect(Charset.encode("這裏", label: "big5") == nil)
        #expect(Charset.encode("這裡", label: "big5") == [0xB3, 0x6F, 0xB8, 0xCC])
        #expect(Charset.encode("這裏", label: "big5-hkscs") != nil)
        #expect(Charset.decodeUndeclared([0xAD, 0xBB, 0xB4, 0xE4]) == "香港")
        #expect(Charset.decode([0x87, 0x40], label: "big5") != nil)  // an HKSCS character, outside plain Big5
        #expect(Charset.decode([0x41], label: "no-such-charset") == nil)
    }

    @Test("header sections unfold continuation lines")
    func unfolding() {
        let section = HeaderSection(parsing: Array("Subject: one\r\n  two\r\nTo: a@b.c\r\n".utf8))
        #expect(section.text("subject") == "one  two")
        #expect(section["TO"]?.value == Array("a@b.c".utf8))
    }
}
