/// A failure to read an IMAP server's response, at the octet where reading could not go on.
///
/// `offset` counts octets from the start of the buffer given to ``IMAPFetchResponse/parse(_:)``; it may equal the
/// buffer's length when the data ends too early.
public struct IMAPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Octets from the start of the buffer to where the problem was found.
    public var offset: Int
    /// What was expected there, in English.
    public var reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "IMAP response, octet \(offset): \(reason)" }
}

/// Reads the lexical pieces of IMAP4rev1 server data (RFC 3501 section 9): atoms, numbers, NIL, quoted strings,
/// literals, parenthesized lists and CRLF line ends.
///
/// Every reader of a value skips the spaces before it (servers that send one where the grammar has none, or two for
/// one, are read alike). It never reads past the buffer, and every reader either consumes at least one octet or
/// throws, so loops over it end. Lists nest at most ``maximumDepth`` deep: whoever opens one passes its depth.
struct IMAPTokenizer {
    /// The deepest nesting of parenthesized lists accepted, the FETCH list itself counting as 1.
    static let maximumDepth = 64

    enum Byte {
        static let space = UInt8(ascii: " "), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
        static let open = UInt8(ascii: "("), close = UInt8(ascii: ")"), quote = UInt8(ascii: "\"")
        static let backslash = UInt8(ascii: "\\"), braceOpen = UInt8(ascii: "{"), braceClose = UInt8(ascii: "}")
        static let tilde = UInt8(ascii: "~"), plus = UInt8(ascii: "+"), star = UInt8(ascii: "*")
        static let bracketOpen = UInt8(ascii: "["), bracketClose = UInt8(ascii: "]")
        static let zero = UInt8(ascii: "0"), nine = UInt8(ascii: "9")
    }

    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { offset >= bytes.count }
    var next: UInt8? { offset < bytes.count ? bytes[offset] : nil }
    var nextIsDigit: Bool { next.map { $0 >= Byte.zero && $0 <= Byte.nine } ?? false }
    var nextIsLiteral: Bool {
        next == Byte.braceOpen || (next == Byte.tilde && offset + 1 < bytes.count && bytes[offset + 1] == Byte.braceOpen)
    }

    func failure(_ reason: String, at position: Int? = nil) -> IMAPParseError {
        IMAPParseError(offset: position ?? offset, reason: reason)
    }

    /// Skips any run of spaces.
    mutating func skipSpaces() {
        while next == Byte.space { offset += 1 }
    }

    /// Consumes `byte` if it is next.
    mutating func take(_ byte: UInt8) -> Bool {
        guard next == byte else { return false }
        offset += 1
        return true
    }

    /// Consumes an opening parenthesis that starts a list at nesting `depth`.
    mutating func open(depth: Int, _ what: String) throws(IMAPParseError) {
        skipSpaces()
        guard next == Byte.open else { throw failure("expected \(what)") }
        guard depth <= Self.maximumDepth else { throw failure("lists nested deeper than \(Self.maximumDepth)") }
        offset += 1
    }

    /// Consumes the closing parenthesis of a list, after any spaces.
    mutating func close(_ what: String) throws(IMAPParseError) {
        skipSpaces()
        guard take(Byte.close) else { throw failure(atEnd ? "data ends inside \(what)" : "expected the end of \(what)") }
    }

    /// The run of octets up to a space, parenthesis, quote, brace or line end; empty if one of those is next.
    mutating func atom() -> ArraySlice<UInt8> {
        let start = offset
        while let byte = next, byte != Byte.space, byte != Byte.open, byte != Byte.close, byte != Byte.quote,
              byte != Byte.braceOpen, byte != Byte.cr, byte != Byte.lf {
            offset += 1
        }
        return bytes[start..<offset]
    }

