/// A push parser that turns message bytes into a `Message`: a tree of entities over byte spans.
///
/// Feed it chunks of any size (`feed`), or let it read straight into its buffer (`fill`), then call `finish`.
/// It never holds a body: lines are scanned in a fixed buffer, bodies are measured as they pass, and only header
/// sections (bounded by `ParserLimits.maxHeaderBytes`) are kept for parsing. Framing is kept apart from decoding:
/// the boundary scanner decides where a body ends, and the decoded-size counters never see a delimiter.
public final class MessageParser {
    public var limits: ParserLimits { core.limits }
    private let storage: UnsafeMutableRawBufferPointer
    private var core: ParserCore

    public init(limits: ParserLimits = .default) {
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: limits.bufferBytes, alignment: 64)
        core = ParserCore(limits: limits, storage: storage)
    }

    deinit {
        storage.deallocate()
    }

    /// Parses bytes already in memory in one call.
    public static func parse<Bytes: Collection>(_ bytes: Bytes, limits: ParserLimits = .default) -> Message where Bytes.Element == UInt8 {
        let parser = MessageParser(limits: limits)
        let array = Array(bytes)
        array.withUnsafeBytes { parser.feed($0) }
        return parser.finish()
    }

    /// Pushes the next bytes of the message.
    public func feed(_ bytes: UnsafeRawBufferPointer) {
        core.feed(bytes)
    }

    /// Parses bytes where they lie (a mapped window of a file): only a last partial line is copied, to be
    /// completed by the next call. The bytes need to stay valid only during the call.
    public func feedInPlace(_ bytes: UnsafeRawBufferPointer) {
        core.feedInPlace(bytes)
    }

    /// Lets `read` write the next bytes straight into the parser's buffer, then parses them.
    ///
    /// `read` gets the free space and returns how many bytes it wrote; 0 means the end of the input.
    /// Returns false at the end of the input.
    public func fill(_ read: (UnsafeMutableRawBufferPointer) throws -> Int) rethrows -> Bool {
        try core.fill(read)
    }

    /// Ends the input and returns the parsed message.
    public func finish() -> Message {
        core.finish()
    }
}
