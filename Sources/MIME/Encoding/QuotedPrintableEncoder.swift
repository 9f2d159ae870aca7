/// Quoted-printable encoding of text (RFC 2045 section 6.7), for the text bodies mailprep rewrites.
///
/// Text bodies are small, so this works on whole byte arrays. Input line breaks are CRLF (the canonical form
/// decoders produce); each becomes `lineBreak`, and a CR or LF on its own is encoded, so decoding gives back
/// the input exactly.
public enum QuotedPrintableEncoder {
    /// Encoded lines hold at most this many characters, a soft line break's `=` included.
    public static let lineLength = 76

    public static func encode(_ input: [UInt8], lineBreak: [UInt8] = [0x0D, 0x0A]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(input.count + input.count / 8)
        var column = 0
        var index = 0
        let hex = Array("0123456789ABCDEF".utf8)
        while index < input.count {
            let byte = input[index]
            if byte == 0x0D && index + 1 < input.count && input[index + 1] == 0x0A {
                output += lineBreak
                column = 0
                index += 2
                continue
            }
            let atLineEnd = index + 1 == input.count
                || (input[index + 1] == 0x0D && index + 2 < input.count && input[index + 2] == 0x0A)
            let literal = (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "="))
                || ((byte == 0x20 || byte == 0x09) && !atLineEnd)
            let width = literal ? 1 : 3
            // Room for this character and, unless the line ends right after it, a soft break.
            let room = atLineEnd ? lineLength : lineLength - 1
            if column + width > room {
                output.append(UInt8(ascii: "="))
                output += lineBreak
                column = 0
            }
            if literal {
                output.append(byte)
            } else {
                output += [UInt8(ascii: "="), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
            column += width
            index += 1
        }
        return output
    }
}