    /// A number (RFC 3501 `number`, digits only), up to `Int64.max`.
    mutating func number() throws(IMAPParseError) -> Int64 {
        skipSpaces()
        let start = offset
        var value: Int64 = 0
        while nextIsDigit, let digit = next {
            let (times, overflowTimes) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowSum) = times.addingReportingOverflow(Int64(digit - Byte.zero))
            guard !overflowTimes, !overflowSum else { throw failure("number too large", at: start) }
            value = sum
            offset += 1
        }
        guard offset > start else { throw failure("expected a number") }
        return value
    }

    /// A number, or nil for NIL.
    mutating func numberOrNil() throws(IMAPParseError) -> Int64? {
        skipSpaces()
        if nextIsDigit { return try number() }
        try nilValue("a number or NIL")
        return nil
    }

    /// Consumes NIL, where `what` could have been.
    mutating func nilValue(_ what: String) throws(IMAPParseError) {
        skipSpaces()
        let start = offset
        guard Self.isNIL(atom()) else { throw failure("expected \(what)", at: start) }
    }

    /// A string (quoted or literal), or nil for NIL; a bare atom is taken as its own text, as lenient readers do.
    mutating func nstring() throws(IMAPParseError) -> [UInt8]? {
        skipSpaces()
        if next == Byte.quote { return try quoted() }
        if nextIsLiteral { return Array(bytes[try literal()]) }
        let word = atom()
        guard !word.isEmpty else { throw failure(atEnd ? "data ends where a string was expected" : "expected a string or NIL") }
        return Self.isNIL(word) ? nil : Array(word)
    }

    /// A quoted string's content: `\"` and `\\` stand for `"` and `\`; a backslash before anything else is kept.
    mutating func quoted() throws(IMAPParseError) -> [UInt8] {
        let start = offset
        offset += 1
        var text: [UInt8] = []
        while true {
            guard let byte = next, byte != Byte.cr, byte != Byte.lf else { throw failure("quoted string not closed", at: start) }
            offset += 1
            if byte == Byte.quote { return text }
            if byte == Byte.backslash, let escaped = next, escaped == Byte.quote || escaped == Byte.backslash {
                offset += 1
                text.append(escaped)
            } else {
                text.append(byte)
            }
        }
    }

    /// The range of a literal's octets: `{N}`, `{N+}` (RFC 7888) or `~{N}` (RFC 3516), CRLF, then N octets.
    mutating func literal() throws(IMAPParseError) -> Range<Int> {
        let start = offset
        _ = take(Byte.tilde)
        guard take(Byte.braceOpen), nextIsDigit else { throw failure("expected a literal", at: start) }
        let count = try number()
        _ = take(Byte.plus)
        guard take(Byte.braceClose) else { throw failure("literal length not closed by }", at: start) }
        _ = take(Byte.cr)
        guard take(Byte.lf) else { throw failure("literal length not followed by CRLF", at: start) }
        guard count <= Int64(bytes.count - offset) else {
            throw failure("literal of \(count) octets runs past the end of the data", at: start)
        }
        let range = offset..<(offset + Int(count))
        offset = range.upperBound
        return range
    }

    /// Skips one value of any shape (RFC 3501 `body-extension` and the values of FETCH items not modelled):
    /// a list of values at nesting `depth`, a string, a literal, NIL, a number or an atom such as a flag.
    mutating func skipValue(depth: Int) throws(IMAPParseError) {
        skipSpaces()
        if next == Byte.open {
            try open(depth: depth, "a list")
            while true {
                skipSpaces()
                if take(Byte.close) { return }
                if atEnd { throw failure("data ends inside a list") }
                try skipValue(depth: depth + 1)
            }
        }
        if next == Byte.quote {
            _ = try quoted()
        } else if nextIsLiteral {
            _ = try literal()
        } else if atom().isEmpty {
            throw failure(atEnd ? "data ends where a value was expected"
                          : next == Byte.cr || next == Byte.lf ? "line ends where a value was expected" : "expected a value")
        }
    }

    /// Consumes the CRLF (or bare LF) ending a response, after any spaces; the end of the data also ends it.
    mutating func endOfLine() throws(IMAPParseError) {
        skipSpaces()
        if atEnd { return }
        _ = take(Byte.cr)
        guard take(Byte.lf) else { throw failure("expected the end of the line") }
    }

    /// Skips to the start of the next line. With `literals`, a `{N}` just before a line end carries the next N
    /// octets into this line, as in data responses (LIST, STATUS); status responses (OK, NO, BAD) carry free text.
    mutating func skipLine(literals: Bool) throws(IMAPParseError) {
        while let end = bytes[offset...].firstIndex(of: Byte.lf) {
            offset = end + 1
            guard literals, let (start, count) = Self.literal(endingBefore: end, in: bytes) else { return }
            guard count <= bytes.count - offset else {
                throw failure("literal of \(count) octets runs past the end of the data", at: start)
            }
            offset += count
        }
        offset = bytes.count
    }

    /// Where a `{N}` or `{N+}` that ends just before the LF (and optional CR) at `lineFeed` starts, and its N.
    static func literal(endingBefore lineFeed: Int, in bytes: [UInt8]) -> (start: Int, count: Int)? {
        var index = lineFeed - 1
        if index >= 0, bytes[index] == Byte.cr { index -= 1 }
        guard index >= 0, bytes[index] == Byte.braceClose else { return nil }
        index -= 1
        if index >= 0, bytes[index] == Byte.plus { index -= 1 }
        var count = 0
        var scale = 1
        while index >= 0, bytes[index] >= Byte.zero, bytes[index] <= Byte.nine {
            guard scale <= 1_000_000_000_000 else { return nil }
            count += Int(bytes[index] - Byte.zero) * scale
            scale *= 10
            index -= 1
        }
        guard scale > 1, index >= 0, bytes[index] == Byte.braceOpen else { return nil }
        return (index, count)
    }

    static func isNIL(_ word: ArraySlice<UInt8>) -> Bool {
        word.count == 3 && uppercased(word) == "NIL"
    }

    static func uppercased(_ word: some Sequence<UInt8>) -> String {
        String(decoding: word.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }, as: UTF8.self)
    }

    static func lowercased(_ word: some Sequence<UInt8>) -> String {
        String(decoding: word.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }, as: UTF8.self)
    }
}
