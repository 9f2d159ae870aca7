/// The base64 alphabet (RFC 2045 table 1).
enum Base64Alphabet {
    static let characters: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
}

/// Encodes bytes as base64 (RFC 2045 section 6.8) into another sink: 76 characters a line, lines joined by the
/// chosen line break, no line break after the last line (the delimiter that follows brings its own).
public struct Base64EncodingSink<Downstream: ByteSink>: ByteSink {
    public private(set) var downstream: Downstream
    private let lineBreak: [UInt8]
    /// Input bytes not yet making a group of three.
    private var carry: [UInt8] = []
    /// Characters on the current output line.
    private var column = 0
    private var out: [UInt8]
    private var used = 0

    public static var lineLength: Int { 76 }
    private static var flushAt: Int { 1 << 16 }

    public init(_ downstream: Downstream, lineBreak: [UInt8] = [0x0D, 0x0A]) {
        self.downstream = downstream
        self.lineBreak = lineBreak
        self.out = [UInt8](repeating: 0, count: Self.flushAt + 256)
    }

    /// Octets the encoding of `count` octets takes: `4 * ceil(count / 3)` characters, and a line break between
    /// lines of 76.
    public static func encodedBytes(of count: Int64, lineBreakBytes: Int64 = 2) -> Int64 {
        let characters = (count + 2) / 3 * 4
        let lines = (characters + Int64(lineLength) - 1) / Int64(lineLength)
        return characters + max(0, lines - 1) * lineBreakBytes
    }

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        var input = bytes[...]
        while !carry.isEmpty && carry.count < 3, let first = input.first {
            carry.append(first)
            input = input.dropFirst()
        }
        if carry.count == 3 {
            try encode(UnsafeRawBufferPointer(start: carry, count: 3))
            carry.removeAll(keepingCapacity: true)
        }
        let whole = input.count / 3 * 3
        if whole > 0 {
            try encode(UnsafeRawBufferPointer(rebasing: input.prefix(whole)))
        }
        carry.append(contentsOf: input.dropFirst(whole))
    }

    /// Writes the final partial group with padding and hands everything to the downstream sink.
    public mutating func finish() throws -> Downstream {
        if !carry.isEmpty {
            let table = Base64Alphabet.characters
            let a = carry[0]
            let b = carry.count > 1 ? carry[1] : 0
            var group = [table[Int(a >> 2)], table[Int((a & 0x03) << 4 | b >> 4)], UInt8(ascii: "="), UInt8(ascii: "=")]
            if carry.count == 2 { group[2] = table[Int((b & 0x0F) << 2)] }
            if column == Self.lineLength {
                append(lineBreak)
                column = 0
            }
            append(group)
            column += 4
            carry.removeAll()
        }
        try flush()
        return downstream
    }

    /// Encodes whole groups of three (in C: Swift's checked array stores ran at half of coreutils' speed).
    private mutating func encode(_ bytes: UnsafeRawBufferPointer) throws {
        var index = 0
        while index < bytes.count {
            // As much as fits the free output space, in whole groups.
            let room = (out.count - used - 64) / 78 * 57
            let take = min(bytes.count - index, max(3, room)) / 3 * 3
            var column = self.column
            let at = used
            let lineBreak = self.lineBreak
            let written = out.withUnsafeMutableBufferPointer { output in
                lineBreak.withUnsafeBufferPointer { lineBreak in
                    Base64Kernels.encode(bytes.baseAddress! + index, count: take, into: output.baseAddress! + at,
                                         lineBreak: lineBreak, column: &column)
                }
            }
            self.column = column
            used += written
            index += take
            if used >= Self.flushAt { try flush() }
        }
    }

    private mutating func append(_ bytes: [UInt8]) {
        for byte in bytes {
            out[used] = byte
            used += 1
        }
    }

    private mutating func flush() throws {
        guard used > 0 else { return }
        let count = used
        used = 0
        try out.withUnsafeBytes { try downstream.write(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }
}
