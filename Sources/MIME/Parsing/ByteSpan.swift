/// A half-open range of byte offsets into the message source.
///
/// Offsets count octets of the source as stored (a file or spooled stdin), not of the wire form.
public struct ByteSpan: Sendable, Hashable, Codable {
    /// Offset of the first octet.
    public var start: Int64
    /// Offset one past the last octet.
    public var end: Int64

    public init(start: Int64, end: Int64) {
        self.start = start
        self.end = max(start, end)
    }

    /// Octets in the source.
    public var count: Int64 { end - start }
}

/// A position in the source together with the octets the wire form adds before it.
///
/// SMTP sends every line ending as CRLF, so each bare line feed (LF without CR) costs one octet more on the wire,
/// and a source that does not end in a line break gets a CRLF from the client (two octets). The wire size of any
/// span is its source length plus the octets added inside it.
struct WirePosition: Sendable, Hashable {
    var offset: Int64
    var addedOctets: Int64

    static let zero = WirePosition(offset: 0, addedOctets: 0)

    /// Octets on the wire between `self` and `end` (CRLF line endings, no dot-stuffing).
    func wireBytes(to end: WirePosition) -> Int64 {
        (end.offset - offset) + (end.addedOctets - addedOctets)
    }
}
