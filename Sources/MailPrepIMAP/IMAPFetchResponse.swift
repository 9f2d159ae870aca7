/// What one message's untagged FETCH responses said (RFC 3501 section 7.4.2), for the items mailprep asks for.
///
/// A server may answer for one message in several FETCH responses; those with the same sequence number (and no
/// two different UIDs) are merged into one item, later values replacing earlier ones.
public struct IMAPFetchItem: Sendable, Equatable {
    /// The message sequence number, as in `* 12 FETCH`.
    public var sequence: Int
    public var uid: UInt32?
    /// The message's size in octets as the server holds it (RFC822.SIZE), CRLF line endings.
    public var rfc822Size: Int64?
    /// From BODYSTRUCTURE, or from BODY (the same without extension data) when no BODYSTRUCTURE came.
    public var bodyStructure: IMAPBodyStructure?
    public var envelope: IMAPEnvelope?

    public init(sequence: Int, uid: UInt32? = nil, rfc822Size: Int64? = nil, bodyStructure: IMAPBodyStructure? = nil,
                envelope: IMAPEnvelope? = nil) {
        self.sequence = sequence
        self.uid = uid
        self.rfc822Size = rfc822Size
        self.bodyStructure = bodyStructure
        self.envelope = envelope
    }

    mutating func merge(_ later: IMAPFetchItem) {
        uid = later.uid ?? uid
        rfc822Size = later.rfc822Size ?? rfc822Size
        bodyStructure = later.bodyStructure ?? bodyStructure
        envelope = later.envelope ?? envelope
    }
}

/// One address of an envelope (RFC 3501 `address`), its strings as the server sent them (encoded words undecoded).
public struct IMAPAddress: Sendable, Equatable {
    /// The display name.
    public var name: [UInt8]?
    /// The local part.
    public var mailbox: [UInt8]?
    /// The domain.
    public var host: [UInt8]?

    public init(name: [UInt8]? = nil, mailbox: [UInt8]? = nil, host: [UInt8]? = nil) {
        self.name = name
        self.mailbox = mailbox
        self.host = host
    }
}

/// A message's envelope (RFC 3501 section 7.4.2, ENVELOPE), its strings as the server sent them.
///
/// Address lists hold the addresses only: the markers RFC 3501 uses for group syntax (host NIL) are dropped and a
/// group's members kept, so "undisclosed-recipients:;" is an empty list.
public struct IMAPEnvelope: Sendable, Equatable {
    public var date: [UInt8]?
    public var subject: [UInt8]?
    public var from: [IMAPAddress], sender: [IMAPAddress], replyTo: [IMAPAddress]
    public var to: [IMAPAddress], cc: [IMAPAddress], bcc: [IMAPAddress]
    public var inReplyTo: [UInt8]?
    public var messageID: [UInt8]?

    public init(date: [UInt8]? = nil, subject: [UInt8]? = nil, from: [IMAPAddress] = [], sender: [IMAPAddress] = [],
                replyTo: [IMAPAddress] = [], to: [IMAPAddress] = [], cc: [IMAPAddress] = [], bcc: [IMAPAddress] = [],
                inReplyTo: [UInt8]? = nil, messageID: [UInt8]? = nil) {
        self.date = date
        self.subject = subject
        (self.from, self.sender, self.replyTo, self.to, self.cc, self.bcc) = (from, sender, replyTo, to, cc, bcc)
        self.inReplyTo = inReplyTo
        self.messageID = messageID
    }
}

/// Parses the untagged FETCH responses in what an IMAP4rev1 server sent for a FETCH or UID FETCH.
public enum IMAPFetchResponse {
    /// The FETCH responses in `bytes`, in order of first appearance, one item per message sequence number.
    ///
    /// `bytes` is everything the server sent, CRLF line ends (bare LF is read alike), literals included; other
    /// untagged responses (`* OK`, `* 5 EXISTS`, `* FLAGS`), continuation requests and the tagged completion are
    /// skipped, so the caller checks the completion's status itself. FETCH items other than UID, RFC822.SIZE,
    /// BODYSTRUCTURE, BODY and ENVELOPE (FLAGS, INTERNALDATE, MODSEQ, X-GM-*, BODY[...]) are skipped. Throws on
    /// data that does not follow the grammar, lists nested deeper than 64, a literal longer than the data, or a
    /// FETCH response cut off by the end of `bytes`.
    public static func parse(_ bytes: [UInt8]) throws(IMAPParseError) -> [IMAPFetchItem] {
        var reader = IMAPTokenizer(bytes)
        var items: [IMAPFetchItem] = []
        var indexBySequence: [Int: Int] = [:]
        while !reader.atEnd {
            guard let sequence = try reader.fetchResponseStart() else { continue }
            var item = IMAPFetchItem(sequence: sequence)
            try reader.fetchAttributes(into: &item)
            try reader.endOfLine()
            if let index = indexBySequence[sequence], items[index].uid == nil || item.uid == nil || items[index].uid == item.uid {
                items[index].merge(item)
            } else {
                indexBySequence[sequence] = items.count
                items.append(item)
            }
        }
        return items
    }
}

