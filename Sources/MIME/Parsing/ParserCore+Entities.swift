/// Opening and closing entities: header sections parsed, bodies measured.
extension ParserCore {

    mutating func endHeader(at end: WirePosition) {
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
        if entity.kind != .multipart && entity.path.isEmpty {
            entity.path = "1"  // IMAP: the body of a single-part message (an attached message too) is section 1
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

    mutating func startCounting(_ encoding: TransferEncoding, offset: Int64) {
        switch encoding {
        case .base64:
            counting = .base64
            base64 = Base64DecodingSink(DiscardingSink())
        case .quotedPrintable:
            counting = .quotedPrintable
            quotedPrintable = QuotedPrintableDecodingSink(DiscardingSink())
        case .uuencode:
            counting = .uuencode
            uuencode = UUDecodingSink(DiscardingSink())
        case .sevenBit, .eightBit, .binary:
            counting = .identity
        case .other(let name):
            counting = .identity
            defects.append(Defect(.unknownTransferEncoding, offset: offset, path: pathLabel(current), detail: name))
        }
    }

    mutating func closeLeaf(at end: WirePosition) {
        leafOpen = false
        var entity = entities[current]
        entity.bodySpan = ByteSpan(start: entity.bodyStart.offset, end: end.offset)
        entity.bodyWireBytes = entity.bodyStart.wireBytes(to: end)
        let path = pathLabel(current)
        switch counting {
        case .identity:
            entity.decodedBytes = entity.bodyWireBytes
        case .base64:
            _ = try? base64.finish()
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
            entity.decodedBytes = quotedPrintable.decodedBytesAtEnd
        case .uuencode:
            _ = try? uuencode.finish()
            entity.decodedBytes = uuencode.decodedBytes
            if uuencode.isTruncated {
                defects.append(Defect(.truncatedUuencode, offset: end.offset, path: path))
            }
        }
        counting = .identity
        entities[current] = entity
    }

    mutating func finishMultipart(_ index: Int, at end: WirePosition) {
        entities[index].bodySpan = ByteSpan(start: entities[index].bodyStart.offset, end: end.offset)
        entities[index].bodyWireBytes = entities[index].bodyStart.wireBytes(to: end)
        entities[index].decodedBytes = entities[index].bodyWireBytes
    }

    func pathLabel(_ index: Int) -> String? {
        let path = entities[index].path
        return path.isEmpty ? nil : path
    }
}
