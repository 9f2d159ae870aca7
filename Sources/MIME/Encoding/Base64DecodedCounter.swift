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

    /// 0 = alphabet, 1 = pad, 2 = white space and line breaks, 3 = anything else.
    private static let classes: [UInt8] = {
        var table = [UInt8](repeating: 3, count: 256)
        for byte in UInt8(ascii: "A")...UInt8(ascii: "Z") { table[Int(byte)] = 0 }
        for byte in UInt8(ascii: "a")...UInt8(ascii: "z") { table[Int(byte)] = 0 }
        for byte in UInt8(ascii: "0")...UInt8(ascii: "9") { table[Int(byte)] = 0 }
        table[Int(UInt8(ascii: "+"))] = 0
        table[Int(UInt8(ascii: "/"))] = 0
        table[Int(UInt8(ascii: "="))] = 1
        for byte in [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n")] { table[Int(byte)] = 2 }
        return table
    }()

    mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        let count = bytes.count
        Self.classes.withUnsafeBufferPointer { table in
            var index = 0
            while index < count {
                if finished {
                    while index < count {
                        if table[Int(base[index])] == 0 { charactersAfterPadding += 1 }
                        index += 1
                    }
                    return
                }
                let runStart = index
                while index < count && table[Int(base[index])] == 0 { index += 1 }
                if index > runStart {
                    dataCharacters += Int64(index - runStart)
                    pads = 0
                }
                guard index < count else { return }
                switch table[Int(base[index])] {
                case 1:
                    let quantum = Int(dataCharacters % 4)
                    if quantum >= 2 {
                        pads += 1
                        if quantum + pads >= 4 { finished = true }
                    }
                case 2:
                    break
                default:
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
