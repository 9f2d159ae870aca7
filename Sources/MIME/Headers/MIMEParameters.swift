/// Parameters of a structured MIME header (`; name=value`), with RFC 2231 continuations and charsets.
///
/// Values come out decoded: `filename*0*=big5''%A4%A4; filename*1*=%A4%E5.txt` and
/// `filename="=?UTF-8?B?...?="` (RFC 2047 inside a quoted string, which many mailers still send) both give text.
public struct MIMEParameters: Sendable, Hashable {
    /// Lowercased parameter names with decoded values.
    public private(set) var values: [String: String] = [:]

    public subscript(name: String) -> String? { values[name.lowercased()] }

    init(values: [String: String]) {
        self.values = values
    }

    /// Parses the text after the main value of a structured header (everything from the first `;`).
    public init<Bytes: Collection>(parsing bytes: Bytes) where Bytes.Element == UInt8 {
        let raw = Self.split(Array(bytes))
        var simple: [String: [UInt8]] = [:]
        var sections: [String: [(number: Int, extended: Bool, value: [UInt8])]] = [:]
        for (name, value) in raw {
            var base = Substring(name)
            var extended = false
            if base.hasSuffix("*") {
                extended = true
                base.removeLast()
            }
            if let star = base.lastIndex(of: "*"), let number = Int(base[base.index(after: star)...]) {
                sections[String(base[..<star]), default: []].append((number, extended, value))
            } else if extended {
                sections[String(base), default: []].append((0, true, value))
            } else {
                simple[String(base)] = simple[String(base)] ?? value
            }
        }
        var values: [String: String] = [:]
        for (name, value) in simple {
            values[name] = EncodedWord.decode(value)
        }
        for (name, parts) in sections {
            let ordered = parts.sorted { $0.number < $1.number }
            var charset: String?
            var bytes: [UInt8] = []
            for (index, part) in ordered.enumerated() {
                guard part.extended else {
                    bytes += part.value
                    continue
                }
                var encoded = part.value[...]
                if index == 0 {
                    // charset'language'value (RFC 2231 section 4)
                    let quotes = encoded.indices.filter { encoded[$0] == UInt8(ascii: "'") }
                    if quotes.count >= 2 {
                        charset = String(decoding: encoded[encoded.startIndex..<quotes[0]], as: UTF8.self)
                        encoded = encoded[(quotes[1] + 1)...]
                    }
                }
                bytes += Self.percentDecode(encoded)
            }
            if let charset, !charset.isEmpty, let text = Charset.decode(bytes, label: charset) {
                values[name] = text
            } else {
                values[name] = EncodedWord.decode(bytes)
            }
        }
        self.values = values
    }

    private static func percentDecode(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.endIndex,
               let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return out
    }

    /// Splits `; a=b; c="d e"` into raw (lowercased name, value bytes) pairs, tolerating unquoted values with
    /// spaces and comments.
    private static func split(_ bytes: [UInt8]) -> [(String, [UInt8])] {
        var result: [(String, [UInt8])] = []
        var index = 0
        func skipSpaceAndComments() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0D, 0x0A:
                    index += 1
                case UInt8(ascii: "("):
                    var depth = 0
                    while index < bytes.count {
                        if bytes[index] == UInt8(ascii: "\\") { index += 2; continue }
                        if bytes[index] == UInt8(ascii: "(") { depth += 1 }
                        if bytes[index] == UInt8(ascii: ")") { depth -= 1; if depth == 0 { index += 1; break } }
                        index += 1
                    }
                default:
                    return
                }
            }
        }
        while index < bytes.count {
            skipSpaceAndComments()
            if index < bytes.count, bytes[index] == UInt8(ascii: ";") { index += 1; continue }
            let nameStart = index
            while index < bytes.count, bytes[index] != UInt8(ascii: "="), bytes[index] != UInt8(ascii: ";") { index += 1 }
            var nameBytes = bytes[nameStart..<index]
            while let last = nameBytes.last, last == 0x20 || last == 0x09 { nameBytes.removeLast() }
            guard index < bytes.count, bytes[index] == UInt8(ascii: "=") else { continue }
            index += 1
            skipSpaceAndComments()
            var value: [UInt8] = []
            if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
                index += 1
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                    if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count { index += 1 }
                    if bytes[index] != 0x0D && bytes[index] != 0x0A { value.append(bytes[index]) }
                    index += 1
                }
                index += 1
                while index < bytes.count, bytes[index] != UInt8(ascii: ";") { index += 1 }
            } else {
                let valueStart = index
                while index < bytes.count, bytes[index] != UInt8(ascii: ";") { index += 1 }
                var slice = bytes[valueStart..<index]
                while let last = slice.last, last == 0x20 || last == 0x09 || last == 0x0D || last == 0x0A { slice.removeLast() }
                // A trailing comment ("utf-8 (note)"); parentheses inside an unquoted name ("a (1).pdf") stay.
                if slice.last == UInt8(ascii: ")"), let open = slice.firstIndex(of: UInt8(ascii: "(")),
                   open > slice.startIndex, slice[open - 1] == 0x20 || slice[open - 1] == 0x09 {
                    slice = slice[..<open]
                    while let last = slice.last, last == 0x20 || last == 0x09 { slice.removeLast() }
                }
                value = Array(slice)
            }
            let name = String(decoding: nameBytes, as: UTF8.self).lowercased()
            if !name.isEmpty { result.append((name, value)) }
        }
        return result
    }
}
