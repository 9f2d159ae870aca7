#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a parsed message with edits: untouched bytes are copied from the source as they are, replaced
/// entities are written anew. The one serializer: sizing (into a `CountingSink`) and writing (into a `FileSink`)
/// run the same code, so a predicted size is the written size.
public struct MessageWriter {
    public let message: Message
    public let source: SourceFile
    /// What is changed; everything else is copied from the source as it is.
    public var edits: MessageEdits

    public init(message: Message, source: SourceFile, edits: MessageEdits = MessageEdits()) {
        self.message = message
        self.source = source
        self.edits = edits
    }

    public func write<Sink: ByteSink>(into sink: inout Sink) throws {
        try edits.validate(in: message)
        let lineBreak = message.lineBreak
        let lineBreakText = String(decoding: lineBreak, as: UTF8.self)
        var cursor: Int64 = 0
        for change in try edits.changes(in: message, source: source) {
            try source.copy(ByteSpan(start: cursor, end: change.span.start), into: &sink)
            switch change.content {
            case .bytes(let bytes):
                try sink.write(bytes)
            case .part(let part):
                try sink.write(part.header(lineBreak: lineBreakText))
                try Self.encodeBody(of: part, into: &sink, lineBreak: lineBreak)
            case .partBody(let part):
                try Self.encodeBody(of: part, into: &sink, lineBreak: lineBreak)
                try sink.write(lineBreak)
            case .nothing:
                break
            }
            // The line break before the next delimiter stays in the source and is copied from there.
            cursor = change.span.end
        }
        try source.copy(ByteSpan(start: cursor, end: message.sourceBytes), into: &sink)
    }

    /// A new part's file, base64-encoded into `sink`.
    static func encodeBody<Sink: ByteSink>(of part: NewPart, into sink: inout Sink, lineBreak: [UInt8]) throws {
        var encoder = Base64EncodingSink(sink, lineBreak: lineBreak)
        let body = try SourceFile(path: part.bodyPath)
        let size = try Self.size(of: part.bodyPath)
        guard size == part.size else {
            throw FileError(path: part.bodyPath, errno: EIO, operation: "read (the file is not the size its part declares)")
        }
        try body.copy(ByteSpan(start: 0, end: size), into: &encoder)
        sink = try encoder.finish()
    }

    /// The sizes of the edited message from the parse tree, without writing it (`MessageEdits.size`).
    public func size() throws -> EditedSize {
        try edits.size(of: message, source: source)
    }

    /// Octets the file at `path` holds now.
    static func size(of path: String) throws -> Int64 {
        var info = stat()
        guard stat(path, &info) == 0 else { throw FileError(path: path, errno: errno, operation: "stat") }
        return Int64(info.st_size)
    }

    /// The sizes this writer produces with the decoded size of what it writes (`Message.decodedBytes`), measured by
    /// parsing the output as it is written, so no figure is estimated from another.
    public func measureParsed() throws -> (bytes: Int64, wireBytes: Int64, decodedBytes: Int64) {
        var sink = ParsingSink()
        try write(into: &sink)
        return (sink.counter.bytes, sink.counter.messageWireBytes, sink.finish().decodedBytes)
    }

    /// The sizes this writer produces, measured by writing into a counter.
    public func measure() throws -> (bytes: Int64, wireBytes: Int64) {
        var counter = CountingSink()
        try write(into: &counter)
        return (counter.bytes, counter.messageWireBytes)
    }
}
