/// Decodes base64 (RFC 2045 section 6.8) into another sink, leniently, as mail programs read it: characters outside
/// the alphabet are skipped (and counted as invalid, white space apart), and a pad sequence that completes a quantum
/// ends the data (alphabet characters after it are counted, not decoded). A final quantum of one character cannot
/// carry an octet and is dropped (`isTruncated`).
///
/// The one implementation of these rules: into a `DiscardingSink` it only counts (the parser measures every base64
/// body so), scanning alphabet runs instead of decoding them.
public struct Base64DecodingSink<Downstream: ByteSink>: ByteSink {
    public private(set) var downstream: Downstream
    private var accumulator: UInt32 = 0
    /// Alphabet characters taken as data so far.
    private var characters = 0
    private var pads = 0
    private var finished = false
    private var ended = false
    private var out: [UInt8] = []
    /// Octets decoded (written, or only counted).
    public private(set) var decodedBytes: Int64 = 0
    /// Characters that are neither alphabet, padding nor white space.
    public private(set) var invalidCharacters: Int64 = 0
    /// Alphabet characters after the pad sequence that ended the data.
    public private(set) var charactersAfterPadding: Int64 = 0

    public init(_ downstream: Downstream) {
        self.downstream = downstream
        if Downstream.keepsBytes { out.reserveCapacity(1 << 16) }
    }

