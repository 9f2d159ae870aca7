/// Counts the octets a base64 body decodes to, without building them.
///
/// Follows the decoding rules of RFC 2045 section 6.8 as lenient decoders apply them: characters outside the
/// alphabet are skipped, and a pad sequence that completes a quantum ends the data. A final quantum of one
/// character cannot carry an octet and is dropped (reported as truncated).
struct Base64DecodedCounter {
    /// Alphabet characters counted before the data ended.
    private(set) var dataCharacters: Int64 = 0
    private var pads = 0
    private(set) var finished = false
    /// Characters that are neither alphabet, padding nor white space.
    private(set) var invalidCharacters: Int64 = 0
    /// Alphabet characters seen after the pad sequence that ended the data.
    private(set) var charactersAfterPadding: Int64 = 0

    private enum Class { case alphabet, pad, space, other }

    @inline(__always)
    private static func classify(_ byte: UInt8) -> Class {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"): .alphabet
        case UInt8(ascii: "="): .pad
        case 0x20, 0x09, 0x0D, 0x0A: .space
        default: .other
        }
    }

    mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        let count = bytes.count
        var index = 0
        while index < count {
            if finished {
                while index < count {
                    if Self.classify(base.load(fromByteOffset: index, as: UInt8.self)) == .alphabet { charactersAfterPadding += 1 }
                    index += 1
                }
                return
            }
            // The run of data characters (vectorised in C).
            let run = Base64Kernels.alphabetRun(base + index, count: count - index)
            if run > 0 {
                index += run
                dataCharacters += Int64(run)
                pads = 0
            }
            // Then the character that ended the run: padding, white space or junk.
            if index < count {
                switch Self.classify(base.load(fromByteOffset: index, as: UInt8.self)) {
                case .alphabet:
                    dataCharacters += 1
                    pads = 0
                case .pad:
                    let quantum = Int(dataCharacters % 4)
                    if quantum >= 2 {
                        pads += 1
                        if quantum + pads >= 4 { finished = true }
                    }
                case .space:
                    break
                case .other:
                    invalidCharacters += 1
                }
                index += 1
            }
        }
    }

    /// Octets the data decodes to.
    var decodedBytes: Int64 {
        let full = dataCharacters / 4 * 3
        switch dataCharacters % 4 {
        case 2: return full + 1
        case 3: return full + 2
        default: return full
        }
    }

    /// True when the last quantum holds a single character, which no decoder can turn into an octet.
    var isTruncated: Bool { dataCharacters % 4 == 1 }
}
