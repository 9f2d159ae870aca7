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
        /// Only body parts inside a multipart can be replaced or removed; the root holds the message's own header.
        case cannotReplaceRoot
        /// Removing these parts would leave a multipart with none.
        case wouldEmptyMultipart(path: String)
        /// A part cannot be both replaced and removed.
        case conflictingEdits(path: String)

        public var description: String {
            switch self {
            case .cannotReplaceRoot: "the message itself cannot be replaced, only its parts"
            case .wouldEmptyMultipart(let path): "removing every part of multipart \(path.isEmpty ? "(the message)" : path) would leave it empty"
            case .conflictingEdits(let path): "part \(path) is both replaced and removed"
            }
        }
    }

    public let message: Message
    public let source: SourceFile
    /// Entity index → the part written in its place.
    public var replacements: [Int: NewPart] = [:]
    /// Entities left out, with their delimiter lines.
    public var removals: Set<Int> = []

    public init(message: Message, source: SourceFile) {
        self.message = message
        self.source = source
    }

    public func write<Sink: ByteSink>(into sink: inout Sink) throws {
        try validate()
        let lineBreak = message.lineBreak
        let lineBreakText = String(decoding: lineBreak, as: UTF8.self)
        let edited = (Array(replacements.keys) + Array(removals)).sorted { start(of: $0) < start(of: $1) }
        var cursor: Int64 = 0
        for index in edited {
            let entity = message.entities[index]
            try source.copy(ByteSpan(start: cursor, end: start(of: index)), into: &sink)
            if let part = replacements[index] {
                try sink.write(part.header(lineBreak: lineBreakText))
                var encoder = Base64EncodingSink(sink, lineBreak: lineBreak)
                let body = try SourceFile(path: part.bodyPath)
                try body.copy(ByteSpan(start: 0, end: try Self.size(of: part.bodyPath)), into: &encoder)
                sink = try encoder.finish()
            }
            // The line break before the next delimiter stays in the source and is copied from there.
            cursor = entity.bodySpan.end
        }
        try source.copy(ByteSpan(start: cursor, end: message.sourceBytes), into: &sink)
    }

    /// Where an edit begins in the source: a replaced part at its header, a removed one at its delimiter line.
    private func start(of index: Int) -> Int64 {
        removals.contains(index) ? message.entities[index].delimiterStart : message.entities[index].headerSpan.start
    }

    private func validate() throws {
        for index in Set(replacements.keys).union(removals) {
            guard index > 0, message.entities[index].parent != nil else { throw WriterError.cannotReplaceRoot }
            if replacements[index] != nil && removals.contains(index) {
                throw WriterError.conflictingEdits(path: message.entities[index].path)
            }
        }
        for parent in Set(removals.compactMap { message.entities[$0].parent }) {
            if message.entities[parent].children.allSatisfy({ removals.contains($0) }) {
                throw WriterError.wouldEmptyMultipart(path: message.entities[parent].path)
            }
        }
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
