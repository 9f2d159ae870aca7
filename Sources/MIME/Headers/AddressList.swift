/// A mailbox from an address header: display name (decoded) and addr-spec.
public struct Mailbox: Sendable, Hashable {
    public var displayName: String?
    /// local-part@domain as written.
    public var address: String

    public init(displayName: String? = nil, address: String) {
        self.displayName = displayName
        self.address = address
    }

    /// The domain, lowercased, without a trailing dot; nil when the address has none.
    public var domain: String? {
        guard let at = address.lastIndex(of: "@") else { return nil }
        var domain = address[address.index(after: at)...].lowercased()
        while domain.hasSuffix(".") { domain.removeLast() }
        return domain.isEmpty ? nil : domain
    }
}

/// Address lists of From, To, Cc, Bcc (RFC 5322 section 3.4), read leniently.
///
/// Handles display names (quoted, encoded words), angle addresses, comments, groups (`team: a@x, b@y;`) and
/// the bare addresses old software writes. Never throws: what is not an address is skipped.
public enum AddressList {
    public static func parse(_ value: [UInt8]) -> [Mailbox] {
        var mailboxes: [Mailbox] = []
        for item in splitItems(value) {
            if let mailbox = parseMailbox(item) { mailboxes.append(mailbox) }
        }
        return mailboxes
    }

    /// Splits on commas and group punctuation outside quotes, comments and angle brackets.
    private static func splitItems(_ value: [UInt8]) -> [[UInt8]] {
        var items: [[UInt8]] = []
        var current: [UInt8] = []
        var inQuote = false
        var commentDepth = 0
        var inAngle = false
        var index = 0
        while index < value.count {
            let byte = value[index]
            if inQuote {
                current.append(byte)
                if byte == UInt8(ascii: "\\"), index + 1 < value.count {
                    index += 1
                    current.append(value[index])
                } else if byte == UInt8(ascii: "\"") {
                    inQuote = false
                }
            } else if commentDepth > 0 {
                if byte == UInt8(ascii: "(") { commentDepth += 1 }
                if byte == UInt8(ascii: ")") { commentDepth -= 1 }
                if byte == UInt8(ascii: "\\") { index += 1 }
                // Comments are dropped: a display name may sit in one, but the address never does.
            } else {
                switch byte {
                case UInt8(ascii: "\""):
                    inQuote = true
                    current.append(byte)
                case UInt8(ascii: "("):
                    commentDepth = 1
                case UInt8(ascii: "<"):
                    inAngle = true
                    current.append(byte)
                case UInt8(ascii: ">"):
                    inAngle = false
                    current.append(byte)
                case UInt8(ascii: ",") where !inAngle, UInt8(ascii: ";") where !inAngle:
                    items.append(current)
                    current = []
                case UInt8(ascii: ":") where !inAngle:
                    // A group's display name ends here; its members follow.
                    current = []
                default:
                    current.append(byte)
                }
            }
            index += 1
        }
        items.append(current)
        return items
    }

    private static func parseMailbox(_ item: [UInt8]) -> Mailbox? {
        let text = item
        if let open = text.lastIndex(of: UInt8(ascii: "<")) {
            let close = text[open...].firstIndex(of: UInt8(ascii: ">")) ?? text.endIndex
            let address = trim(String(decoding: text[(open + 1)..<close], as: UTF8.self))
            guard address.contains("@") else { return nil }
            var name = trim(EncodedWord.decode(text[..<open]))
            if name.hasPrefix("\"") && name.hasSuffix("\"") && name.count >= 2 {
                name = String(name.dropFirst().dropLast())
            }
            return Mailbox(displayName: name.isEmpty ? nil : name, address: stripRoute(address))
        }
        let address = trim(String(decoding: text, as: UTF8.self))
        guard address.contains("@"), !address.contains(" ") else { return nil }
        return Mailbox(address: address)
    }

    /// Obsolete source routes: `<@relay.example:user@example.org>`.
    private static func stripRoute(_ address: String) -> String {
        guard address.hasPrefix("@"), let colon = address.firstIndex(of: ":") else { return address }
        return String(address[address.index(after: colon)...])
    }

    private static func trim(_ text: String) -> String {
        text.trimmingWhitespace()
    }
}