    /// True when the last quantum holds a single character, which no decoder can turn into an octet.
    public var isTruncated: Bool { characters & 3 == 1 }
    /// Alphabet characters taken as data so far.
    public var dataCharacters: Int64 { Int64(characters) }

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress else { return }
        var index = 0
        while index < bytes.count {
            if finished {
                let table = Base64DecodingTable.values
                for position in index..<bytes.count where table[Int(bytes[position])] < 64 { charactersAfterPadding += 1 }
                return
            }
            let before = characters
            if Downstream.keepsBytes {
                // The C kernel takes alphabet characters and line breaks, in slices whose output fits the buffer.
                let slice = min(bytes.count - index, Self.sliceLength)
                if out.count < Self.bufferLength { out.reserveCapacity(Self.bufferLength) }
                var decoded = (consumed: 0, written: 0)
                let start = out.count
                out.append(contentsOf: repeatElement(0, count: slice / 4 * 3 + 3))
                out.withUnsafeMutableBufferPointer { buffer in
                    decoded = Base64Kernels.decode(base + index, count: slice, into: buffer.baseAddress! + start,
                                                   accumulator: &accumulator, characters: &characters)
                }
                out.removeLast(slice / 4 * 3 + 3 - decoded.written)
                decodedBytes += Int64(decoded.written)
                index += decoded.consumed
                if out.count >= Self.flushLength { try flush() }
                if characters != before { pads = 0 }
                guard index < bytes.count, decoded.consumed < slice else { continue }
            } else {
                // Counting: the run of alphabet characters (vectorised in C) is all that matters.
                let run = Base64Kernels.alphabetRun(base + index, count: bytes.count - index)
                let whole = (characters & 3 + run) / 4
                decodedBytes += Int64(whole * 3)
                characters += run
                index += run
                if run > 0 { pads = 0 }
                guard index < bytes.count else { continue }
            }
            // The byte the run stopped at: a pad, white space, or junk to skip.
            switch bytes[index] {
            case UInt8(ascii: "="):
                let quantum = characters & 3
                if quantum >= 2 {
                    pads += 1
                    if quantum + pads >= 4 { finished = true }
                }
            case 0x20, 0x09, 0x0D, 0x0A:
                break
            default:
                invalidCharacters += 1
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
        guard !ended else { return downstream }
        ended = true
        switch characters & 3 {
        case 2:
            if Downstream.keepsBytes { out.append(UInt8(truncatingIfNeeded: accumulator >> 4)) }
            decodedBytes += 1
        case 3:
            if Downstream.keepsBytes {
                out.append(UInt8(truncatingIfNeeded: accumulator >> 10))
                out.append(UInt8(truncatingIfNeeded: accumulator >> 2))
            }
            decodedBytes += 2
        default:
            break
        }
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

/// Decodes quoted-printable (RFC 2045 section 6.7) into another sink. Feed it canonical text (CRLF line breaks).
///
/// `=XX` is one octet, `=` before a line break a soft line break (no octet). Malformed escapes are kept literally,
/// as lenient decoders do: an `=` not followed by two hex digits stands for itself, `==` for one `=`, and anything
/// between `=` and CR up to the line feed is dropped. Into a `DiscardingSink` it only counts.
public struct QuotedPrintableDecodingSink<Downstream: ByteSink>: ByteSink {
    public private(set) var downstream: Downstream
    private enum State { case normal, afterEquals, afterEqualsHex(UInt8), skippingToLineFeed }
    private var state = State.normal
    private var out: [UInt8] = []
    /// Octets decoded (written, or only counted).
    public private(set) var decodedBytes: Int64 = 0

    public init(_ downstream: Downstream) {
        self.downstream = downstream
    }

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        for byte in bytes { consume(byte) }
        if Downstream.keepsBytes && out.count >= 1 << 16 { try flush() }
    }

    @inline(__always)
    private mutating func emit(_ byte: UInt8) {
        decodedBytes += 1
        if Downstream.keepsBytes { out.append(byte) }
    }

    /// A line break in the canonical form (CRLF), for a reader that hands lines without their breaks.
    public mutating func lineBreak() {
        consume(0x0D)
        consume(0x0A)
    }

    /// Whatever the end of the data leaves pending counts as written, without ending the decoder.
    public var decodedBytesAtEnd: Int64 {
        if case .afterEqualsHex = state { return decodedBytes + 2 }
        return decodedBytes
    }

    private mutating func consume(_ byte: UInt8) {
        switch state {
        case .normal:
            if byte == UInt8(ascii: "=") { state = .afterEquals } else { emit(byte) }
        case .afterEquals:
            switch byte {
            case 0x0A: state = .normal
            case 0x0D: state = .skippingToLineFeed
            case UInt8(ascii: "="): emit(byte); state = .normal
            default:
                if hexValue(byte) != nil {
                    state = .afterEqualsHex(byte)
                } else {
                    emit(UInt8(ascii: "="))
                    state = .normal
                    consume(byte)
                }
            }
        case .afterEqualsHex(let first):
            if let low = hexValue(byte), let high = hexValue(first) {
                emit(high << 4 | low)
                state = .normal
            } else {
                emit(UInt8(ascii: "="))
                emit(first)
                state = .normal
                consume(byte)
            }
        case .skippingToLineFeed:
            if byte == 0x0A { state = .normal }
        }
    }

    public mutating func finish() throws -> Downstream {
        if case .afterEqualsHex(let first) = state {
            emit(UInt8(ascii: "="))
            emit(first)
        }
        state = .normal
        try flush()
        return downstream
    }

    private mutating func flush() throws {
        try drain(&out, into: &downstream)
    }
}

/// Decodes uuencoded data (x-uuencode: lines between `begin MODE NAME` and `end`) into another sink; the first
/// character of each line gives the octets it carries, `(character - 0x20) & 0x3F`. Into a `DiscardingSink` it only
/// counts, keeping no more of a line than its first characters.
public struct UUDecodingSink<Downstream: ByteSink>: ByteSink {
    public private(set) var downstream: Downstream
    private enum State { case beforeBegin, inData, ended }
    private var state = State.beforeBegin
    /// The line so far (counting: its first six bytes), and its length.
    private var line: [UInt8] = []
    private var lineLength = 0
    private var lastWasCR = false
    /// Octets decoded (written, or only counted).
    public private(set) var decodedBytes: Int64 = 0

    public init(_ downstream: Downstream) {
        self.downstream = downstream
    }

    /// True when data started but no `end` line closed it.
    public var isTruncated: Bool { state == .inData }

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard state != .ended else { return }
        for byte in bytes {
            if byte == 0x0A {
                try endLine()
            } else {
                if Downstream.keepsBytes || line.count < 6 { line.append(byte) }
                lineLength += 1
                lastWasCR = byte == 0x0D
            }
        }
    }

    /// A line break, for a reader that hands lines without their breaks.
    public mutating func lineBreak() throws {
        guard state != .ended else { return }
        try endLine()
    }

    private mutating func endLine() throws {
        defer {
            line.removeAll(keepingCapacity: true)
            lineLength = 0
            lastWasCR = false
        }
        var content = line[...]
        let length = lineLength - (lastWasCR ? 1 : 0)
        if lastWasCR && content.count == lineLength { content.removeLast() }
        switch state {
        case .beforeBegin:
            if content.starts(with: "begin ".utf8) { state = .inData }
        case .inData:
            var trimmed = content.prefix(6)
            while let last = trimmed.last, last == 0x20 || last == 0x09 || last == 0x0D { trimmed.removeLast() }
            if length <= 5 && trimmed.elementsEqual("end".utf8) {
                state = .ended
                return
            }
            guard let first = content.first else { return }
            let count = Int((Int(first) - 0x20) & 0x3F)
            decodedBytes += Int64(count)
            guard Downstream.keepsBytes else { return }
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

    /// Ends the data: a last line without a line break still counts.
    public mutating func finish() throws -> Downstream {
        if lineLength > 0 && state != .ended { try endLine() }
        return downstream
    }
}

/// Hands the bytes collected in `buffer` to `sink` and empties the buffer (keeping its capacity).
func drain<Sink: ByteSink>(_ buffer: inout [UInt8], into sink: inout Sink) throws {
    guard !buffer.isEmpty else { return }
    try buffer.withUnsafeBytes { try sink.write($0) }
    buffer.removeAll(keepingCapacity: true)
}
