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
    let storage: UnsafeMutableRawBufferPointer
    /// What `scan` is reading: the buffer, or bytes parsed in place.
    var scanBase: UnsafeRawPointer
    var count = 0
    /// Index in `storage` up to which no line feed was found.
    var searchedUpTo = 0
    /// Absolute source offset of `storage[0]`.
    var bufferOffset: Int64 = 0

    // Line state
    var atLineStart = true
    var bareLineFeeds: Int64 = 0
    var lineFeeds: Int64 = 0
    var endsWithLineFeed = true
    var currentLineLength = 0
    var currentLineStart: Int64 = 0
    var longLines = 0
    var firstLongLineOffset: Int64 = 0

    /// The line break after the last body line, not yet known to belong to the body: it belongs to the next
    /// delimiter if one follows (RFC 2046 section 5.1.1).
    struct PendingLineBreak {
        var offset: Int64
        var bare: Bool
    }
    var pending: PendingLineBreak?

    // Header state
    var inHeader = true
    var headerBytes: [UInt8] = []
    var headerOverflowReported = false

    // Tree state
    struct OpenMultipart {
        /// "--" followed by the boundary.
        var delimiter: [UInt8]
        var entity: Int
        /// After the close delimiter: the rest is epilogue.
        var closed = false
        var parts = 0
    }
    var open: [OpenMultipart] = []
    var entities: [Entity]
    var defects: [Defect] = []
    var current = 0
    var leafOpen = false
    var entitiesExhausted = false

    // Decoded-size counting for the leaf being scanned: the decoders themselves, into a sink that keeps nothing.
    enum Counting { case identity, base64, quotedPrintable, uuencode }
    var counting = Counting.identity
    var base64 = Base64DecodingSink(DiscardingSink())
    var quotedPrintable = QuotedPrintableDecodingSink(DiscardingSink())
    var uuencode = UUDecodingSink(DiscardingSink())

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
                entities[current].endsWithAddedLineBreak = unterminated
                closeLeaf(at: end)
            } else {
                // A part of a multipart that never closes: the last line break goes with the missing delimiter,
                // as it would with a real one.
                var leafEnd = pending.map { WirePosition(offset: $0.offset, addedOctets: bareLineFeeds - ($0.bare ? 1 : 0)) }
                    ?? WirePosition(offset: total, addedOctets: bareLineFeeds)
                // A header cut off at the end: the CRLF a client adds ends the header, and the body is empty.
                let bodyStart = entities[current].bodyStart
                if leafEnd.offset + leafEnd.addedOctets < bodyStart.offset + bodyStart.addedOctets { leafEnd = bodyStart }
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
            bareLineFeeds: bareLineFeeds,
            lineFeeds: lineFeeds
        )
    }

    // MARK: - Lines

    mutating func process(final: Bool) {
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
    mutating func scan(_ base: UnsafeRawPointer, count: Int, final: Bool) -> Int {
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
    mutating func handle(start: Int, contentEnd: Int, terminator: Int) {
        let lineStart = bufferOffset + Int64(start)
        if atLineStart { currentLineStart = lineStart }
        let bareBefore = bareLineFeeds
        if terminator == 1 { bareLineFeeds += 1 }
        if terminator > 0 { lineFeeds += 1 }
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
}
