/// New header and body bytes for an entity; nil keeps that piece as the source has it.
public struct RewrittenPart: Sendable {
    public var header: [UInt8]?
    public var body: [UInt8]?

    public init(header: [UInt8]? = nil, body: [UInt8]? = nil) {
        self.header = header
        self.body = body
    }
}

/// Adds text to a text/plain or text/html body while keeping what the body is: its charset when the text can be
/// written in it (else the body moves to UTF-8 and the header says so), its transfer encoding (7bit becomes
/// quoted-printable when the result is no longer ASCII), the source's line breaks.
///
/// The addition is spliced into the body's own bytes, which are not decoded into characters and back, so
/// nothing of the original text can change (Big5-HKSCS round trips are not exact).
public enum TextBodyEditor {
    public enum Placement: Sendable {
        /// After the last line.
        case end
        /// Before `</body>` (else `</html>`, else at the end): HTML.
        case beforeHTMLBodyEnd
    }

    public static func insert(_ addition: String, into entity: Entity, placement: Placement, message: Message,
                              source: SourceFile) throws -> RewrittenPart {
        let lineBreak = message.lineBreak
        var rawHeader = MemorySink()
        try source.copy(entity.headerSpan, into: &rawHeader)
        var decodedSink = MemorySink()
        try source.decodeBody(of: entity, into: &decodedSink)
        var body = decodedSink.bytes

        // The charset to write the addition in; the body moves to UTF-8 when the addition has no form in it.
        let declared = entity.contentType.parameters["charset"]
        var label = declared ?? "us-ascii"
        var charsetChanged = false
        let undeclared8Bit = declared == nil && body.contains { $0 >= 0x80 }
        var additionBytes = undeclared8Bit ? nil : Charset.encode(addition, label: label).map(CRLFSink.canonical)
        if additionBytes == nil || (declared != nil && Charset.decode(body, label: label) == nil) {
            let text = declared.flatMap { Charset.decode(body, label: $0) } ?? Charset.decodeUndeclared(body)
            body = Array(text.utf8)
            label = "UTF-8"
            charsetChanged = true
            additionBytes = CRLFSink.canonical(Array(addition.utf8))
        }
        let bytes = additionBytes ?? []

        switch placement {
        case .end:
            if !body.isEmpty && !body.ends(with: [0x0D, 0x0A]) { body += [0x0D, 0x0A] }
            body += bytes
        case .beforeHTMLBodyEnd:
            let at = body.lastIndex(ofASCIICaseInsensitive: "</body") ?? body.lastIndex(ofASCIICaseInsensitive: "</html") ?? body.count
            body.insert(contentsOf: bytes, at: at)
        }

        // Encode as the body was, where that can still carry it.
        var encoding = entity.transferEncoding
        if encoding == .sevenBit && body.contains(where: { $0 >= 0x80 }) { encoding = .quotedPrintable }
        let encodingChanged = encoding != entity.transferEncoding
        let originalEndsWithLineBreak = entity.bodySpan.count > 0 && (try? source.lastByte(of: entity.bodySpan)) == 0x0A
        var encoded: [UInt8]
        switch encoding {
        case .base64:
            var encoder = Base64EncodingSink(MemorySink(), lineBreak: lineBreak)
            try encoder.write(body)
            encoded = try encoder.finish().bytes
            if originalEndsWithLineBreak { encoded += lineBreak }
        case .quotedPrintable:
            encoded = QuotedPrintableEncoder.encode(body, lineBreak: lineBreak)
        default:
            encoded = body.replacingCRLF(with: lineBreak)
        }

        var header: [UInt8]?
        if charsetChanged || encodingChanged {
            var remove: Set<String> = []
            var add: [String] = []
            if charsetChanged {
                remove.insert("content-type")
                add.append("Content-Type: \(entity.contentType.mimeType); charset=UTF-8" + keptParameters(of: entity.contentType))
            }
            if encodingChanged {
                remove.insert("content-transfer-encoding")
                add.append("Content-Transfer-Encoding: \(encoding.name)")
            }
            header = HeaderEditor.edit(rawHeader.bytes, removing: remove, adding: add, lineBreak: lineBreak)
        }
        return RewrittenPart(header: header, body: encoded)
    }

    /// Content-Type parameters that describe the text and stay when its charset changes.
    private static func keptParameters(of type: ContentType) -> String {
        ["format", "delsp", "reply-type"].compactMap { name in type.parameters[name].map { "; \(name)=\($0)" } }.joined()
    }
}

extension SourceFile {
    /// The last byte of a non-empty span.
    func lastByte(of span: ByteSpan) throws -> UInt8 {
        var sink = MemorySink()
        try copy(ByteSpan(start: span.end - 1, end: span.end), into: &sink)
        return sink.bytes[0]
    }
}

extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }

    /// Where the last occurrence of an ASCII text starts, letters compared without case.
    func lastIndex(ofASCIICaseInsensitive text: String) -> Int? {
        let needle = Array(text.lowercased().utf8)
        guard count >= needle.count else { return nil }
        var start = count - needle.count
        while start >= 0 {
            var matched = true
            for offset in 0..<needle.count {
                var byte = self[start + offset]
                if byte >= 0x41 && byte <= 0x5A { byte |= 0x20 }
                if byte != needle[offset] { matched = false; break }
            }
            if matched { return start }
            start -= 1
        }
        return nil
    }

    /// CRLF pairs replaced by `lineBreak` (LF for sources that use bare line feeds).
    func replacingCRLF(with lineBreak: [UInt8]) -> [UInt8] {
        if lineBreak == [0x0D, 0x0A] { return self }
        var output: [UInt8] = []
        output.reserveCapacity(count)
        var index = 0
        while index < count {
            if self[index] == 0x0D && index + 1 < count && self[index + 1] == 0x0A {
                output += lineBreak
                index += 2
            } else {
                output.append(self[index])
                index += 1
            }
        }
        return output
    }
}
