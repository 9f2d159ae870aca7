/// A Content-Transfer-Encoding value (RFC 2045 section 6), plus the common uuencode extension.
public enum TransferEncoding: Sendable, Hashable {
    case sevenBit
    case eightBit
    case binary
    case base64
    case quotedPrintable
    case uuencode
    /// Anything else, lowercased as found. Measured as if unencoded.
    case other(String)

    public init(headerValue: String) {
        switch headerValue.trimmingWhitespace().lowercased() {
        case "", "7bit": self = .sevenBit
        case "8bit": self = .eightBit
        case "binary": self = .binary
        case "base64": self = .base64
        case "quoted-printable": self = .quotedPrintable
        case "x-uuencode", "uuencode", "x-uue", "uue": self = .uuencode
        case let other: self = .other(other)
        }
    }

    /// The name as written in a header.
    public var name: String {
        switch self {
        case .sevenBit: "7bit"
        case .eightBit: "8bit"
        case .binary: "binary"
        case .base64: "base64"
        case .quotedPrintable: "quoted-printable"
        case .uuencode: "x-uuencode"
        case .other(let name): name
        }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" || first == "\r" || first == "\n" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" || last == "\r" || last == "\n" { scalars.removeLast() }
        return String(scalars)
    }
}
