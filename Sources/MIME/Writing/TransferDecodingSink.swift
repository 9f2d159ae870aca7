/// Decodes a body by its Content-Transfer-Encoding into another sink: base64, quoted-printable, uuencode,
/// or none; text line breaks come out as CRLF, the canonical form `Entity.decodedBytes` counts.
///
/// The one decoding path: compressing a whole attachment and sampling pieces of it for an estimate both use it.
public struct TransferDecodingSink<Downstream: ByteSink>: ByteSink {
    private enum Chain {
        case base64(Base64DecodingSink<Downstream>)
        // Line breaks are made canonical before decoding, as the counters see them; "=0A" stays a bare LF.
        case quotedPrintable(CRLFSink<QuotedPrintableDecodingSink<Downstream>>)
        case uuencode(CRLFSink<UUDecodingSink<Downstream>>)
        case identity(CRLFSink<Downstream>)
        /// Held only while a decoder is being written to, so its buffers stay uniquely referenced.
        case moving
    }

    private var chain: Chain
    /// The CRLF a client adds after a source without a final line break, when this body ends there.
    private let addsLineBreak: Bool

    public init(_ downstream: Downstream, encoding: TransferEncoding, addsLineBreak: Bool = false) {
        switch encoding {
        case .base64: chain = .base64(Base64DecodingSink(downstream))
        case .quotedPrintable: chain = .quotedPrintable(CRLFSink(QuotedPrintableDecodingSink(downstream)))
        case .uuencode: chain = .uuencode(CRLFSink(UUDecodingSink(downstream)))
        default: chain = .identity(CRLFSink(downstream))
        }
        self.addsLineBreak = addsLineBreak
    }

    /// The decoder for `entity`'s body.
    public init(_ downstream: Downstream, for entity: Entity) {
        self.init(downstream, encoding: entity.transferEncoding, addsLineBreak: entity.endsWithAddedLineBreak)
    }

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        switch chain {
        case .base64(var decoder):
            chain = .moving
            defer { chain = .base64(decoder) }
            try decoder.write(bytes)
        case .quotedPrintable(var decoder):
            chain = .moving
            defer { chain = .quotedPrintable(decoder) }
            try decoder.write(bytes)
        case .uuencode(var decoder):
            chain = .moving
            defer { chain = .uuencode(decoder) }
            try decoder.write(bytes)
        case .identity(var decoder):
            chain = .moving
            defer { chain = .identity(decoder) }
            try decoder.write(bytes)
        case .moving:
            break
        }
    }

    /// Ends the body (with the added line break, where there is one) and returns the downstream sink.
    public mutating func finish() throws -> Downstream {
        let lineBreak: [UInt8] = addsLineBreak ? [0x0D, 0x0A] : []
        switch chain {
        case .base64(var decoder):
            return try decoder.finish()
        case .quotedPrintable(var decoder):
            try decoder.write(lineBreak)
            var inner = try decoder.finish()
            return try inner.finish()
        case .uuencode(var decoder):
            try decoder.write(lineBreak)
            var inner = try decoder.finish()
            return try inner.finish()
        case .identity(var decoder):
            try decoder.write(lineBreak)
            return try decoder.finish()
        case .moving:
            preconditionFailure("TransferDecodingSink finished while writing")
        }
    }
}