private typealias Byte = IMAPTokenizer.Byte

extension IMAPTokenizer {
    /// Reads the start of a line: the sequence number of `* n FETCH`, after which the attribute list follows, or
    /// nil having skipped any other line.
    fileprivate mutating func fetchResponseStart() throws(IMAPParseError) -> Int? {
        guard take(Byte.star) else {
            try skipLine(literals: false)
            return nil
        }
        skipSpaces()
        if nextIsDigit {
            let start = offset
            let number = try number()
            skipSpaces()
            if Self.uppercased(atom()) == "FETCH" {
                guard let sequence = Int(exactly: number) else { throw failure("sequence number too large", at: start) }
                skipSpaces()
                return sequence
            }
            try skipLine(literals: true)
            return nil
        }
        let status = ["OK", "NO", "BAD", "BYE", "PREAUTH"].contains(Self.uppercased(atom()))
        try skipLine(literals: !status)
        return nil
    }

    /// Reads a FETCH attribute list, `(name value name value ...)`, into `item`.
    fileprivate mutating func fetchAttributes(into item: inout IMAPFetchItem) throws(IMAPParseError) {
        try open(depth: 1, "the FETCH attribute list")
        while true {
            skipSpaces()
            if take(Byte.close) { return }
            let start = offset
            let name = try itemName()
            skipSpaces()
            switch name {
            case "UID":
                guard let uid = UInt32(exactly: try number()) else { throw failure("UID out of range", at: start) }
                item.uid = uid
            case "RFC822.SIZE":
                item.rfc822Size = try number()
            case "BODYSTRUCTURE":
                item.bodyStructure = try body(.messageBody(""), depth: 2)
            case "BODY":
                let body = try body(.messageBody(""), depth: 2)
                if item.bodyStructure == nil { item.bodyStructure = body }
            case "ENVELOPE":
                item.envelope = try envelope(depth: 2)
            default:
                try skipValue(depth: 2)
            }
        }
    }

    /// A FETCH item's name, uppercased, with any `[section]` and `<origin>`: `BODY[HEADER.FIELDS (TO)]<0>`.
    private mutating func itemName() throws(IMAPParseError) -> String {
        let start = offset
        while let byte = next, byte != Byte.space, byte != Byte.open, byte != Byte.close, byte != Byte.quote,
              byte != Byte.braceOpen, byte != Byte.cr, byte != Byte.lf {
            offset += 1
            guard byte == Byte.bracketOpen else { continue }
            while !take(Byte.bracketClose) {
                guard let inner = next, inner != Byte.cr, inner != Byte.lf else {
                    throw failure("section not closed by ]", at: start)
                }
                if inner == Byte.quote { _ = try quoted() } else { offset += 1 }
            }
        }
        guard offset > start else {
            throw failure(atEnd ? "data ends inside the FETCH attribute list" : "expected a FETCH item name")
        }
        return Self.uppercased(bytes[start..<offset])
    }

    /// An envelope: date, subject, six address lists, in-reply-to and message-id.
    mutating func envelope(depth: Int) throws(IMAPParseError) -> IMAPEnvelope {
        try open(depth: depth, "an envelope")
        var envelope = IMAPEnvelope()
        envelope.date = try nstring()
        envelope.subject = try nstring()
        envelope.from = try addresses(depth: depth + 1)
        envelope.sender = try addresses(depth: depth + 1)
        envelope.replyTo = try addresses(depth: depth + 1)
        envelope.to = try addresses(depth: depth + 1)
        envelope.cc = try addresses(depth: depth + 1)
        envelope.bcc = try addresses(depth: depth + 1)
        envelope.inReplyTo = try nstring()
        envelope.messageID = try nstring()
        try close("an envelope")
        return envelope
    }

    /// An address list or NIL; group markers (host NIL) are left out.
    private mutating func addresses(depth: Int) throws(IMAPParseError) -> [IMAPAddress] {
        skipSpaces()
        guard next == Byte.open else {
            try nilValue("an address list or NIL")
            return []
        }
        try open(depth: depth, "an address list")
        var list: [IMAPAddress] = []
        while true {
            skipSpaces()
            if take(Byte.close) { return list }
            try open(depth: depth + 1, atEnd ? "the end of an address list" : "an address")
            let name = try nstring()
            _ = try nstring()
            let mailbox = try nstring()
            let host = try nstring()
            try close("an address")
            if host != nil { list.append(IMAPAddress(name: name, mailbox: mailbox, host: host)) }
        }
    }
}
