/// Counts the octets a uuencoded body (x-uuencode) decodes to.
///
/// Data lines sit between a `begin MODE NAME` line and an `end` line; the first character of each gives the number
/// of octets it carries: `(character - 0x20) & 0x3F`.
struct UUDecodedCounter {
    private enum State { case beforeBegin, inData, ended }
    private var state = State.beforeBegin
    /// The first bytes of the current line, enough to recognise `begin ` and `end`.
    private var lineStart: [UInt8] = []
    private var lineLength = 0
    private var octets: Int64 = 0

    mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        guard state != .ended else { return }
        if lineStart.count < 6 {
            lineStart.append(contentsOf: bytes.prefix(6 - lineStart.count))
        }
        lineLength += bytes.count
    }

    mutating func lineBreak() {
        defer {
            lineStart.removeAll(keepingCapacity: true)
            lineLength = 0
        }
        switch state {
        case .beforeBegin:
            if lineStart.starts(with: Array("begin ".utf8)) { state = .inData }
        case .inData:
            var trimmed = lineStart[...]
            while let last = trimmed.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") || last == UInt8(ascii: "\r") {
                trimmed.removeLast()
            }
            if lineLength <= 5 && trimmed.elementsEqual("end".utf8) {
                state = .ended
            } else if let first = lineStart.first {
                octets += Int64((Int(first) - 0x20) & 0x3F)
            }
        case .ended:
            break
        }
    }

    /// Ends the data: a last line without a line break still counts.
    mutating func finish() {
        if lineLength > 0 { lineBreak() }
    }

    var decodedBytes: Int64 { octets }
    /// True when data started but no `end` line closed it.
    var isTruncated: Bool { state == .inData }
}
