import Crypto
import MIME

/// Hashes what passes through it with SHA-256 (swift-crypto) and hands it on to another sink.
struct SHA256Sink<Downstream: ByteSink>: ByteSink {
    var downstream: Downstream
    private var hasher = SHA256()
    /// Octets hashed.
    private(set) var count: Int64 = 0

    init(_ downstream: Downstream) {
        self.downstream = downstream
    }

    mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        hasher.update(bufferPointer: bytes)
        count += Int64(bytes.count)
        try downstream.write(bytes)
    }

    /// The digest as 64 lowercase hex digits, and the downstream sink.
    mutating func finish() -> (hex: String, downstream: Downstream) {
        let digest = hasher.finalize()
        let hex = Array("0123456789abcdef".utf8)
        return (String(decoding: digest.flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 0x0F)]] }, as: UTF8.self), downstream)
    }
}

/// A sink that drops what it gets (hashing a file again).
struct DiscardingSink: ByteSink {
    mutating func write(_ bytes: UnsafeRawBufferPointer) {}
}
