/// A body part mailprep writes: its header fields and a body from a file, encoded as base64.
public struct NewPart: Sendable {
    /// "type/subtype".
    public var mimeType: String
    public var filename: String?
    /// "attachment" or "inline".
    public var disposition: String
    /// Octets of the body before encoding (RFC 2183 `size=`).
    public var size: Int64
    /// The file holding the body's octets.
    public var bodyPath: String

    public init(mimeType: String, filename: String?, disposition: String = "attachment", size: Int64, bodyPath: String) {
        self.mimeType = mimeType
        self.filename = filename
        self.disposition = disposition
        self.size = size
        self.bodyPath = bodyPath
    }

    /// The header section, each line ended by `lineBreak`, followed by the empty line.
    ///
    /// A non-ASCII filename is written twice: as RFC 2231 `filename*` (charset UTF-8, split into continuations
    /// that keep lines under 78 characters) and as an RFC 2047 `name=` on Content-Type, which old readers
    /// understand instead.
    public func header(lineBreak: String) -> String {
        fields(lineBreak: lineBreak).map { $0 + lineBreak }.joined() + lineBreak
    }

    /// The content fields alone, each without its final line break (folded lines inside): what a message that is
    /// itself this part puts in its own header, beside From, To and Subject.
    public func fields(lineBreak: String) -> [String] {
        var lines: [String] = []
        var contentType = "Content-Type: \(mimeType)"
        var disposition = "Content-Disposition: \(self.disposition)"
        if let filename {
            if Self.isPlainToken(filename) {
                contentType += ";\(lineBreak) name=\(Self.quoted(filename))"
                disposition += ";\(lineBreak) filename=\(Self.quoted(filename))"
            } else {
                contentType += ";\(lineBreak) name=\"\(Self.encodedWords(filename).joined(separator: "\(lineBreak) "))\""
                for parameter in Self.rfc2231(name: "filename", value: filename) {
                    disposition += ";\(lineBreak) \(parameter)"
                }
            }
        }
        disposition += ";\(lineBreak) size=\(size)"
        lines.append(contentType)
        lines.append(disposition)
        lines.append("Content-Transfer-Encoding: base64")
        return lines
    }

    /// Content fields a part's header may carry: what a message that becomes another part drops from its own.
    public static let contentFields: Set<String> = ["content-type", "content-transfer-encoding", "content-disposition", "content-id",
                                                    "content-description", "content-md5", "content-location", "content-length"]

    /// True when the name can go in a quoted string as it is: printable ASCII without quotes or backslashes.
    static func isPlainToken(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") } && text.utf8.count <= 60
    }

    static func quoted(_ text: String) -> String {
        "\"" + text + "\""
    }

    /// RFC 2047 B-encoded words of at most 66 characters (so that ` name="` and the word fit a 76-character
    /// line), each holding whole characters.
    static func encodedWords(_ text: String) -> [String] {
        let prefix = "=?UTF-8?B?"
        let room = (66 - prefix.count - 2) / 4 * 3  // octets per word
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > room && !chunk.isEmpty {
                words.append(prefix + base64(chunk) + "?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append(prefix + base64(chunk) + "?=") }
        return words
    }

    /// RFC 2231 parameters with charset UTF-8, in continuations of at most 60 characters of value each.
    public static func rfc2231(name: String, value: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        for character in value {
            var encoded = ""
            for byte in String(character).utf8 {
                let plain = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || "!#$&+-.^_`|~".utf8.contains(byte)
                encoded += plain ? String(UnicodeScalar(byte)) : "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
            if current.count + encoded.count > 60 && !current.isEmpty {
                pieces.append(current)
                current = ""
            }
            current += encoded
        }
        pieces.append(current)
        if pieces.count == 1 { return ["\(name)*=UTF-8''\(pieces[0])"] }
        return pieces.enumerated().map { index, piece in
            "\(name)*\(index)*=" + (index == 0 ? "UTF-8''" : "") + piece
        }
    }

    private static func base64(_ bytes: [UInt8]) -> String {
        var sink = Base64EncodingSink(MemorySink())
        try? sink.write(bytes)
        let memory = (try? sink.finish()) ?? MemorySink()
        return String(decoding: memory.bytes, as: UTF8.self)
    }
}

extension String {
    public func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
