import Foundation
import Testing
@testable import MIME

/// The decoders counting (into a DiscardingSink, as the parser measures) against whole-buffer reference decoders, on seeded random input fed in random pieces.
@Suite("Decoded sizes")
struct DecodedSizeExamples {
    /// A small deterministic generator (SplitMix64), so failures reproduce.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func base64(_ data: [UInt8], lineWidth: Int) -> [UInt8] {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var text: [UInt8] = []
        var index = 0
        while index < data.count {
            let chunk = Array(data[index..<min(index + 3, data.count)])
            let value = chunk.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (16 - 8 * UInt32($1.offset)) }
            for position in 0..<4 {
                text.append(position <= chunk.count ? alphabet[Int((value >> (18 - 6 * UInt32(position))) & 63)] : UInt8(ascii: "="))
            }
            index += 3
        }
        var lines: [UInt8] = []
        for (offset, byte) in text.enumerated() {
            if offset > 0 && offset % lineWidth == 0 { lines += [0x0D, 0x0A] }
            lines.append(byte)
        }
        return lines
    }

    static func feedInPieces<G: RandomNumberGenerator>(_ bytes: [UInt8], using generator: inout G, _ feed: (UnsafeRawBufferPointer) -> Void) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let end = min(raw.count, offset + Int.random(in: 1...97, using: &generator))
                feed(UnsafeRawBufferPointer(rebasing: raw[offset..<end]))
                offset = end
            }
        }
    }

    @Test("base64 of n bytes decodes to n bytes, whatever the line width and pieces", arguments: [0, 1, 2, 3, 4, 57, 58, 59, 1000, 4097])
    func base64RoundTrip(size: Int) {
        var generator = Seeded(state: UInt64(size))
        let data = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for width in [76, 64, 4, 1] {
            var counter = Base64DecodingSink(DiscardingSink())
            Self.feedInPieces(Self.base64(data, lineWidth: width), using: &generator) { try? counter.write($0) }
            _ = try? counter.finish()
            #expect(counter.decodedBytes == Int64(size), "width \(width)")
            #expect(counter.invalidCharacters == 0 && !counter.isTruncated)
        }
    }

    @Test("base64 leniency: junk skipped, missing padding tolerated, data after padding ignored")
    func base64Leniency() {
        func count(_ text: String) -> Base64DecodingSink<DiscardingSink> {
            var counter = Base64DecodingSink(DiscardingSink())
            Array(text.utf8).withUnsafeBytes { try? counter.write($0) }
            _ = try? counter.finish()
            return counter
        }
        #expect(count("QUJD").decodedBytes == 3)
        #expect(count("QU*JD").decodedBytes == 3)
        #expect(count("QU*JD").invalidCharacters == 1)
        #expect(count("QUI").decodedBytes == 2)
        #expect(count("QUI=QUI=").decodedBytes == 2)
        #expect(count("QUI=QUI=").charactersAfterPadding == 3)
        #expect(count("QU=JD").decodedBytes == 3)
        #expect(count("QUJDR").isTruncated)
        #expect(count("QUJDR").decodedBytes == 3)
    }

    /// A whole-buffer quoted-printable decoder following RFC 2045 6.7 and the same lenient rules.
    static func referenceQuotedPrintable(_ input: [UInt8]) -> Int {
        var out = 0
        var index = 0
        func isHex(_ byte: UInt8) -> Bool { hexValue(byte) != nil }
        while index < input.count {
            if input[index] == UInt8(ascii: "=") {
                index += 1
                if index >= input.count { break }
                if input[index] == 0x0A || input[index] == 0x0D {
                    while index < input.count && input[index] != 0x0A { index += 1 }
                    if index < input.count { index += 1 }
                } else if input[index] == UInt8(ascii: "=") {
                    out += 1
                    index += 1
                } else if index + 1 < input.count && isHex(input[index]) && isHex(input[index + 1]) {
                    out += 1
                    index += 2
                } else {
                    out += 1
                }
            } else {
                out += 1
                index += 1
            }
        }
        return out
    }

    @Test("quoted-printable counts like a whole-buffer decoder on random text", arguments: 0..<40)
    func quotedPrintableMatchesReference(seed: Int) {
        var generator = Seeded(state: UInt64(seed) &* 7919)
        let pieces: [[UInt8]] = [Array("=".utf8), Array("=4".utf8), Array("=41".utf8), Array("=g".utf8), Array("==".utf8),
                                 Array("a".utf8), Array(" ".utf8), Array("\r\n".utf8), Array("=\r\n".utf8), [0xE9]]
        var text: [UInt8] = []
        for _ in 0..<Int.random(in: 0...200, using: &generator) {
            text += pieces[Int.random(in: 0..<pieces.count, using: &generator)]
        }
        var counter = QuotedPrintableDecodingSink(DiscardingSink())
        // The parser hands line content and line breaks separately.
        var lineStart = 0
        var index = 0
        while index < text.count {
            if text[index] == 0x0A {
                let contentEnd = index > lineStart && text[index - 1] == 0x0D ? index - 1 : index
                Array(text[lineStart..<contentEnd]).withUnsafeBytes { try? counter.write($0) }
                counter.lineBreak()
                lineStart = index + 1
            }
            index += 1
        }
        Array(text[lineStart...]).withUnsafeBytes { try? counter.write($0) }
        // Bare CRs inside a line are data to the parser, line structure to the reference: keep them out.
        #expect(counter.decodedBytesAtEnd == Int64(Self.referenceQuotedPrintable(text)), "\(String(decoding: text, as: UTF8.self).debugDescription)")
    }

    @Test("uuencoded lines count the octets their length character gives")
    func uuencode() throws {
        var counter = UUDecodingSink(DiscardingSink())
        for line in ["begin 644 a.txt", "M" + String(repeating: "A", count: 60), "#0V%T", "`", "end", "M" + String(repeating: "A", count: 60)] {
            Array(line.utf8).withUnsafeBytes { try? counter.write($0) }
            try counter.lineBreak()
        }
        #expect(counter.decodedBytes == 45 + 3)
        #expect(!counter.isTruncated)
    }
}

