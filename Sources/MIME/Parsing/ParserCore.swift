#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The state and line logic of `MessageParser`, as a value type: the parser holds one and mutates it in place,
/// so the per-line work runs without the runtime exclusivity checks that class properties need.
struct ParserCore {
    let limits: ParserLimits

    // Buffer
    private let storage: UnsafeMutableRawBufferPointer
    /// What `scan` is reading: the buffer, or bytes parsed in place.
    private var scanBase: UnsafeRawPointer
    private var count = 0
    /// Index in `storage` up to which no line feed was found.
    private var searchedUpTo = 0
    /// Absolute source offset of `storage[0]`.
    private var bufferOffset: Int64 = 0

    // Line state
    private var atLineStart = true
    private var bareLineFeeds: Int64 = 0
    private var endsWithLineFeed = true
    private var currentLineLength = 0
    private var currentLineStart: Int64 = 0
    private var longLines = 0
    private var firstLongLineOffset: Int64 = 0

    /// The line break after the last body line, not yet known to belong to the body: it belongs to the next
    /// delimiter if one follows (RFC 2046 section 5.1.1).
    private struct PendingLineBreak {
        var offset: Int64
        var bare: Bool
    }
    private var pending: PendingLineBreak?

    // Header state
    private var inHeader = true
    private var headerBytes: [UInt8] = []
    private var headerOverflowReported = false

    // Tree state
    private struct OpenMultipart {
        /// "--" followed by the boundary.
        var delimiter: [UInt8]
        var entity: Int
        /// After the close delimiter: the rest is epilogue.
        var closed = false
        var parts = 0
    }
    private var open: [OpenMultipart] = []
    private var entities: [Entity]
    private var defects: [Defect] = []
    private var current = 0
    private var leafOpen = false
    private var entitiesExhausted = false

    // Decoded-size counting for the leaf being scanned
    private enum Counting { case identity, base64, quotedPrintable, uuencode }
    private var counting = Counting.identity
    private var base64 = Base64DecodedCounter()
    private var quotedPrintable = QuotedPrintableDecodedCounter()
    private var uuencode = UUDecodedCounter()

    init(limits: ParserLimits, storage: UnsafeMutableRawBufferPointer) {
        self.limits = limits
        self.storage = storage
        self.scanBase = UnsafeRawPointer(storage.baseAddress!)
        self.entities = [Entity(path: "", parent: nil, depth: 0, headerStart: .zero)]
        headerBytes.reserveCapacity(4096)
    }

