/// One leaf of a checked message, as a report shows it.
public struct PartReport: Sendable, Hashable {
    /// IMAP section path ("1", "1.2").
    public var path: String
    public var contentType: String
    public var filename: String?
    public var disposition: String?
    public var transferEncoding: String
    /// Octets of the part's body on the wire: after transfer encoding, CRLF line endings.
    public var wireBytes: Int64
    /// Octets of the part's header section on the wire (0 for the body of a single-part message).
    public var headerWireBytes: Int64
    /// Octets of the body after transfer decoding (text line breaks as CRLF).
    public var decodedBytes: Int64
}
