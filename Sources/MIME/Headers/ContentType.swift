/// A Content-Type value (RFC 2045 section 5): type, subtype and parameters.
public struct ContentType: Sendable, Hashable {
    /// Lowercased top-level type ("text", "multipart").
    public var type: String
    /// Lowercased subtype ("plain", "mixed").
    public var subtype: String
    public var parameters: MIMEParameters

    public init(type: String, subtype: String, parameters: [String: String] = [:]) {
        self.type = type.lowercased()
        self.subtype = subtype.lowercased()
        self.parameters = MIMEParameters(values: parameters)
    }

    /// The RFC 2045 default, for entities without a Content-Type.
    public static let textPlain = ContentType(type: "text", subtype: "plain", parameters: ["charset": "us-ascii"])
    /// The default inside multipart/digest (RFC 2046 section 5.1.5).
    public static let messageRFC822 = ContentType(type: "message", subtype: "rfc822")

    /// "type/subtype".
    public var mimeType: String { "\(type)/\(subtype)" }

    public var isMultipart: Bool { type == "multipart" }

    /// Parses a header value; nil when it has no valid type/subtype.
    public init?(parsing value: [UInt8]) {
        var index = 0
        while index < value.count, value[index] == 0x20 || value[index] == 0x09 { index += 1 }
        let start = index
        while index < value.count, value[index] != UInt8(ascii: ";") { index += 1 }
        var main = ArraySlice(Self.removingComments(value[start..<index]))
        while let last = main.last, last == 0x20 || last == 0x09 || last == 0x0D || last == 0x0A { main.removeLast() }
        let text = String(decoding: main, as: UTF8.self)
        let pieces = text.split(separator: "/", maxSplits: 1).map { String($0).trimmingWhitespace() }
        guard pieces.count == 2, Self.isToken(pieces[0]), Self.isToken(pieces[1]) else { return nil }
        self.type = pieces[0].lowercased()
        self.subtype = pieces[1].lowercased()
        self.parameters = MIMEParameters(parsing: value[index...])
    }

    /// The bytes without RFC 5322 comments ("(...)", nested, with quoted pairs).
    static func removingComments(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        var depth = 0
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\") && depth > 0 {
                index += 2
                continue
            }
            if byte == UInt8(ascii: "(") { depth += 1 } else if byte == UInt8(ascii: ")") && depth > 0 { depth -= 1 } else if depth == 0 { out.append(byte) }
            index += 1
        }
        return out
    }

    private static func isToken(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { byte in
            byte > 0x20 && byte < 0x7F && !"()<>@,;:\\\"/[]?=".utf8.contains(byte)
        }
    }
}

/// A Content-Disposition value (RFC 2183): "inline" or "attachment" and parameters such as filename.
public struct ContentDisposition: Sendable, Hashable {
    /// Lowercased disposition type.
    public var type: String
    public var parameters: MIMEParameters

    public init(parsing value: [UInt8]) {
        var index = 0
        while index < value.count, value[index] != UInt8(ascii: ";") { index += 1 }
        self.type = String(decoding: value[0..<index], as: UTF8.self).trimmingWhitespace().lowercased()
        self.parameters = MIMEParameters(parsing: value[index...])
    }
}