/// The vectorised alphabet scan against a plain loop: every byte value at every position of short and long runs.
@Suite("Base64 alphabet scan")
struct AlphabetScanExamples {
    static func isAlphabet(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"): true
        default: false
        }
    }

    @Test("the run ends at the first non-alphabet byte, wherever it is", arguments: [1, 15, 16, 17, 31, 33, 76, 100])
    func everyByteEverywhere(length: Int) {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var clean = (0..<length).map { alphabet[$0 % alphabet.count] }
        var counter = Base64DecodingSink(DiscardingSink())
        clean.withUnsafeBytes { try? counter.write($0) }
        #expect(counter.dataCharacters == Int64(length))
        for position in 0..<length {
            for value in 0...255 {
                let byte = UInt8(value)
                let saved = clean[position]
                clean[position] = byte
                var counter = Base64DecodingSink(DiscardingSink())
                clean.withUnsafeBytes { try? counter.write($0) }
                let expected: Int64 = Self.isAlphabet(byte) ? Int64(length) : Int64(length - 1)
                if byte == UInt8(ascii: "=") {
                    // Padding may end the data early; what follows is counted apart.
                    #expect(counter.dataCharacters + counter.charactersAfterPadding == Int64(length - 1))
                } else {
                    #expect(counter.dataCharacters == expected, "byte \(value) at \(position) of \(length)")
                }
                clean[position] = saved
            }
        }
    }
}

/// One decoder per encoding: counting into a `DiscardingSink` gives what decoding into memory writes, byte for byte
/// in number, on clean and damaged input fed in random pieces.
@Suite("Counting is decoding")
struct CountingIsDecoding {
    typealias Seeded = DecodedSizeExamples.Seeded

