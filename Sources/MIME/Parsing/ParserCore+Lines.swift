#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Header lines, body lines and delimiters.
extension ParserCore {
    mutating func headerLine(_ content: UnsafeRawBufferPointer, terminator: Int, lineStart: Int64, bareBefore: Int64) {
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
    mutating func appendHeader(_ bytes: UnsafeRawBufferPointer, lineFeed: Bool, at offset: Int64) {
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

    mutating func bodyLine(_ content: UnsafeRawBufferPointer, terminator: Int, lineStart: Int64, bareBefore: Int64) {
        if atLineStart && !open.isEmpty && !entitiesExhausted && content.count >= 2
            && content[0] == UInt8(ascii: "-") && content[1] == UInt8(ascii: "-"),
           let (level, isClose) = matchDelimiter(content) {
            let afterLine = WirePosition(offset: lineStart + Int64(content.count + terminator), addedOctets: bareLineFeeds)
            delimiter(level: level, isClose: isClose, lineStart: lineStart, bareBefore: bareBefore, afterLine: afterLine)
            // The line break after a close delimiter belongs to what follows (RFC 2046 5.1.1): the epilogue, or the
            // enclosing multipart's next delimiter, so the closed multipart's body ends with its "--boundary--".
            if isClose && terminator > 0 {
                pending = PendingLineBreak(offset: lineStart + Int64(content.count), bare: terminator == 1)
            }
            return
        }
        if atLineStart && pending != nil {
            if leafOpen { commitLineBreak() }
            pending = nil
        }
        if leafOpen && counting != .identity {
            switch counting {
            // Into a DiscardingSink the decoders cannot fail.
            case .base64: try? base64.write(content)
            case .quotedPrintable: try? quotedPrintable.write(content)
            case .uuencode: try? uuencode.write(content)
            case .identity: break
            }
        }
        if terminator > 0 {
            pending = PendingLineBreak(offset: lineStart + Int64(content.count), bare: terminator == 1)
        }
    }

    mutating func commitLineBreak() {
        switch counting {
        case .quotedPrintable: quotedPrintable.lineBreak()
        case .uuencode: try? uuencode.lineBreak()
        case .base64, .identity: break
        }
    }

    /// Finds the innermost open multipart whose delimiter this line is (RFC 2046 section 5.1.1): "--", the
    /// boundary, optionally "--" for the close delimiter, then only linear white space. A boundary that is a prefix
    /// of a longer one on the line does not match.
    func matchDelimiter(_ line: UnsafeRawBufferPointer) -> (Int, Bool)? {
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

    mutating func delimiter(level: Int, isClose: Bool, lineStart: Int64, bareBefore: Int64, afterLine: WirePosition) {
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
        entities[index].delimiterStart = end.offset
        entities[index].delimiterWireStart = end.offset + end.addedOctets
        entities[parent].children.append(index)
        current = index
        inHeader = true
        headerBytes.removeAll(keepingCapacity: true)
        headerOverflowReported = false
    }
}
