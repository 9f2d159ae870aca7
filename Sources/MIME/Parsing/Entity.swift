/// One MIME entity of a parsed message: where its header and body sit in the source, and what they measure.
///
/// Entities live in `Message.entities`, root first; `parent` and `children` are indices into that array.
public struct Entity: Sendable {
    public enum Kind: String, Sendable {
        /// A body part that is not split further (text, attachment).
        case leaf
        /// A multipart/* entity whose parts are recorded as children.
        case multipart
        /// A message/rfc822 (or message/global) part, measured whole as an attachment in itself.
        case message
    }

    /// Section path in IMAP numbering: "1", "1.2", "2". Empty for a multipart root.
    public internal(set) var path: String
    public internal(set) var parent: Int?
    public internal(set) var children: [Int] = []
    public internal(set) var kind: Kind = .leaf
    /// Nesting depth: 0 for the root.
    public internal(set) var depth: Int
    public internal(set) var header: HeaderSection = HeaderSection()
    public internal(set) var contentType: ContentType = .textPlain
    public internal(set) var transferEncoding: TransferEncoding = .sevenBit
    /// Content-Disposition value ("attachment", "inline"), lowercased; nil when absent.
    public internal(set) var disposition: String?
    /// Filename from Content-Disposition (RFC 2231 / 2047 decoded), else Content-Type's name parameter.
    public internal(set) var filename: String?
    /// Header section in the source, including the empty line that ends it.
    public internal(set) var headerSpan: ByteSpan
    /// Body in the source. For a body part, the line break before the next delimiter belongs to the delimiter, not here.
    public internal(set) var bodySpan: ByteSpan
    /// Octets on the wire of the header section (CRLF line endings), including the empty line.
    public internal(set) var headerWireBytes: Int64 = 0
    /// Octets on the wire of the body as transmitted (after transfer encoding, CRLF line endings).
    public internal(set) var bodyWireBytes: Int64 = 0
    /// Octets of the body after transfer decoding; text line breaks count as CRLF (the canonical form).
    public internal(set) var decodedBytes: Int64 = 0
    /// True when the body is the last thing in a source without a final line break: the CRLF a client adds when
    /// sending ends it (and counts in its sizes).
    public internal(set) var endsWithAddedLineBreak = false

    /// For a body part: where the delimiter line before it begins, with the line break that belongs to the
    /// delimiter (RFC 2046 section 5.1.1). Removing `delimiterStart..<bodySpan.end` removes the part cleanly.
    public internal(set) var delimiterStart: Int64 = 0
    /// Where `delimiterStart` is on the wire: its offset with the CR each bare line feed before it gains.
    public internal(set) var delimiterWireStart: Int64 = 0

    /// Where the header and the body begin, with the bare line feeds before them, so spans measure on the wire.
    var headerStart = WirePosition.zero
    var bodyStart = WirePosition.zero

    init(path: String, parent: Int?, depth: Int, headerStart: WirePosition) {
        self.headerStart = headerStart
        self.bodyStart = headerStart
        self.path = path
        self.parent = parent
        self.depth = depth
        self.headerSpan = ByteSpan(start: headerStart.offset, end: headerStart.offset)
        self.bodySpan = ByteSpan(start: headerStart.offset, end: headerStart.offset)
    }

    /// Where the header section begins on the wire (CRLF line endings).
    public var headerWireStart: Int64 { headerStart.offset + headerStart.addedOctets }
    /// Where the body begins on the wire.
    public var bodyWireStart: Int64 { bodyStart.offset + bodyStart.addedOctets }
    /// Where the body ends on the wire, without the CRLF a client adds to a source that lacks a final line break.
    public var bodyWireEnd: Int64 { bodyWireStart + bodyWireBytes - (endsWithAddedLineBreak ? 2 : 0) }

    /// True for entities a user sees as a part: leaves and attached messages.
    public var isLeaf: Bool { kind != .multipart }
}
