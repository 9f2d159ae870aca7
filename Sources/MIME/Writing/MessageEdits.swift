#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole new body part to insert before an existing one: its bytes from the line break and delimiter line to the
/// end of its body (see `MessageEdits.newPart(before:in:source:headerFields:body:)`), and what its body decodes to.
public struct InsertedPart: Sendable {
    public var bytes: [UInt8]
    /// Octets of the part's body after transfer decoding, as `Entity.decodedBytes` counts them.
    public var decodedBytes: Int64
}

/// The sizes of an edited message, as `Message` gives them for a parsed one.
public struct EditedSize: Sendable, Equatable {
    /// Octets written.
    public var bytes: Int64
    /// Octets on the wire (`Message.wireBytes`).
    public var wireBytes: Int64
    /// Octets of every leaf after transfer decoding (`Message.decodedBytes`).
    public var decodedBytes: Int64

    public init(bytes: Int64, wireBytes: Int64, decodedBytes: Int64) {
        self.bytes = bytes
        self.wireBytes = wireBytes
        self.decodedBytes = decodedBytes
    }
}

/// Changes to a parsed message: parts replaced, removed, rewritten, inserted. A value: the planner builds and compares
/// edits without writing anything; `MessageWriter` writes them.
///
/// It owns what makes edits valid: a multipart whose every part is removed (and that gains no inserted part) is removed
/// too, up the tree (RFC 2046 section 5.1.1 has no multipart without parts); only the root cannot go. And it gives the
/// exact sizes of the edited message from the parse tree (`size(of:source:)`), reading only what it writes anew.
public struct MessageEdits: Sendable {
    public enum EditError: Error, Equatable, CustomStringConvertible {
        /// Only body parts inside a multipart can be replaced or removed; the root holds the message's own header.
        case cannotReplaceRoot
        /// Removing these parts would leave the message with no body at all.
        case wouldEmptyMultipart(path: String)
        /// A part cannot be both replaced and removed.
        case conflictingEdits(path: String)
        /// A multipart's body is its parts: they are edited one by one, not rewritten as bytes.
        case multipartBody(path: String)

        public var description: String {
            switch self {
            case .cannotReplaceRoot: "the message itself cannot be replaced, only its parts"
            case .wouldEmptyMultipart(let path): "removing every part of multipart \(path.isEmpty ? "(the message)" : path) would leave it empty"
            case .conflictingEdits(let path): "part \(path) is both replaced and removed"
            case .multipartBody(let path): "the body of multipart \(path.isEmpty ? "(the message)" : path) cannot be rewritten, only its parts"
            }
        }
    }

    /// Entity index → the part written in its place.
    public var replacements: [Int: NewPart] = [:]
    /// Entities left out, with their delimiter lines.
    public var removals: Set<Int> = []
    /// Entity index → new bytes for its header section and/or body (the root's header too).
    public var rewrites: [Int: RewrittenPart] = [:]
    /// Entity index → a new body part written just before its delimiter line.
    public var insertions: [Int: InsertedPart] = [:]

    public init() {}

    public var isEmpty: Bool { replacements.isEmpty && removals.isEmpty && rewrites.isEmpty && insertions.isEmpty }

    /// These edits with `other`'s added; where both change the same part, `other`'s change is kept.
    public func merging(_ other: MessageEdits) -> MessageEdits {
        var merged = self
        merged.replacements.merge(other.replacements) { $1 }
        merged.removals.formUnion(other.removals)
        merged.rewrites.merge(other.rewrites) { $1 }
        merged.insertions.merge(other.insertions) { $1 }
        return merged
    }

    // MARK: Validity

    public func validate(in message: Message) throws(EditError) {
        for index in Set(replacements.keys).union(removals) {
            // The root can be replaced when it is a single part: its header keeps all but its content fields.
            let replacesSinglePartRoot = index == 0 && replacements[0] != nil && message.root.kind != .multipart
            guard replacesSinglePartRoot || (index > 0 && message.entities[index].parent != nil) else { throw .cannotReplaceRoot }
            if replacements[index] != nil && removals.contains(index) {
                throw .conflictingEdits(path: message.entities[index].path)
            }
        }
        for index in rewrites.keys where replacements[index] != nil || removals.contains(index) {
            throw .conflictingEdits(path: message.entities[index].path)
        }
        for index in insertions.keys where message.entities[index].parent == nil {
            throw .cannotReplaceRoot
        }
        for (index, rewrite) in rewrites where rewrite.body != nil && message.entities[index].kind == .multipart {
            throw .multipartBody(path: message.entities[index].path)
        }
        if removedEntities(in: message).contains(0) { throw .wouldEmptyMultipart(path: message.root.path) }
    }

