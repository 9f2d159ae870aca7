/// Parses what is written as it passes, and counts it: the sizes of a message that is only ever measured, read
/// by the same parser (and decoders) that reads a file, with nothing held but the parser's buffer.
public struct ParsingSink: ByteSink {
    public private(set) var counter = CountingSink()
    private let parser: MessageParser

    public init(limits: ParserLimits = .default) {
        parser = MessageParser(limits: limits)
    }

    public mutating func write(_ buffer: UnsafeRawBufferPointer) {
        counter.write(buffer)
        parser.feed(buffer)
    }

    /// Ends the input and returns the message written.
    public func finish() -> Message {
        parser.finish()
    }
}
