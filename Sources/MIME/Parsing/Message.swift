/// A parsed message: a tree of entities over byte ranges of its source, with the defects found on the way.
public struct Message: Sendable {
    /// All entities, root first, in source order.
    public internal(set) var entities: [Entity]
    public internal(set) var defects: [Defect]
    /// Octets of the source as stored.
    public internal(set) var sourceBytes: Int64
    /// Octets after SMTP DATA as RFC 1870 counts them: CRLF line endings, no dot-stuffing, no final ".",
    /// including the CRLF a client must add when the source does not end with a line break.
    public internal(set) var wireBytes: Int64
    /// Number of line feeds in the source without a CR before them.
    public internal(set) var bareLineFeeds: Int64
    /// Number of line breaks in the source.
    public internal(set) var lineFeeds: Int64

    /// The line break the source uses: CRLF, unless every line ends in a bare LF (as Unix mail tools write).
    public var lineBreak: [UInt8] {
        lineFeeds > 0 && bareLineFeeds == lineFeeds ? [0x0A] : [0x0D, 0x0A]
    }

    public var root: Entity { entities[0] }

    /// Leaves and attached messages, in source order.
    public var leaves: [Entity] { entities.filter(\.isLeaf) }

    /// Sum of the decoded sizes of all leaves: what a provider that counts "before encoding" measures.
    public var decodedBytes: Int64 { entities.reduce(0) { $0 + ($1.isLeaf ? $1.decodedBytes : 0) } }

    /// True when the message is signed or encrypted somewhere, so that rewriting it would break it.
    public var isSignedOrEncrypted: Bool {
        entities.contains { entity in
            let type = entity.contentType
            switch (type.type, type.subtype) {
            case ("multipart", "signed"), ("multipart", "encrypted"),
                 ("application", "pkcs7-mime"), ("application", "x-pkcs7-mime"),
                 ("application", "pgp-encrypted"):
                return true
            default:
                return false
            }
        }
    }
}
