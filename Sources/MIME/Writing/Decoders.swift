/// Decodes base64 (leniently, as `Base64DecodedCounter` counts) into another sink.
public struct Base64DecodingSink<Downstream: ByteSink>: ByteSink {
    public private(set) var downstream: Downstream
    private var accumulator: UInt32 = 0
    private var characters = 0
    private var pads = 0
    private var finished = false
    private var out: [UInt8] = []

    public init(_ downstream: Downstream) {
        self.downstream = downstream
        out.reserveCapacity(1 << 16)
    }

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !finished, let base = bytes.baseAddress else { return }
        let table = Base64DecodingTable.values
        var index = 0
        while index < bytes.count {
            // The C kernel takes alphabet characters and line breaks, in slices whose output fits the buffer.
            let slice = min(bytes.count - index, Self.sliceLength)
            if out.count < Self.bufferLength { out.reserveCapacity(Self.bufferLength) }
            let before = characters
            var decoded = (consumed: 0, written: 0)
            let start = out.count
            out.append(contentsOf: repeatElement(0, count: slice / 4 * 3 + 3))
            out.withUnsafeMutableBufferPointer { buffer in
                decoded = Base64Kernels.decode(base + index, count: slice, into: buffer.baseAddress! + start,
                                               accumulator: &accumulator, characters: &characters)
            }
            out.removeLast(slice / 4 * 3 + 3 - decoded.written)
            if characters != before { pads = 0 }
            index += decoded.consumed
            if out.count >= Self.flushLength { try flush() }
            guard index < bytes.count, decoded.consumed < slice else { continue }
            // The byte the kernel stopped at: a pad, or junk to skip (CPython's lenient rules).
            if table[Int(bytes[index])] == 64 {
                let quantum = characters & 3
                if quantum >= 2 {
                    pads += 1
                    if quantum + pads >= 4 {
                        finished = true
                        break
                    }
                }
            }
            index += 1
        }
        if out.count >= Self.flushLength { try flush() }
    }

    /// Decoded bytes are handed on a mebibyte at a time: a file sink writes pieces that large without copying.
    private static var flushLength: Int { 1 << 20 }
    private static var sliceLength: Int { 1 << 16 }
    private static var bufferLength: Int { flushLength + sliceLength / 4 * 3 + 16 }

    /// Emits the bytes of a final partial quantum and returns the downstream sink.
    public mutating func finish() throws -> Downstream {
        switch characters & 3 {
        case 2:
            out.append(UInt8(truncatingIfNeeded: accumulator >> 4))
        case 3:
            out.append(UInt8(truncatingIfNeeded: accumulator >> 10))
            out.append(UInt8(truncatingIfNeeded: accumulator >> 2))
        default:
            break
        }
        characters = 0
        try flush()
        return downstream
    }

    private mutating func flush() throws {
        try drain(&out, into: &downstream)
    }
}

/// The base64 decoding table, built once: 0...63 for alphabet characters, 64 for "=", 255 for anything else.
enum Base64DecodingTable {
    static let values: [UInt8] = {
        var table = [UInt8](repeating: 255, count: 256)
        for (value, character) in Base64Alphabet.characters.enumerated() { table[Int(character)] = UInt8(value) }
        table[Int(UInt8(ascii: "="))] = 64
        return table
    }()
}

/// Turns every bare LF into CRLF, so text comes out in its canonical form.
public struct CRLFSink<Downstream: ByteSink>: ByteSink {
    public private(set) var downstream: Downstream
    private var lastWasCR = false
    private var out: [UInt8] = []

    public init(_ downstream: Downstream) {
        self.downstream = downstream
    }

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.contains(0x0A) else {
            if let last = bytes.last { lastWasCR = last == 0x0D }
            try downstream.write(bytes)
            return
        }
        out.removeAll(keepingCapacity: true)
        for byte in bytes {
            if byte == 0x0A && !lastWasCR { out.append(0x0D) }
            out.append(byte)
            lastWasCR = byte == 0x0D
        }
        try out.withUnsafeBytes { try downstream.write($0) }
    }

    public mutating func finish() throws -> Downstream { downstream }
}

extension CRLFSink where Downstream == MemorySink {
    /// `bytes` with every bare LF made CRLF: text a program wrote, in MIME's canonical form.
    public static func canonical(_ bytes: [UInt8]) -> [UInt8] {
        var sink = CRLFSink(MemorySink())
        try? sink.write(bytes)
        return (try? sink.finish())?.bytes ?? bytes
    }
}

