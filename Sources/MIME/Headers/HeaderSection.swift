/// One header field as found: its name and its value with folding removed, still as bytes.
public struct HeaderField: Sendable, Hashable {
    public var name: String
    /// The unfolded value after the colon, leading white space removed. Bytes, because headers may carry 8-bit text.
    public var value: [UInt8]

    public init(name: String, value: [UInt8]) {
        self.name = name
        self.value = value
    }
}

/// The fields of one header section (RFC 5322 section 2.2), in order.
public struct HeaderSection: Sendable {
    public internal(set) var fields: [HeaderField] = []

    public init(fields: [HeaderField] = []) {
        self.fields = fields
    }

    /// The first field of that name (case-insensitive).
    public subscript(name: String) -> HeaderField? {
        fields.first { Self.sameName($0.name, name) }
    }

    /// Every field of that name (case-insensitive).
    public func all(_ name: String) -> [HeaderField] {
        fields.filter { Self.sameName($0.name, name) }
    }

    /// Field names compare case-insensitively in ASCII (RFC 5322 section 1.2.2), without allocating.
    static func sameName(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && zip(a.utf8, b.utf8).allSatisfy { x, y in
            x == y || (x | 0x20 == y | 0x20 && (x | 0x20) >= UInt8(ascii: "a") && (x | 0x20) <= UInt8(ascii: "z"))
        }
    }

    /// A field's value decoded for display: RFC 2047 encoded words decoded, 8-bit text read as UTF-8 or a legacy charset.
    public func text(_ name: String) -> String? {
        self[name].map { EncodedWord.decode($0.value) }
    }

    /// Parses a header section from its raw bytes (line breaks LF or CRLF). Lines that are not fields are skipped.
    public init(parsing raw: [UInt8]) {
        var fields: [HeaderField] = []
        var current: (name: String, value: [UInt8])?
        var lineStart = 0
        func flush() {
            if let field = current {
                var value = field.value[...]
                while let first = value.first, first == 0x20 || first == 0x09 { value.removeFirst() }
                while let last = value.last, last == 0x20 || last == 0x09 { value.removeLast() }
                fields.append(HeaderField(name: field.name, value: Array(value)))
            }
            current = nil
        }
        while lineStart < raw.count {
            var lineEnd = lineStart
            while lineEnd < raw.count && raw[lineEnd] != 0x0A { lineEnd += 1 }
            var contentEnd = lineEnd
            if contentEnd > lineStart && raw[contentEnd - 1] == 0x0D { contentEnd -= 1 }
            let line = raw[lineStart..<contentEnd]
            if let first = line.first, first == 0x20 || first == 0x09 {
                // Unfolding (RFC 5322 section 2.2.3): the line break is removed, the white space kept.
                current?.value.append(contentsOf: line)
            } else if let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex {
                flush()
                var nameBytes = raw[line.startIndex..<colon]
                while let last = nameBytes.last, last == 0x20 || last == 0x09 { nameBytes.removeLast() }
                let name = String(decoding: nameBytes, as: UTF8.self)
                current = (name, Array(raw[(colon + 1)..<contentEnd]))
            } else {
                flush()
            }
            lineStart = lineEnd + 1
        }
        flush()
        self.fields = fields
    }
}

/// Whether a line can start a header field: a field name of printable ASCII other than colon, then a colon
/// (RFC 5322 section 2.2; obsolete syntax allows white space before the colon).
func looksLikeHeaderField(_ line: UnsafeRawBufferPointer) -> Bool {
    var sawName = false
    var sawSpace = false
    for byte in line {
        switch byte {
        case UInt8(ascii: ":"):
            return sawName
        case 0x20, 0x09:
            guard sawName else { return false }
            sawSpace = true
        case 0x21...0x7E:
            if sawSpace { return false }
            sawName = true
        default:
            return false
        }
    }
    return false
}
