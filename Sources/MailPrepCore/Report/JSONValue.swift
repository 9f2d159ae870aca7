import Foundation

/// A JSON value with ordered object keys, so output is stable and reads in a sensible order.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    /// A number written with a fixed count of decimals ("0.125").
    case decimal(Double, places: Int)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        lhs.serialized() == rhs.serialized()
    }

    /// `.string` or `.null`.
    public static func optional(_ text: String?) -> JSONValue {
        text.map(JSONValue.string) ?? .null
    }

    /// Compact JSON on one line (JSON Lines ready), UTF-8 left as is.
    public func serialized() -> String {
        String(decoding: bytes(), as: UTF8.self)
    }

    /// The serialized form as UTF-8 bytes.
    public func bytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        write(into: &out)
        return out
    }

    private func write(into out: inout [UInt8]) {
        switch self {
        case .null: out += "null".utf8
        case .bool(let value): out += (value ? "true" : "false").utf8
        case .int(let value): out += String(value).utf8
        case .decimal(let value, let places): out += String(format: "%.\(places)f", value.isFinite ? value : 0).utf8
        case .string(let value): Self.writeString(value, into: &out)
        case .array(let values):
            out.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                value.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(member.0, into: &out)
                out.append(UInt8(ascii: ":"))
                member.1.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func writeString(_ value: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            // Most strings need no escaping: copy them whole. 0xC2 leads U+0080-U+00BF (among them U+0085), 0xE2
            // U+2028 and U+2029.
            let plain = !utf8.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 == 0x7F || $0 == 0xC2 || $0 == 0xE2 }
            if plain {
                out.append(contentsOf: utf8)
                return
            }
            for scalar in String(decoding: utf8, as: UTF8.self).unicodeScalars {
                switch scalar {
                case "\"": out += "\\\"".utf8
                case "\\": out += "\\\\".utf8
                case "\n": out += "\\n".utf8
                case "\r": out += "\\r".utf8
                case "\t": out += "\\t".utf8
                // C0 and C1 controls, and the line and paragraph separators: Python's str.splitlines, Swift's
                // isNewline and JavaScript break lines at U+0085, U+2028 and U+2029, so a reader that splits the
                // output into lines would cut an object in two.
                case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || (0x2028...0x2029).contains(scalar.value):
                    let hex = String(scalar.value, radix: 16)
                    out += ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8
                default:
                    out += String(scalar).utf8
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
