import Testing
@testable import MIME

/// The decoded-size counters against whole-buffer reference decoders, on seeded random input fed in random pieces.
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
            var counter = Base64DecodedCounter()
            Self.feedInPieces(Self.base64(data, lineWidth: width), using: &generator) { counter.feed($0) }
            #expect(counter.decodedBytes == Int64(size), "width \(width)")
            #expect(counter.invalidCharacters == 0 && !counter.isTruncated)
        }
    }

    @Test("base64 leniency: junk skipped, missing padding tolerated, data after padding ignored")
    func base64Leniency() {
        func count(_ text: String) -> Base64DecodedCounter {
            var counter = Base64DecodedCounter()
            Array(text.utf8).withUnsafeBytes { counter.feed($0) }
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
        var counter = QuotedPrintableDecodedCounter()
        // The parser hands line content and line breaks separately.
        var lineStart = 0
        var index = 0
        while index < text.count {
            if text[index] == 0x0A {
                let contentEnd = index > lineStart && text[index - 1] == 0x0D ? index - 1 : index
                Array(text[lineStart..<contentEnd]).withUnsafeBytes { counter.feed($0) }
                counter.lineBreak()
                lineStart = index + 1
            }
            index += 1
        }
        Array(text[lineStart...]).withUnsafeBytes { counter.feed($0) }
        // Bare CRs inside a line are data to the parser, line structure to the reference: keep them out.
        #expect(counter.decodedBytes == Int64(Self.referenceQuotedPrintable(text)), "\(String(decoding: text, as: UTF8.self).debugDescription)")
    }

    @Test("uuencoded lines count the octets their length character gives")
    func uuencode() {
        var counter = UUDecodedCounter()
        for line in ["begin 644 a.txt", "M" + String(repeating: "A", count: 60), "#0V%T", "`", "end", "M" + String(repeating: "A", count: 60)] {
            Array(line.utf8).withUnsafeBytes { counter.feed($0) }
            counter.lineBreak()
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
        var counter = Base64DecodedCounter()
        clean.withUnsafeBytes { counter.feed($0) }
        #expect(counter.dataCharacters == Int64(length))
        for position in 0..<length {
            for value in 0...255 {
                let byte = UInt8(value)
                let saved = clean[position]
                clean[position] = byte
                var counter = Base64DecodedCounter()
                clean.withUnsafeBytes { counter.feed($0) }
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
