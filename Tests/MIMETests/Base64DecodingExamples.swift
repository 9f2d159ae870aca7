import Foundation
import Testing
@testable import MIME

/// The base64 decoder (a C kernel for alphabet runs, Swift for pads and junk) against the rules written out
/// byte by byte, on inputs cut into pieces at every kind of place.
@Suite("Base64 decoding")
struct Base64DecodingExamples {
    /// The lenient rules, one byte at a time: alphabet characters build quanta, "=" after two or three of a
    /// quantum's characters completes it and ends the data, anything else is skipped.
    static func reference(_ input: [UInt8]) -> [UInt8] {
        let table = Base64DecodingTable.values
        var out: [UInt8] = []
        var accumulator: UInt32 = 0
        var characters = 0
        var pads = 0
        loop: for byte in input {
            let value = table[Int(byte)]
            if value < 64 {
                accumulator = accumulator << 6 | UInt32(value)
                characters += 1
                pads = 0
                if characters % 4 == 0 {
                    out += [UInt8(truncatingIfNeeded: accumulator >> 16), UInt8(truncatingIfNeeded: accumulator >> 8), UInt8(truncatingIfNeeded: accumulator)]
                    accumulator = 0
                }
            } else if value == 64, characters % 4 >= 2 {
                pads += 1
                if characters % 4 + pads >= 4 { break loop }
            }
        }
        switch characters % 4 {
        case 2: out.append(UInt8(truncatingIfNeeded: accumulator >> 4))
        case 3: out += [UInt8(truncatingIfNeeded: accumulator >> 10), UInt8(truncatingIfNeeded: accumulator >> 2)]
        default: break
        }
        return out
    }

    static func decode(_ input: [UInt8], pieces: Int) throws -> [UInt8] {
        var sink = Base64DecodingSink(MemorySink())
        let size = max(1, input.count / pieces)
        var start = 0
        while start < input.count {
            let end = min(input.count, start + size)
            try sink.write(Array(input[start..<end]))
            start = end
        }
        return try sink.finish().bytes
    }

    @Test("random bytes encoded at 76 columns (CRLF and LF) decode to themselves, whole or in pieces", arguments: [1, 3, 7, 1000])
    func roundTrip(pieces: Int) throws {
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 2, 3, 56, 57, 58, 100_000, 200_003] {
            let data = Data((0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) })
            for options in [Data.Base64EncodingOptions([.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed]),
                            [.lineLength76Characters, .endLineWithLineFeed]] {
                #expect(try Self.decode(Array(data.base64EncodedString(options: options).utf8), pieces: pieces) == Array(data))
            }
        }
    }

    @Test("junk, stray pads, early pads and text after the end decode as the byte-by-byte rules say")
    func damaged() throws {
        var generator = SystemRandomNumberGenerator()
        let noise = Array("AZaz09+/=\r\n \t*-.\u{1}".utf8)
        for round in 0..<400 {
            let length = Int.random(in: 0...300, using: &generator)
            let input = (0..<length).map { _ in noise.randomElement(using: &generator)! }
            let pieces = [1, 2, 5, 17][round % 4]
            #expect(try Self.decode(input, pieces: pieces) == Self.reference(input), "\(String(decoding: input, as: UTF8.self))")
        }
    }
}
