/// Edits a raw header section line by line: fields of the given names are dropped and new field lines added
/// at its end, every other byte (folding, order, 8-bit text) kept as it was.
public enum HeaderEditor {
    /// `raw` is a header section as in the source, ending with its empty line (which may be missing at the end
    /// of a file). New lines are written with `lineBreak` and must not contain line breaks of their own other
    /// than folding (`lineBreak` followed by a space).
    public static func edit(_ raw: [UInt8], removing names: Set<String> = [], adding lines: [String], lineBreak: [UInt8]) -> [UInt8] {
        let lowered = Set(names.map { $0.lowercased() })
        var output: [UInt8] = []
        output.reserveCapacity(raw.count + lines.reduce(0) { $0 + $1.utf8.count + 2 })
        var dropping = false
        var lineStart = 0
        var ending: [UInt8] = lineBreak
        while lineStart < raw.count {
            var lineEnd = lineStart
            while lineEnd < raw.count && raw[lineEnd] != 0x0A { lineEnd += 1 }
            let next = min(lineEnd + 1, raw.count)
            let line = raw[lineStart..<next]
            let isEmpty = line.allSatisfy { $0 == 0x0D || $0 == 0x0A }
            if isEmpty {
                ending = Array(line)
                break
            }
            let first = raw[lineStart]
            if first != 0x20 && first != 0x09 {
                let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? next
                let name = String(decoding: raw[lineStart..<colon], as: UTF8.self).trimmingWhitespace().lowercased()
                dropping = lowered.contains(name)
            }
            if !dropping { output += line }
            lineStart = next
        }
        // A last field without a line break (a header cut off at the end of a file) gets one before the additions.
        if let last = output.last, last != 0x0A, !lines.isEmpty { output += lineBreak }
        for line in lines {
            output += Array(line.utf8) + lineBreak
        }
        return output + (ending.isEmpty ? lineBreak : ending)
    }
}
