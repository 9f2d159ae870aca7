import Crypto
import Dispatch
import MIME

/// Hashes what passes through it with SHA-256 (swift-crypto) and hands it on to another sink.
///
/// The hashing runs on a second thread, a mebibyte at a time, so that it overlaps the decoding and writing of
/// the bytes: sharing a large attachment then takes about as long as the slower of the two, not their sum.
struct SHA256Sink<Downstream: ByteSink>: ByteSink {
    var downstream: Downstream
    private let hasher = BackgroundHasher()
    private var pending: [UInt8] = []
    /// Octets hashed.
    private(set) var count: Int64 = 0

    private static var chunkLength: Int { 1 << 20 }

    init(_ downstream: Downstream) {
        self.downstream = downstream
    }

    mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        if pending.isEmpty { pending.reserveCapacity(Self.chunkLength) }
        pending.append(contentsOf: bytes)
        if pending.count >= Self.chunkLength {
            hasher.update(pending)
            pending = []
        }
        count += Int64(bytes.count)
        try downstream.write(bytes)
    }

    /// The digest as 64 lowercase hex digits, and the downstream sink.
    mutating func finish() -> (hex: String, downstream: Downstream) {
        if !pending.isEmpty { hasher.update(pending) }
        pending = []
        return (hasher.finish(), downstream)
    }
}

/// A SHA-256 computation on its own serial queue; at most three chunks wait for it, so memory stays bounded
/// when hashing is the slower side.
final class BackgroundHasher: @unchecked Sendable {
    // Touched only on `queue`.
    private var hasher = SHA256()
    private let queue = DispatchQueue(label: "mailprep.sha256")
    private let slots = DispatchSemaphore(value: 3)

    func update(_ chunk: [UInt8]) {
        slots.wait()
        queue.async {
            chunk.withUnsafeBytes { self.hasher.update(bufferPointer: $0) }
            self.slots.signal()
        }
    }

    func finish() -> String {
        queue.sync { Self.hex(hasher.finalize()) }
    }

    static func hex(_ digest: SHA256.Digest) -> String {
        let hex = Array("0123456789abcdef".utf8)
        return String(decoding: digest.flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 0x0F)]] }, as: UTF8.self)
    }
}

/// SHA-256 of a few bytes (a password with its salt), on the calling thread.
func sha256Hex(_ bytes: [UInt8]) -> String {
    BackgroundHasher.hex(SHA256.hash(data: bytes))
}