    /// Pushes the next bytes of the message.
    mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        var rest = bytes
        while !rest.isEmpty {
            let space = storage.count - count
            let take = min(space, rest.count)
            UnsafeMutableRawBufferPointer(rebasing: storage[count..<(count + take)])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: rest[0..<take]))
            count += take
            rest = UnsafeRawBufferPointer(rebasing: rest[take...])
            process(final: false)
        }
    }

    /// Lets `read` write the next bytes straight into the parser's buffer, then parses them.
    ///
    /// `read` gets the free space and returns how many bytes it wrote; 0 means the end of the input.
    /// Returns false at the end of the input.
    mutating func fill(_ read: (UnsafeMutableRawBufferPointer) throws -> Int) rethrows -> Bool {
        let free = UnsafeMutableRawBufferPointer(rebasing: storage[count...])
        let written = try read(free)
        guard written > 0 else { return false }
        count += min(written, free.count)
        process(final: false)
        return true
    }

    /// Ends the input and returns the parsed message.
    mutating func finish() -> Message {
        process(final: true)
        let total = bufferOffset + Int64(count)
        // A client sending a source without a final line break adds CRLF; it ends the last body.
        let unterminated = total > 0 && !endsWithLineFeed
        let end = WirePosition(offset: total, addedOctets: bareLineFeeds + (unterminated ? 2 : 0))
        if inHeader {
            endHeader(at: end)
        }
        if leafOpen {
            if entities[current].parent == nil {
                // A single-part message: the last line break is part of its body.
                if pending != nil || unterminated { commitLineBreak() }
                closeLeaf(at: end)
            } else {
                // A part of a multipart that never closes: the last line break goes with the missing delimiter,
                // as it would with a real one.
                let leafEnd = pending.map { WirePosition(offset: $0.offset, addedOctets: bareLineFeeds - ($0.bare ? 1 : 0)) }
                    ?? WirePosition(offset: total, addedOctets: bareLineFeeds)
                closeLeaf(at: leafEnd)
            }
        }
        pending = nil
        while let multipart = open.popLast() {
            if !multipart.closed {
                defects.append(Defect(.missingCloseDelimiter, offset: total, path: pathLabel(multipart.entity),
                                      detail: String(decoding: multipart.delimiter.dropFirst(2), as: UTF8.self)))
            }
            finishMultipart(multipart.entity, at: end)
        }
        if total == 0 {
            defects.append(Defect(.emptyMessage, offset: 0))
        } else if entities[0].header.fields.isEmpty {
            defects.append(Defect(.notAMessage, offset: 0))
        }
        if longLines > 0 {
            defects.append(Defect(.lineTooLong, offset: firstLongLineOffset, detail: String(longLines)))
        }
        if bareLineFeeds > 0 {
            defects.append(Defect(.bareLineFeeds, severity: .info, offset: 0, detail: String(bareLineFeeds)))
        }
        if unterminated {
            defects.append(Defect(.missingFinalNewline, severity: .info, offset: total))
        }
        defects.sort { $0.offset < $1.offset }
        return Message(
            entities: entities,
            defects: defects,
            sourceBytes: total,
            wireBytes: end.offset + end.addedOctets,
            bareLineFeeds: bareLineFeeds
        )
    }

    // MARK: - Lines

    private mutating func process(final: Bool) {
        guard let base = storage.baseAddress else { return }
        let index = scan(UnsafeRawPointer(base), count: count, final: final)
        if index > 0 {
            let rest = count - index
            if rest > 0 { memmove(base, base + index, rest) }
            bufferOffset += Int64(index)
            count = rest
            searchedUpTo = max(0, searchedUpTo - index)
        }
    }

    /// Parses bytes that stay where they are (a mapped window of a file) without copying them, except for a last
    /// partial line, which is kept in the buffer until the next window completes it.
    mutating func feedInPlace(_ bytes: UnsafeRawBufferPointer) {
        var rest = bytes
        // First complete the line kept from before, through the buffer.
        while count > 0 && !rest.isEmpty {
            let window = min(storage.count - count, rest.count)
            let through = memchr(rest.baseAddress!, 0x0A, window).map { rest.baseAddress!.distance(to: UnsafeRawPointer($0)) + 1 } ?? window
            feed(UnsafeRawBufferPointer(rebasing: rest[0..<through]))
            rest = UnsafeRawBufferPointer(rebasing: rest[through...])
        }
        guard let base = rest.baseAddress, !rest.isEmpty else { return }
        // The buffer is empty: `bufferOffset` is the offset of `base`, and lines are parsed where they lie.
        searchedUpTo = 0
        let consumed = scan(base, count: rest.count, final: false)
        bufferOffset += Int64(consumed)
        let tail = rest.count - consumed
        storage.baseAddress!.copyMemory(from: base + consumed, byteCount: tail)
        count = tail
        searchedUpTo = tail
    }

    /// Handles every complete line of `base[0..<count]` (and, when `final`, the last partial one); returns how
    /// many bytes were consumed. A partial line longer than half the buffer is handled in pieces.
    private mutating func scan(_ base: UnsafeRawPointer, count: Int, final: Bool) -> Int {
        scanBase = base
        var index = 0
        while index < count {
            let from = max(index, searchedUpTo)
            if let found = memchr(base + from, 0x0A, count - from) {
                let lineFeed = base.distance(to: UnsafeRawPointer(found))
                let crlf = lineFeed > index && base.load(fromByteOffset: lineFeed - 1, as: UInt8.self) == 0x0D
                handle(start: index, contentEnd: crlf ? lineFeed - 1 : lineFeed, terminator: crlf ? 2 : 1)
                index = lineFeed + 1
                searchedUpTo = index
            } else if final {
                handle(start: index, contentEnd: count, terminator: 0)
                index = count
            } else if count - index > storage.count / 2 {
                // A long line: take what is here, but keep a final CR, which may begin a CRLF.
                var end = count
                if base.load(fromByteOffset: end - 1, as: UInt8.self) == 0x0D { end -= 1 }
                handle(start: index, contentEnd: end, terminator: 0)
                index = end
                searchedUpTo = count
                break
            } else {
                searchedUpTo = count
                break
            }
        }
        return index
    }

    /// One line, or a piece of a long line (`terminator` 0), at `scanBase[start..<contentEnd]`.
    ///
    /// `terminator` is the length of the line break after the content: 2 for CRLF, 1 for a bare LF.
    private mutating func handle(start: Int, contentEnd: Int, terminator: Int) {
        let lineStart = bufferOffset + Int64(start)
        if atLineStart { currentLineStart = lineStart }
        let bareBefore = bareLineFeeds
        if terminator == 1 { bareLineFeeds += 1 }
        currentLineLength += contentEnd - start
        if terminator > 0 {
            if currentLineLength > 998 {
                if longLines == 0 { firstLongLineOffset = currentLineStart }
                longLines += 1
            }
            currentLineLength = 0
            endsWithLineFeed = true
        } else {
            endsWithLineFeed = false
        }
        let content = UnsafeRawBufferPointer(start: scanBase + start, count: contentEnd - start)
        if inHeader {
            headerLine(content, terminator: terminator, lineStart: lineStart, bareBefore: bareBefore)
        } else {
            bodyLine(content, terminator: terminator, lineStart: lineStart, bareBefore: bareBefore)
        }
        atLineStart = terminator > 0
    }

    private mutating func headerLine(_ content: UnsafeRawBufferPointer, terminator: Int, lineStart: Int64, bareBefore: Int64) {
        if atLineStart {
            if content.isEmpty {
                if terminator > 0 {
                    let end = lineStart + Int64(terminator)
                    endHeader(at: WirePosition(offset: end, addedOctets: bareLineFeeds))
                }
                return
            }
            let first = content[0]
            if first == 0x20 || first == 0x09 {
                if headerBytes.isEmpty {
                    defects.append(Defect(.headerContinuationWithoutField, offset: lineStart, path: pathLabel(current)))
                }
            } else if !looksLikeHeaderField(content) {
                if current == 0 && headerBytes.isEmpty && content.starts(with: "From ".utf8) {
                    defects.append(Defect(.mboxFromLine, severity: .info, offset: lineStart))
                    return
                }
                defects.append(Defect(.missingHeaderBodySeparator, offset: lineStart, path: pathLabel(current)))
                endHeader(at: WirePosition(offset: lineStart, addedOctets: bareBefore))
                bodyLine(content, terminator: terminator, lineStart: lineStart, bareBefore: bareBefore)
                return
            }
        }
        appendHeader(content, lineFeed: terminator > 0, at: lineStart)
    }

    /// Keeps header bytes for parsing, up to `maxHeaderBytes`; line breaks are kept as LF.
    private mutating func appendHeader(_ bytes: UnsafeRawBufferPointer, lineFeed: Bool, at offset: Int64) {
        let room = limits.maxHeaderBytes - headerBytes.count
        if bytes.count + (lineFeed ? 1 : 0) <= room {
            headerBytes.append(contentsOf: bytes)
            if lineFeed { headerBytes.append(0x0A) }
        } else {
            if room > 0 { headerBytes.append(contentsOf: bytes.prefix(room)) }
            if !headerOverflowReported {
                headerOverflowReported = true
                defects.append(Defect(.headerTooLarge, offset: offset, path: pathLabel(current), detail: String(limits.maxHeaderBytes)))
            }
        }
    }

    private mutating func bodyLine(_ content: UnsafeRawBufferPointer, terminator: Int, lineStart: Int64, bareBefore: Int64) {
        if atLineStart && !open.isEmpty && !entitiesExhausted && content.count >= 2
            && content[0] == UInt8(ascii: "-") && content[1] == UInt8(ascii: "-"),
           let (level, isClose) = matchDelimiter(content) {
            let afterLine = WirePosition(offset: lineStart + Int64(content.count + terminator), addedOctets: bareLineFeeds)
            delimiter(level: level, isClose: isClose, lineStart: lineStart, bareBefore: bareBefore, afterLine: afterLine)
            return
        }
        if atLineStart && pending != nil {
            if leafOpen { commitLineBreak() }
            pending = nil
        }
        if leafOpen && counting != .identity {
            switch counting {
            case .base64: base64.feed(content)
            case .quotedPrintable: quotedPrintable.feed(content)
            case .uuencode: uuencode.feed(content)
            case .identity: break
            }
        }
        if terminator > 0 {
            pending = PendingLineBreak(offset: lineStart + Int64(content.count), bare: terminator == 1)
        }
    }

    private mutating func commitLineBreak() {
        switch counting {
        case .quotedPrintable: quotedPrintable.lineBreak()
        case .uuencode: uuencode.lineBreak()
        case .base64, .identity: break
        }
    }

    /// Finds the innermost open multipart whose delimiter this line is (RFC 2046 section 5.1.1): "--", the
    /// boundary, optionally "--" for the close delimiter, then only linear white space. A boundary that is a prefix
    /// of a longer one on the line does not match.
    private func matchDelimiter(_ line: UnsafeRawBufferPointer) -> (Int, Bool)? {
        for level in open.indices.reversed() where !open[level].closed {
            let delimiter = open[level].delimiter
            guard line.count >= delimiter.count else { continue }
            let same = delimiter.withUnsafeBytes { memcmp($0.baseAddress!, line.baseAddress!, delimiter.count) == 0 }
            guard same else { continue }
            var rest = line[delimiter.count...]
            var isClose = false
            if rest.count >= 2 && rest[rest.startIndex] == UInt8(ascii: "-") && rest[rest.startIndex + 1] == UInt8(ascii: "-") {
                isClose = true
                rest = rest.dropFirst(2)
            }
            if rest.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                return (level, isClose)
            }
        }
        return nil
    }

    private mutating func delimiter(level: Int, isClose: Bool, lineStart: Int64, bareBefore: Int64, afterLine: WirePosition) {
        let end: WirePosition
        if let pending {
            end = WirePosition(offset: pending.offset, addedOctets: bareBefore - (pending.bare ? 1 : 0))
        } else {
            end = WirePosition(offset: lineStart, addedOctets: bareBefore)
        }
        pending = nil
        if leafOpen { closeLeaf(at: end) }
        while open.count > level + 1 {
            let inner = open.removeLast()
            if !inner.closed {
                defects.append(Defect(.missingCloseDelimiter, offset: lineStart, path: pathLabel(inner.entity),
                                      detail: String(decoding: inner.delimiter.dropFirst(2), as: UTF8.self)))
            }
            finishMultipart(inner.entity, at: end)
        }
        let parent = open[level].entity
        current = parent
        counting = .identity
        if isClose {
            open[level].closed = true
            if open[level].parts == 0 {
                defects.append(Defect(.noPartsInMultipart, offset: lineStart, path: pathLabel(parent)))
            }
            return
        }
        guard entities.count < limits.maxEntities else {
            entitiesExhausted = true
            defects.append(Defect(.tooManyParts, offset: lineStart, detail: String(limits.maxEntities)))
            return
        }
        open[level].parts += 1
        let parentPath = entities[parent].path
        let number = open[level].parts
        let path = parentPath.isEmpty ? "\(number)" : "\(parentPath).\(number)"
        entities.append(Entity(path: path, parent: parent, depth: entities[parent].depth + 1, headerStart: afterLine))
        let index = entities.count - 1
        entities[parent].children.append(index)
        current = index
        inHeader = true
        headerBytes.removeAll(keepingCapacity: true)
        headerOverflowReported = false
    }

    // MARK: - Entities

    private mutating func endHeader(at end: WirePosition) {
        inHeader = false
        pending = nil
        var entity = entities[current]
        entity.headerSpan = ByteSpan(start: entity.headerStart.offset, end: end.offset)
        entity.headerWireBytes = entity.headerStart.wireBytes(to: end)
        entity.bodyStart = end
        entity.bodySpan = ByteSpan(start: end.offset, end: end.offset)
        let section = HeaderSection(parsing: headerBytes)
        if headerBytes.contains(where: { $0 >= 0x80 }) && String(validating: headerBytes, as: UTF8.self) == nil {
            // UTF-8 headers are fine where SMTPUTF8 is (RFC 6532); other 8-bit text is read by guessing.
            defects.append(Defect(.eightBitHeader, offset: entity.headerStart.offset, path: pathLabel(current)))
        }
        headerBytes.removeAll(keepingCapacity: true)
        entity.header = section
        let offset = entity.headerStart.offset

        if let field = section["Content-Type"] {
            if let type = ContentType(parsing: field.value) {
                entity.contentType = type
            } else {
                defects.append(Defect(.invalidContentType, offset: offset, path: pathLabel(current),
                                      detail: String(decoding: field.value.prefix(80), as: UTF8.self)))
            }
        } else if let parent = entity.parent, entities[parent].contentType.subtype == "digest" {
            entity.contentType = .messageRFC822
        }
        if let field = section["Content-Transfer-Encoding"] {
            entity.transferEncoding = TransferEncoding(headerValue: String(decoding: field.value, as: UTF8.self))
        }
        var filename: String?
        if let field = section["Content-Disposition"] {
            let disposition = ContentDisposition(parsing: field.value)
            entity.disposition = disposition.type.isEmpty ? nil : disposition.type
            filename = disposition.parameters["filename"]
        }
        entity.filename = filename ?? entity.contentType.parameters["name"]

        let type = entity.contentType
        if type.isMultipart {
            if let boundary = type.parameters["boundary"], !boundary.isEmpty, boundary.utf8.count <= 200 {
                if entity.depth >= limits.maxDepth {
                    defects.append(Defect(.nestingTooDeep, offset: offset, path: pathLabel(current), detail: String(limits.maxDepth)))
                } else {
                    entity.kind = .multipart
                }
            } else {
                defects.append(Defect(type.parameters["boundary"] == nil ? .multipartWithoutBoundary : .invalidBoundary,
                                      offset: offset, path: pathLabel(current)))
            }
        } else if type.type == "message" && (type.subtype == "rfc822" || type.subtype == "global") {
            entity.kind = .message
        }
        if entity.kind == .leaf && entity.path.isEmpty {
            entity.path = "1"  // IMAP: the body of a single-part message is section 1
        }
        entities[current] = entity

        if entity.kind == .multipart, let boundary = type.parameters["boundary"] {
            open.append(OpenMultipart(delimiter: Array("--".utf8) + Array(boundary.utf8), entity: current))
            leafOpen = false
            counting = .identity
        } else {
            leafOpen = true
            startCounting(entity.kind == .message ? .sevenBit : entity.transferEncoding, offset: offset)
        }
    }

    private mutating func startCounting(_ encoding: TransferEncoding, offset: Int64) {
        switch encoding {
        case .base64:
            counting = .base64
            base64 = Base64DecodedCounter()
        case .quotedPrintable:
            counting = .quotedPrintable
            quotedPrintable = QuotedPrintableDecodedCounter()
        case .uuencode:
            counting = .uuencode
            uuencode = UUDecodedCounter()
        case .sevenBit, .eightBit, .binary:
            counting = .identity
        case .other(let name):
            counting = .identity
            defects.append(Defect(.unknownTransferEncoding, offset: offset, path: pathLabel(current), detail: name))
        }
    }

    private mutating func closeLeaf(at end: WirePosition) {
        leafOpen = false
        var entity = entities[current]
        entity.bodySpan = ByteSpan(start: entity.bodyStart.offset, end: end.offset)
        entity.bodyWireBytes = entity.bodyStart.wireBytes(to: end)
        let path = pathLabel(current)
        switch counting {
        case .identity:
            entity.decodedBytes = entity.bodyWireBytes
        case .base64:
            entity.decodedBytes = base64.decodedBytes
            if base64.invalidCharacters > 0 {
                defects.append(Defect(.invalidBase64Characters, offset: entity.bodyStart.offset, path: path,
                                      detail: String(base64.invalidCharacters)))
            }
            if base64.charactersAfterPadding > 0 {
                defects.append(Defect(.base64DataAfterPadding, offset: entity.bodyStart.offset, path: path,
                                      detail: String(base64.charactersAfterPadding)))
            }
            if base64.isTruncated {
                defects.append(Defect(.truncatedBase64, offset: end.offset, path: path))
            }
        case .quotedPrintable:
            entity.decodedBytes = quotedPrintable.decodedBytes
        case .uuencode:
            uuencode.finish()
            entity.decodedBytes = uuencode.decodedBytes
            if uuencode.isTruncated {
                defects.append(Defect(.truncatedUuencode, offset: end.offset, path: path))
            }
        }
        counting = .identity
        entities[current] = entity
    }

    private mutating func finishMultipart(_ index: Int, at end: WirePosition) {
        entities[index].bodySpan = ByteSpan(start: entities[index].bodyStart.offset, end: end.offset)
        entities[index].bodyWireBytes = entities[index].bodyStart.wireBytes(to: end)
        entities[index].decodedBytes = entities[index].bodyWireBytes
    }

    private func pathLabel(_ index: Int) -> String? {
        let path = entities[index].path
        return path.isEmpty ? nil : path
    }
}