    /// Bytes of an encoded body with damage of the kinds real mail has: junk, stray padding, cut lines.
    static func damaged(_ encoding: TransferEncoding, seed: Int) -> [UInt8] {
        var generator = Seeded(state: UInt64(seed) &* 2_654_435_761 &+ 1)
        let data = (0..<Int.random(in: 0...3000, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var text: [UInt8]
        switch encoding {
        case .base64:
            text = Array(Data(data).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed]).utf8)
        case .quotedPrintable:
            text = QuotedPrintableEncoder.encode(data, lineBreak: [0x0D, 0x0A])
        default:
            var lines = ["begin 644 f.bin"]
            var index = 0
            while index < data.count {
                let chunk = Array(data[index..<min(data.count, index + 45)])
                var line = [UInt8(0x20 + chunk.count)]
                var padded = chunk
                while padded.count % 3 != 0 { padded.append(0) }
                for group in stride(from: 0, to: padded.count, by: 3) {
                    let value = UInt32(padded[group]) << 16 | UInt32(padded[group + 1]) << 8 | UInt32(padded[group + 2])
                    for shift in [18, 12, 6, 0] {
                        let six = UInt8((value >> UInt32(shift)) & 0x3F)
                        line.append(six == 0 ? 0x60 : six + 0x20)
                    }
                }
                lines.append(String(decoding: line, as: UTF8.self))
                index += 45
            }
            lines += ["`", "end"]
            text = Array(lines.joined(separator: "\r\n").utf8) + [0x0D, 0x0A]
        }
        for _ in 0..<Int.random(in: 0...6, using: &generator) where !text.isEmpty {
            let at = Int.random(in: 0..<text.count, using: &generator)
            let junk: [[UInt8]] = [[UInt8(ascii: "=")], [UInt8(ascii: "*")], [0x0D, 0x0A], [UInt8(ascii: "=")] + [0x0D, 0x0A], [0xE9], [0x20]]
            text.insert(contentsOf: junk[Int.random(in: 0..<junk.count, using: &generator)], at: at)
        }
        if Bool.random(using: &generator) && !text.isEmpty { text.removeLast(Int.random(in: 0...min(5, text.count), using: &generator)) }
        return text
    }

    @Test("base64: the count, the junk and the truncation are those of decoding", arguments: 0..<60)
    func base64(seed: Int) throws {
        var generator = Seeded(state: UInt64(seed))
        let text = Self.damaged(.base64, seed: seed)
        var counting = Base64DecodingSink(DiscardingSink())
        var decoding = Base64DecodingSink(MemorySink())
        DecodedSizeExamples.feedInPieces(text, using: &generator) { try? counting.write($0) }
        DecodedSizeExamples.feedInPieces(text, using: &generator) { try? decoding.write($0) }
        let written = try decoding.finish().bytes.count
        _ = try counting.finish()
        #expect(counting.decodedBytes == Int64(written) && decoding.decodedBytes == Int64(written))
        #expect(counting.invalidCharacters == decoding.invalidCharacters)
        #expect(counting.charactersAfterPadding == decoding.charactersAfterPadding)
        #expect(counting.isTruncated == decoding.isTruncated)
    }

    @Test("quoted-printable and uuencode: the count is what decoding writes", arguments: 0..<60)
    func others(seed: Int) throws {
        var generator = Seeded(state: UInt64(seed) &+ 99)
        for encoding in [TransferEncoding.quotedPrintable, .uuencode] {
            let text = Self.damaged(encoding, seed: seed)
            var counted: Int64
            var written: Int
            if encoding == .quotedPrintable {
                var counting = QuotedPrintableDecodingSink(DiscardingSink())
                var decoding = QuotedPrintableDecodingSink(MemorySink())
                DecodedSizeExamples.feedInPieces(text, using: &generator) { try? counting.write($0) }
                DecodedSizeExamples.feedInPieces(text, using: &generator) { try? decoding.write($0) }
                counted = counting.decodedBytesAtEnd
                written = try decoding.finish().bytes.count
            } else {
                var counting = UUDecodingSink(DiscardingSink())
                var decoding = UUDecodingSink(MemorySink())
                DecodedSizeExamples.feedInPieces(text, using: &generator) { try? counting.write($0) }
                DecodedSizeExamples.feedInPieces(text, using: &generator) { try? decoding.write($0) }
                _ = try counting.finish()
                counted = counting.decodedBytes
                written = try decoding.finish().bytes.count
            }
            #expect(counted == Int64(written), "\(encoding)")
        }
    }
}
