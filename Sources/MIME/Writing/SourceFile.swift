#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The message source, opened for reading spans of it again: untouched entities are copied from here byte for
/// byte, and attachments decoded from here when they are compressed.
public final class SourceFile: @unchecked Sendable {
    public let path: String
    private let descriptor: Int32

    public init(path: String) throws {
        self.path = path
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileError(path: path, errno: errno, operation: "open") }
    }

    deinit {
        close(descriptor)
    }

    /// Writes the bytes of `span` into `sink`, in pieces of at most `chunk` octets.
    public func copy<Sink: ByteSink>(_ span: ByteSpan, into sink: inout Sink, chunk: Int = 1 << 18) throws {
        var buffer = [UInt8](repeating: 0, count: chunk)
        var offset = span.start
        while offset < span.end {
            let want = Int(min(Int64(chunk), span.end - offset))
            let got = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, want, off_t(offset)) }
            if got < 0 {
                if errno == EINTR { continue }
                throw FileError(path: path, errno: errno, operation: "read")
            }
            if got == 0 { throw FileError(path: path, errno: EIO, operation: "read (file shrank)") }
            try buffer.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<got])) }
            offset += Int64(got)
        }
    }

    /// Writes the decoded body of `entity` into `sink`: base64, quoted-printable and uuencode are decoded, line
    /// breaks of text come out as CRLF (the canonical form `Entity.decodedBytes` counts).
    public func decodeBody<Sink: ByteSink>(of entity: Entity, into sink: inout Sink) throws {
        var decoder = TransferDecodingSink(sink, for: entity)
        try copy(entity.bodySpan, into: &decoder)
        sink = try decoder.finish()
    }
}
