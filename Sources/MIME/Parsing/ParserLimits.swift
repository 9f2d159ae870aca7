/// Hard bounds that keep parsing memory and time bounded whatever the input.
public struct ParserLimits: Sendable, Hashable {
    /// Octets of one header section kept for parsing; the rest is measured but not parsed.
    public var maxHeaderBytes: Int
    /// Multiparts nested deeper than this are measured as single leaves.
    public var maxDepth: Int
    /// Entities recorded; after this the rest of the message is measured as part of the last one.
    public var maxEntities: Int
    /// Size of the read buffer. A line longer than half of it is processed in pieces.
    public var bufferBytes: Int

    public init(maxHeaderBytes: Int = 256 * 1024, maxDepth: Int = 64, maxEntities: Int = 10_000, bufferBytes: Int = 256 * 1024) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxDepth = maxDepth
        self.maxEntities = maxEntities
        self.bufferBytes = max(bufferBytes, 4096)
    }

    public static let `default` = ParserLimits()
}
