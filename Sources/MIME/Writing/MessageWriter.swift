#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a parsed message with edits: untouched bytes are copied from the source as they are, replaced
/// entities are written anew. The one serializer: sizing (into a `CountingSink`) and writing (into a `FileSink`)
/// run the same code, so a predicted size is the written size.
public struct MessageWriter {
    public enum WriterError: Error, Equatable, CustomStringConvertible {
        /// Only body parts inside a multipart can be replaced; the root holds the message's own header.
        case cannotReplaceRoot

        public var description: String { "the message itself cannot be replaced, only its parts" }
    }

    public let message: Message
    public let source: SourceFile
    /// Entity index → the part written in its place.
    public var replacements: [Int: NewPart] = [:]

    public init(message: Message, source: SourceFile) {
        self.message = message
        self.source = source
    }

    public func write<Sink: ByteSink>(into sink: inout Sink) throws {
        let lineBreak = message.lineBreak
        let lineBreakText = String(decoding: lineBreak, as: UTF8.self)
        var cursor: Int64 = 0
        for index in replacements.keys.sorted(by: { message.entities[$0].headerSpan.start < message.entities[$1].headerSpan.start }) {
            guard index != 0, let part = replacements[index] else { throw WriterError.cannotReplaceRoot }
            let entity = message.entities[index]
            try source.copy(ByteSpan(start: cursor, end: entity.headerSpan.start), into: &sink)
            try sink.write(part.header(lineBreak: lineBreakText))
            var encoder = Base64EncodingSink(sink, lineBreak: lineBreak)
            let body = try SourceFile(path: part.bodyPath)
            try body.copy(ByteSpan(start: 0, end: try Self.size(of: part.bodyPath)), into: &encoder)
            sink = try encoder.finish()
            // The line break before the next delimiter stays in the source and is copied from there.
            cursor = entity.bodySpan.end
        }
        try source.copy(ByteSpan(start: cursor, end: message.sourceBytes), into: &sink)
    }

    /// Octets the file at `path` holds now.
    static func size(of path: String) throws -> Int64 {
        var info = stat()
        guard stat(path, &info) == 0 else { throw FileError(path: path, errno: errno, operation: "stat") }
        return Int64(info.st_size)
    }

    /// The sizes this writer produces, measured by writing into a counter.
    public func measure() throws -> (bytes: Int64, wireBytes: Int64) {
        var counter = CountingSink()
        try write(into: &counter)
        return (counter.bytes, counter.messageWireBytes)
    }
}