/// Decodes quoted-printable (RFC 2045 section 6.7) into another sink, with the same lenient rules as
/// `QuotedPrintableDecodedCounter`. Feed it canonical text (CRLF line breaks).
public struct QuotedPrintableDecodingSink<Downstream: ByteSink>: ByteSink {
    public private(set) var downstream: Downstream
    private enum State { case normal, afterEquals, afterEqualsHex(UInt8), skippingToLineFeed }
    private var state = State.normal
    private var out: [UInt8] = []

    public init(_ downstream: Downstream) {
        self.downstream = downstream
    }

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        for byte in bytes { consume(byte) }
        if out.count >= 1 << 16 { try flush() }
    }

    private mutating func consume(_ byte: UInt8) {
        switch state {
        case .normal:
            if byte == UInt8(ascii: "=") { state = .afterEquals } else { out.append(byte) }
        case .afterEquals:
            switch byte {
            case 0x0A: state = .normal
            case 0x0D: state = .skippingToLineFeed
            case UInt8(ascii: "="): out.append(byte); state = .normal
            default:
                if hexValue(byte) != nil {
                    state = .afterEqualsHex(byte)
                } else {
                    out.append(UInt8(ascii: "="))
                    state = .normal
                    consume(byte)
                }
            }
        case .afterEqualsHex(let first):
            if let low = hexValue(byte), let high = hexValue(first) {
                out.append(high << 4 | low)
                state = .normal
            } else {
                out.append(UInt8(ascii: "="))
                out.append(first)
                state = .normal
                consume(byte)
            }
        case .skippingToLineFeed:
            if byte == 0x0A { state = .normal }
        }
    }

    public mutating func finish() throws -> Downstream {
        if case .afterEqualsHex(let first) = state {
            out.append(UInt8(ascii: "="))
            out.append(first)
        }
        state = .normal
        try flush()
        return downstream
    }

    private mutating func flush() throws {
        try drain(&out, into: &downstream)
    }
}

/// Decodes uuencoded data (between `begin` and `end` lines) into another sink, as `UUDecodedCounter` counts it.
public struct UUDecodingSink<Downstream: ByteSink>: ByteSink {
    public private(set) var downstream: Downstream
    private enum State { case beforeBegin, inData, ended }
    private var state = State.beforeBegin
    private var line: [UInt8] = []

    public init(_ downstream: Downstream) {
        self.downstream = downstream
    }

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        for byte in bytes {
            if byte == 0x0A {
                try endLine()
            } else {
                line.append(byte)
            }
        }
    }

    private mutating func endLine() throws {
        defer { line.removeAll(keepingCapacity: true) }
        var content = line[...]
        if content.last == 0x0D { content.removeLast() }
        switch state {
        case .beforeBegin:
            if content.starts(with: "begin ".utf8) { state = .inData }
        case .inData:
            var trimmed = content
            while let last = trimmed.last, last == 0x20 || last == 0x09 { trimmed.removeLast() }
            if content.count <= 5 && trimmed.elementsEqual("end".utf8) {
                state = .ended
                return
            }
            guard let first = content.first else { return }
            let count = Int((Int(first) - 0x20) & 0x3F)
            var out: [UInt8] = []
            var characters = Array(content.dropFirst())
            while characters.count % 4 != 0 || characters.count * 3 / 4 < count { characters.append(0x60) }
            var index = 0
            while index + 3 < characters.count && out.count < count {
                let values = (0..<4).map { UInt32((Int(characters[index + $0]) - 0x20) & 0x3F) }
                let group = values[0] << 18 | values[1] << 12 | values[2] << 6 | values[3]
                out += [UInt8(truncatingIfNeeded: group >> 16), UInt8(truncatingIfNeeded: group >> 8), UInt8(truncatingIfNeeded: group)]
                index += 4
            }
            try downstream.write(Array(out.prefix(count)))
        case .ended:
            break
        }
    }

    public mutating func finish() throws -> Downstream {
        if !line.isEmpty { try endLine() }
        return downstream
    }
}

/// Hands the bytes collected in `buffer` to `sink` and empties the buffer (keeping its capacity).
func drain<Sink: ByteSink>(_ buffer: inout [UInt8], into sink: inout Sink) throws {
    guard !buffer.isEmpty else { return }
    try buffer.withUnsafeBytes { try sink.write($0) }
    buffer.removeAll(keepingCapacity: true)
}
