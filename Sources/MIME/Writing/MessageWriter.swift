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
    /// Entities left out, with their delimiter lines. A multipart whose every part is left out (and that gains no
    /// inserted part) is left out too, up to the root: see `removedEntities`.
    public var removals: Set<Int> = []
    /// Entity index → new bytes for its header section and/or body (the root's header too).
    public var rewrites: [Int: RewrittenPart] = [:]
    /// Entity index → bytes written just before its delimiter line: a whole new body part, from its line break
    /// and delimiter line to its body (see `newPartBytes`).
    public var insertions: [Int: [UInt8]] = [:]

    public init(message: Message, source: SourceFile) {
        self.message = message
        self.source = source
    }

    /// One change to the source: `span` is replaced by `content` (an empty span inserts).
    private struct Edit {
        enum Content {
            case bytes([UInt8])
            case part(NewPart)
            case nothing
        }
        var span: ByteSpan
        var content: Content
    }

    public func write<Sink: ByteSink>(into sink: inout Sink) throws {
        try validate()
        let lineBreak = message.lineBreak
        let lineBreakText = String(decoding: lineBreak, as: UTF8.self)
        var cursor: Int64 = 0
        for edit in edits() {
            try source.copy(ByteSpan(start: cursor, end: edit.span.start), into: &sink)
            switch edit.content {
            case .bytes(let bytes):
                try sink.write(bytes)
            case .part(let part):
                try sink.write(part.header(lineBreak: lineBreakText))
                var encoder = Base64EncodingSink(sink, lineBreak: lineBreak)
                let body = try SourceFile(path: part.bodyPath)
                try body.copy(ByteSpan(start: 0, end: try Self.size(of: part.bodyPath)), into: &encoder)
                sink = try encoder.finish()
            case .nothing:
                break
            }
            // The line break before the next delimiter stays in the source and is copied from there.
            cursor = edit.span.end
        }
        try source.copy(ByteSpan(start: cursor, end: message.sourceBytes), into: &sink)
    }

    /// Every edit in source order; an insertion comes before a removal that starts at the same place.
    private func edits() -> [Edit] {
        let removed = removedEntities
        // Only the outermost removal is an edit: it takes its parts (and anything done to them) with it.
        let outermost = removed.filter { !hasAncestor($0, in: removed) }
        var edits: [Edit] = []
        for (index, part) in replacements where !hasAncestor(index, in: removed) {
            let entity = message.entities[index]
            edits.append(Edit(span: ByteSpan(start: entity.headerSpan.start, end: entity.bodySpan.end), content: .part(part)))
        }
        for index in outermost {
            let entity = message.entities[index]
            edits.append(Edit(span: ByteSpan(start: entity.delimiterStart, end: entity.bodySpan.end), content: .nothing))
        }
        for (index, rewrite) in rewrites where !removed.contains(index) && !hasAncestor(index, in: removed) {
            let entity = message.entities[index]
            if let header = rewrite.header { edits.append(Edit(span: entity.headerSpan, content: .bytes(header))) }
            if let body = rewrite.body { edits.append(Edit(span: entity.bodySpan, content: .bytes(body))) }
        }
        for (index, bytes) in insertions where !hasAncestor(index, in: removed) {
            let at = message.entities[index].delimiterStart
            edits.append(Edit(span: ByteSpan(start: at, end: at), content: .bytes(bytes)))
        }
        return edits.sorted { ($0.span.start, $0.span.count) < ($1.span.start, $1.span.count) }
    }

    /// The bytes that insert a new body part before `entity`'s delimiter line: the delimiter of its parent, the
    /// part's header fields (each without a line break) and its encoded body.
    public func newPartBytes(before entity: Int, headerFields: [String], body: [UInt8]) throws -> [UInt8] {
        let target = message.entities[entity]
        guard let parent = target.parent, let boundary = message.entities[parent].contentType.parameters["boundary"] else {
            throw WriterError.cannotReplaceRoot
        }
        let lineBreak = message.lineBreak
        var sink = MemorySink()
        try source.copy(ByteSpan(start: target.delimiterStart, end: target.delimiterStart + 1), into: &sink)
        // The delimiter line starts with a line break unless it opens the multipart's body.
        let leadingBreak = sink.bytes.first == 0x0D || sink.bytes.first == 0x0A
        var bytes: [UInt8] = leadingBreak ? lineBreak : []
        bytes += Array("--\(boundary)".utf8) + lineBreak
        for field in headerFields { bytes += Array(field.utf8) + lineBreak }
        bytes += lineBreak + body
        if !leadingBreak { bytes += lineBreak }
        return bytes
    }

    private func validate() throws {
        for index in Set(replacements.keys).union(removals) {
            guard index > 0, message.entities[index].parent != nil else { throw WriterError.cannotReplaceRoot }
            if replacements[index] != nil && removals.contains(index) {
                throw WriterError.conflictingEdits(path: message.entities[index].path)
            }
        }
        for index in rewrites.keys where replacements[index] != nil || removals.contains(index) {
            throw WriterError.conflictingEdits(path: message.entities[index].path)
        }
        for index in insertions.keys where message.entities[index].parent == nil {
            throw WriterError.cannotReplaceRoot
        }
        if removedEntities.contains(0) { throw WriterError.wouldEmptyMultipart(path: message.root.path) }
    }

    /// The entities the written message leaves out: `removals`, and every multipart all of whose parts are left out
    /// while no new part is inserted among them (a multipart with no parts is not valid, RFC 2046 section 5.1.1),
    /// repeated up the tree. Contains 0 when nothing of the message's body would remain.
    public var removedEntities: Set<Int> {
        var removed = removals
        var parents = Set(removals.compactMap { message.entities[$0].parent })
        while !parents.isEmpty {
            var next: Set<Int> = []
            for parent in parents where !removed.contains(parent) {
                let children = message.entities[parent].children
                if children.allSatisfy({ removed.contains($0) }) && !children.contains(where: { insertions[$0] != nil }) {
                    removed.insert(parent)
                    if let grandparent = message.entities[parent].parent { next.insert(grandparent) }
                }
            }
            parents = next
        }
        return removed
    }

    /// True when one of `index`'s enclosing entities is in `set`.
    private func hasAncestor(_ index: Int, in set: Set<Int>) -> Bool {
        var current = message.entities[index].parent
        while let parent = current {
            if set.contains(parent) { return true }
            current = message.entities[parent].parent
        }
        return false
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