    /// The entities the edited message leaves out: `removals`, and every multipart all of whose parts are left out
    /// while no new part is inserted among them, repeated up the tree. Contains 0 when nothing of the message's body
    /// would remain.
    public func removedEntities(in message: Message) -> Set<Int> {
        // A removal inside a replaced part changes nothing: the replacement takes it along.
        let replaced = Set(replacements.keys)
        var removed = removals.filter { !Self.hasAncestor($0, in: replaced, message) }
        var parents = Set(removals.compactMap { message.entities[$0].parent })
        while !parents.isEmpty {
            var next: Set<Int> = []
            for parent in parents where !removed.contains(parent) && !replaced.contains(parent) {
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

    // MARK: Spans

    /// One change to the source: `span` is replaced by `content` (an empty span inserts).
    struct Change {
        enum Content {
            case bytes([UInt8])
            case part(NewPart)
            /// A new part's encoded body alone, ended by a line break (the body of a message that is itself the part).
            case partBody(NewPart)
            case nothing
        }
        var span: ByteSpan
        /// Octets on the wire `span` takes in the source (CRLF line endings, without the CRLF a client adds at the end).
        var spanWireBytes: Int64
        var content: Content
    }

    /// Every change in source order; an insertion comes before a removal that starts at the same place. Only the
    /// outermost removal is a change: it takes its parts, and anything done to them, with it.
    func changes(in message: Message, source: SourceFile) throws -> [Change] {
        let removed = removedEntities(in: message)
        // A part replaced or removed takes everything inside it along: nothing done there is written.
        let covered = removed.union(replacements.keys)
        let entities = message.entities
        var changes: [Change] = []
        for (index, part) in replacements where !Self.hasAncestor(index, in: covered, message) {
            let entity = entities[index]
            if index == 0 {
                // A single-part message replaced: its own header without its content fields, then the new part's.
                let lineBreak = message.lineBreak
                var header = MemorySink()
                try source.copy(entity.headerSpan, into: &header)
                let rewritten = HeaderEditor.edit(header.bytes, removing: NewPart.contentFields,
                                                  adding: part.fields(lineBreak: String(decoding: lineBreak, as: UTF8.self)), lineBreak: lineBreak)
                changes.append(Change(span: entity.headerSpan, spanWireBytes: entity.headerWireBytes, content: .bytes(rewritten)))
                changes.append(Change(span: entity.bodySpan, spanWireBytes: entity.bodyWireEnd - entity.bodyWireStart, content: .partBody(part)))
                continue
            }
            changes.append(Change(span: ByteSpan(start: entity.headerSpan.start, end: entity.bodySpan.end),
                                  spanWireBytes: entity.bodyWireEnd - entity.headerWireStart, content: .part(part)))
        }
        for index in removed where !Self.hasAncestor(index, in: covered, message) {
            let entity = entities[index]
            changes.append(Change(span: ByteSpan(start: entity.delimiterStart, end: entity.bodySpan.end),
                                  spanWireBytes: entity.bodyWireEnd - entity.delimiterWireStart, content: .nothing))
        }
        for (index, rewrite) in rewrites where !covered.contains(index) && !Self.hasAncestor(index, in: covered, message) {
            let entity = entities[index]
            if let header = rewrite.header {
                changes.append(Change(span: entity.headerSpan, spanWireBytes: entity.headerWireBytes, content: .bytes(header)))
            }
            if let body = rewrite.body {
                changes.append(Change(span: entity.bodySpan, spanWireBytes: entity.bodyWireEnd - entity.bodyWireStart, content: .bytes(body)))
            }
        }
        for (index, part) in insertions where !Self.hasAncestor(index, in: covered, message) {
            let at = entities[index].delimiterStart
            changes.append(Change(span: ByteSpan(start: at, end: at), spanWireBytes: 0, content: .bytes(part.bytes)))
        }
        return changes.sorted { ($0.span.start, $0.span.count) < ($1.span.start, $1.span.count) }
    }

    /// True when one of `index`'s enclosing entities is in `set`.
    static func hasAncestor(_ index: Int, in set: Set<Int>, _ message: Message) -> Bool {
        var current = message.entities[index].parent
        while let parent = current {
            if set.contains(parent) { return true }
            current = message.entities[parent].parent
        }
        return false
    }

    // MARK: Sizes

    /// The sizes of the edited message, exactly as `MessageWriter.measureParsed()` finds them by writing and parsing
    /// it, computed from the parse tree: untouched parts count with the sizes the parser recorded, new parts with their
    /// headers and encoded lengths; only rewritten leaves are parsed (in memory) for their decoded size.
    public func size(of message: Message, source: SourceFile) throws -> EditedSize {
        try validate(in: message)
        let lineBreak = message.lineBreak
        let lineBreakText = String(decoding: lineBreak, as: UTF8.self)
        // Octets on the wire of the source without the CRLF a client adds to an unterminated one.
        let sourceWire = message.sourceBytes + message.bareLineFeeds
        var bytes = message.sourceBytes
        var wire = sourceWire
        var decoded = message.decodedBytes
        let removed = removedEntities(in: message)
        let changes = try changes(in: message, source: source)
        for change in changes {
            bytes -= change.span.count
            wire -= change.spanWireBytes
            switch change.content {
            case .bytes(let content):
                bytes += Int64(content.count)
                wire += Int64(content.count) + Self.bareLineFeeds(in: content)
            case .part(let part):
                let header = Array(part.header(lineBreak: lineBreakText).utf8)
                bytes += Int64(header.count) + Base64EncodingSink<CountingSink>.encodedBytes(of: part.size, lineBreakBytes: Int64(lineBreak.count))
                wire += Int64(header.count) + Self.bareLineFeeds(in: header) + Base64EncodingSink<CountingSink>.encodedBytes(of: part.size)
            case .partBody(let part):
                bytes += Base64EncodingSink<CountingSink>.encodedBytes(of: part.size, lineBreakBytes: Int64(lineBreak.count)) + Int64(lineBreak.count)
                wire += Base64EncodingSink<CountingSink>.encodedBytes(of: part.size) + 2
            case .nothing:
                break
            }
        }
        // A client adds CRLF to a message whose last byte is not a line feed.
        let endsInLineFeed = try Self.lastByte(of: changes, message: message, source: source, lineBreak: lineBreakText) == 0x0A
        if bytes > 0 && !endsInLineFeed { wire += 2 }

        // Decoded: every leaf left out or inside a replaced part leaves its decoded size; new and rewritten leaves
        // bring theirs.
        let covered = removed.union(replacements.keys)
        for (index, entity) in message.entities.enumerated() {
            if Self.hasAncestor(index, in: covered, message) || removed.contains(index) {
                if entity.isLeaf { decoded -= entity.decodedBytes }
            } else if let part = replacements[index] {
                // The leaves inside a replaced multipart are taken off above.
                decoded += part.size - (entity.isLeaf ? entity.decodedBytes : 0)
            } else if let rewrite = rewrites[index], entity.isLeaf {
                decoded += try Self.decodedBytes(of: entity, rewritten: rewrite, source: source, lineBreak: lineBreak,
                                                endOfSource: message.sourceBytes) - entity.decodedBytes
            }
        }
        for (index, part) in insertions where !Self.hasAncestor(index, in: covered, message) {
            decoded += part.decodedBytes
        }
        // A multipart that never closes, edited at its very end: what its last part keeps of its line breaks depends on
        // what now ends the message. That is rare and small; it is measured by writing it.
        if message.root.kind == .multipart && changes.contains(where: { $0.span.end == message.sourceBytes }) {
            decoded = try MessageWriter(message: message, source: source, edits: self).measureParsed().decodedBytes
        }
        return EditedSize(bytes: bytes, wireBytes: wire, decodedBytes: decoded)
    }

    /// The last byte of the edited message: found from the end, where the last change or the source's tail is.
    static func lastByte(of changes: [Change], message: Message, source: SourceFile, lineBreak: String) throws -> UInt8? {
        var end = message.sourceBytes
        for change in changes.reversed() {
            if change.span.end < end {
                break
            }
            switch change.content {
            case .bytes(let content): if let last = content.last { return last }
            case .part(let part): return part.size > 0 ? UInt8(ascii: "=") : part.header(lineBreak: lineBreak).utf8.last
            case .partBody: return 0x0A
            case .nothing: break
            }
            end = min(end, change.span.start)
        }
        guard end > 0 else { return nil }
        if end == message.sourceBytes { return message.wireBytes == message.sourceBytes + message.bareLineFeeds ? 0x0A : nil }
        var tail = MemorySink()
        try source.copy(ByteSpan(start: end - 1, end: end), into: &tail)
        return tail.bytes.first
    }

    /// Line feeds in `bytes` without a CR before them.
    static func bareLineFeeds(in bytes: [UInt8]) -> Int64 {
        var count: Int64 = 0
        var previous: UInt8 = 0
        for byte in bytes {
            if byte == 0x0A && previous != 0x0D { count += 1 }
            previous = byte
        }
        return count
    }

    /// What a rewritten leaf decodes to: its header and body (the new ones, or the source's) parsed by the parser and
    /// decoders that read files, in the place it has (a body part's last line break belongs to the next delimiter).
    static func decodedBytes(of entity: Entity, rewritten: RewrittenPart, source: SourceFile, lineBreak: [UInt8],
                             endOfSource: Int64) throws -> Int64 {
        var header = MemorySink()
        if let bytes = rewritten.header { try header.write(bytes) } else { try source.copy(entity.headerSpan, into: &header) }
        if rewritten.body == nil {
            // The body as it is decodes as it did unless the new header changes its transfer encoding: no need to
            // read it (it may be the whole message).
            let field = HeaderSection(parsing: header.bytes)["Content-Transfer-Encoding"]
            let encoding = field.map { TransferEncoding(headerValue: String(decoding: $0.value, as: UTF8.self)) } ?? .sevenBit
            if encoding == entity.transferEncoding { return entity.decodedBytes }
        }
        var body = MemorySink()
        if let bytes = rewritten.body { try body.write(bytes) } else { try source.copy(entity.bodySpan, into: &body) }
        return entity.parent == nil
            ? try decodedBytes(header: header.bytes, body: body.bytes)
            : try decodedBytes(bodyPart: header.bytes, body: body.bytes, lineBreak: lineBreak,
                               // A part that ends the source of a multipart never closed: its last line break, if it
                               // has one, goes with the missing delimiter.
                               delimiterBreak: entity.bodySpan.end < endOfSource || body.bytes.last != 0x0A)
    }

    /// The decoded size of a message of this header and body.
    static func decodedBytes(header: [UInt8], body: [UInt8]) throws -> Int64 {
        var parsing = ParsingSink()
        try parsing.write(header)
        try parsing.write(body)
        return parsing.finish().root.decodedBytes
    }

    /// The decoded size of a body part of this header and body, measured inside a multipart of its own.
    static func decodedBytes(bodyPart header: [UInt8], body: [UInt8], lineBreak: [UInt8], delimiterBreak: Bool = true) throws -> Int64 {
        var boundary = "mailprep-size-0"
        while (header + body).firstRange(of: Array(boundary.utf8)) != nil { boundary += "0" }
        var parsing = ParsingSink()
        try parsing.write(Array("Content-Type: multipart/mixed; boundary=\"\(boundary)\"".utf8) + lineBreak + lineBreak)
        try parsing.write(Array("--\(boundary)".utf8) + lineBreak)
        try parsing.write(header)
        try parsing.write(body)
        try parsing.write((delimiterBreak ? lineBreak : []) + Array("--\(boundary)--".utf8) + lineBreak)
        let message = parsing.finish()
        return message.entities.count > 1 ? message.entities[1].decodedBytes : 0
    }

    // MARK: New parts

    /// A new body part to insert before `entity`'s delimiter line: the delimiter of its parent, the part's header
    /// fields (each without a line break) and its encoded body; with what the body decodes to.
    public static func newPart(before entity: Int, in message: Message, source: SourceFile, headerFields: [String],
                               body: [UInt8]) throws -> InsertedPart {
        let target = message.entities[entity]
        guard let parent = target.parent, let boundary = message.entities[parent].contentType.parameters["boundary"] else {
            throw EditError.cannotReplaceRoot
        }
        let lineBreak = message.lineBreak
        var first = MemorySink()
        try source.copy(ByteSpan(start: target.delimiterStart, end: target.delimiterStart + 1), into: &first)
        // The delimiter line starts with a line break unless it opens the multipart's body.
        let leadingBreak = first.bytes.first == 0x0D || first.bytes.first == 0x0A
        var header: [UInt8] = []
        for field in headerFields { header += Array(field.utf8) + lineBreak }
        header += lineBreak
        var bytes: [UInt8] = leadingBreak ? lineBreak : []
        bytes += Array("--\(boundary)".utf8) + lineBreak + header + body
        if !leadingBreak { bytes += lineBreak }
        return InsertedPart(bytes: bytes, decodedBytes: try decodedBytes(bodyPart: header, body: body, lineBreak: lineBreak))
    }
}
