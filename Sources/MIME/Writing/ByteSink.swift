#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where written bytes go: a file, a counter, or an encoder wrapping another sink.
///
/// One serializer writes into any sink, so a size measured with a `CountingSink` is the size a `FileSink` gets.
public protocol ByteSink {
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws
    /// False for a sink that keeps nothing (`DiscardingSink`): a decoder writing into it only counts what it would
    /// write, by the same rules, without building the bytes.
    static var keepsBytes: Bool { get }
}

extension ByteSink {
    public static var keepsBytes: Bool { true }

    public mutating func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    public mutating func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }
}

/// Counts what would be written: octets, and octets on the wire (each bare line feed sent as CRLF).
public struct CountingSink: ByteSink {
    /// Octets written.
    public private(set) var bytes: Int64 = 0
    /// Line feeds not preceded by CR.
    public private(set) var bareLineFeeds: Int64 = 0
    private var lastWasCR = false

    public init() {}

    private var lastWasLF = true

    /// Octets on the wire: CRLF line endings.
    public var wireBytes: Int64 { bytes + bareLineFeeds }

    /// Octets on the wire of a whole message, as `Message.wireBytes` counts: with the CRLF a client adds when the
    /// data does not end in a line break.
    public var messageWireBytes: Int64 { wireBytes + (bytes > 0 && !lastWasLF ? 2 : 0) }

    public mutating func write(_ buffer: UnsafeRawBufferPointer) {
        guard let last = buffer.last else { return }
        bytes += Int64(buffer.count)
        if lastWasCR && buffer[0] == 0x0A {
            bareLineFeeds -= 1  // counted below as bare; the CR was in the previous piece
        }
        bareLineFeeds += Int64(CountingSink.bareLineFeeds(in: buffer))
        lastWasCR = last == 0x0D
        lastWasLF = last == 0x0A
    }

    /// Line feeds in `buffer` without a CR before them inside `buffer`.
    private static func bareLineFeeds(in buffer: UnsafeRawBufferPointer) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var count = 0
        var from = 0
        while from < buffer.count, let found = memchr(base + from, 0x0A, buffer.count - from) {
            let index = base.distance(to: UnsafeRawPointer(found))
            if index == 0 || buffer[index - 1] != 0x0D { count += 1 }
            from = index + 1
        }
        return count
    }
}

/// Keeps nothing (GMime's null stream): the decoders' counting mode. A decoder's `decodedBytes` says how many octets
/// it would have written; the parser measures every body this way.
public struct DiscardingSink: ByteSink {
    public init() {}
    public mutating func write(_ bytes: UnsafeRawBufferPointer) {}
    public static var keepsBytes: Bool { false }
}

/// Collects bytes in memory; for tests and small texts.
public struct MemorySink: ByteSink {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func write(_ buffer: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: buffer)
    }
}
