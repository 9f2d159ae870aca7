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

    public init(path: String, contentType: String, filename: String?, disposition: String?, transferEncoding: String,
                wireBytes: Int64, headerWireBytes: Int64, decodedBytes: Int64) {
        self.path = path
        self.contentType = contentType
        self.filename = filename
        self.disposition = disposition
        self.transferEncoding = transferEncoding
        self.wireBytes = wireBytes
        self.headerWireBytes = headerWireBytes
        self.decodedBytes = decodedBytes
    }
}
