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
        var end = 0
        while end < value.count, value[end] != UInt8(ascii: ";") { end += 1 }
        let main = value[..<end].contains(UInt8(ascii: "(")) ? Self.removingComments(value[..<end]) : Array(value[..<end])
        guard let slash = main.firstIndex(of: UInt8(ascii: "/")),
              let type = Self.token(main[..<slash]), let subtype = Self.token(main[(slash + 1)...]) else { return nil }
        self.type = type
        self.subtype = subtype
        self.parameters = MIMEParameters(parsing: value[end...])
    }

    /// The lowercased RFC 2045 token in `bytes` after trimming white space; nil if empty or not a token.
    private static func token(_ bytes: ArraySlice<UInt8>) -> String? {
        var slice = bytes
        while let first = slice.first, first == 0x20 || first == 0x09 || first == 0x0D || first == 0x0A { slice.removeFirst() }
        while let last = slice.last, last == 0x20 || last == 0x09 || last == 0x0D || last == 0x0A { slice.removeLast() }
        guard !slice.isEmpty else { return nil }
        var lowered: [UInt8] = []
        lowered.reserveCapacity(slice.count)
        for byte in slice {
            switch byte {
            case 0...0x20, 0x7F...0xFF, UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "<"), UInt8(ascii: ">"),
                 UInt8(ascii: "@"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: ":"), UInt8(ascii: "\\"),
                 UInt8(ascii: "\""), UInt8(ascii: "/"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "?"), UInt8(ascii: "="):
                return nil
            case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                lowered.append(byte | 0x20)
            default:
                lowered.append(byte)
            }
        }
        return String(decoding: lowered, as: UTF8.self)
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
