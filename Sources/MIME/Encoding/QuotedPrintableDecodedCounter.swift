/// Counts the octets a quoted-printable body decodes to, without building them.
///
/// RFC 2045 section 6.7: `=XX` is one octet, `=` before a line break is a soft line break (no octet), and line
/// breaks are CRLF in the canonical form. Malformed escapes are kept literally, as lenient decoders do
/// (an `=` not followed by two hex digits stands for itself; `==` for one `=`; anything between `=` and CR up to the
/// line feed is dropped).
struct QuotedPrintableDecodedCounter {
    private enum State {
        case normal
        case afterEquals
        case afterEqualsHex
        case skippingToLineFeed
    }

    private var state = State.normal
    private var octets: Int64 = 0

    private static func isHex(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "F"), UInt8(ascii: "a")...UInt8(ascii: "f"): true
        default: false
        }
    }

    mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes { consume(byte) }
    }

    /// A line break in the canonical form (CRLF).
    mutating func lineBreak() {
        consume(UInt8(ascii: "\r"))
        consume(UInt8(ascii: "\n"))
    }

    private mutating func consume(_ byte: UInt8) {
        switch state {
        case .normal:
            if byte == UInt8(ascii: "=") { state = .afterEquals } else { octets += 1 }
        case .afterEquals:
            switch byte {
            case UInt8(ascii: "\n"): state = .normal
            case UInt8(ascii: "\r"): state = .skippingToLineFeed
            case UInt8(ascii: "="): octets += 1; state = .normal
            case _ where Self.isHex(byte): state = .afterEqualsHex
            default:
                octets += 1  // the "=" stands for itself; the byte is data as usual
                state = .normal
                consume(byte)
            }
        case .afterEqualsHex:
            if Self.isHex(byte) {
                octets += 1
                state = .normal
            } else {
                octets += 2  // "=" and the first hex digit, literally
                state = .normal
                consume(byte)
            }
        case .skippingToLineFeed:
            if byte == UInt8(ascii: "\n") { state = .normal }
        }
    }

    /// Octets decoded, with whatever the end of the data leaves pending.
    var decodedBytes: Int64 {
        switch state {
        case .afterEqualsHex: octets + 2
        default: octets
        }
    }
}
