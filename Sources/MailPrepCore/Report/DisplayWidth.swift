/// Terminal column widths, so tables with Chinese text line up: East Asian wide and fullwidth characters take
/// two columns (Unicode UAX #11), combining marks none.
enum DisplayWidth {
    static func of(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { $0 + width(of: $1) }
    }

    static func width(of scalar: Unicode.Scalar) -> Int {
        let value = scalar.value
        if value == 0 || (0x0300...0x036F).contains(value) || value == 0x200B || (0xFE00...0xFE0F).contains(value) { return 0 }
        switch value {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
             0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
             0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD:
            return 2
        default:
            return 1
        }
    }

    /// `text` padded with spaces to `columns`, or cut with "…" when wider.
    static func pad(_ text: String, to columns: Int) -> String {
        let total = of(text)
        if total <= columns { return text + String(repeating: " ", count: columns - total) }
        var out = ""
        var used = 0
        for scalar in text.unicodeScalars {
            let next = width(of: scalar)
            if used + next > columns - 1 { break }
            out.unicodeScalars.append(scalar)
            used += next
        }
        return out + "…" + String(repeating: " ", count: max(0, columns - 1 - used))
    }

    /// `text` cut in the middle with "…" to fit `columns`, keeping its end (a file name's extension).
    static func truncateMiddle(_ text: String, to columns: Int) -> String {
        guard of(text) > columns, columns > 4 else { return text }
        let scalars = Array(text.unicodeScalars)
        let tailBudget = columns / 3
        var tail: [Unicode.Scalar] = []
        var used = 0
        for scalar in scalars.reversed() {
            let next = width(of: scalar)
            if used + next > tailBudget { break }
            tail.insert(scalar, at: 0)
            used += next
        }
        var head = String.UnicodeScalarView()
        var headUsed = 0
        for scalar in scalars {
            let next = width(of: scalar)
            if headUsed + next > columns - 1 - used { break }
            head.append(scalar)
            headUsed += next
        }
        return String(head) + "…" + String(String.UnicodeScalarView(tail))
    }
}
