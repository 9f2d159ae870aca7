#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Text in a named charset turned into a Swift string, through the system's iconv.
///
/// iconv is on every Linux and macOS; this is the only file that calls it.
public enum Charset {
    /// Decodes `bytes` from the charset a MIME label names (`utf-8`, `big5`, `gb2312`, `iso-2022-jp`, ...).
    ///
    /// Returns nil when the label is unknown to the system or the bytes are not valid in it.
    public static func decode<Bytes: Collection>(_ bytes: Bytes, label: String) -> String? where Bytes.Element == UInt8 {
        let name = systemName(for: label)
        if name == "UTF-8" || name == "US-ASCII" {
            return String(validating: Array(bytes), as: UTF8.self)
        }
        if name == "ISO-8859-1" {
            return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
        }
        return convert(Array(bytes), from: name)
    }

    /// Decodes bytes whose charset nobody declared: UTF-8 when valid, else the legacy charsets most likely in
    /// mail from Hong Kong, Taiwan and China (Big5-HKSCS, GB18030), else ISO-8859-1, which takes any bytes.
    public static func decodeUndeclared<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let array = Array(bytes)
        if let text = String(validating: array, as: UTF8.self) { return text }
        if let text = convert(array, from: "BIG5-HKSCS") { return text }
        if let text = convert(array, from: "GB18030") { return text }
        return String(String.UnicodeScalarView(array.map { Unicode.Scalar($0) }))
    }

    /// Encodes `text` into the charset a MIME label names; nil when the label is unknown or a character has no
    /// form in it (Chinese in ISO-8859-1, say). Output ends in the charset's initial shift state (ISO-2022-JP).
    ///
    /// Writing takes the label at its word, where reading widens it: text written into a body labelled `big5` uses
    /// only Big5's own characters (no HKSCS or ETEN extensions, which strict decoders such as Python's show as
    /// replacement characters), so that every reader shows it.
    public static func encode(_ text: String, label: String) -> [UInt8]? {
        let name = systemName(for: label)
        if name == "UTF-8" { return Array(text.utf8) }
        if name == "US-ASCII" { return text.utf8.allSatisfy({ $0 < 0x80 }) ? Array(text.utf8) : nil }
        if name == "BIG5-HKSCS" && !label.lowercased().contains("hkscs") {
            guard let bytes = convert(Array(text.utf8), from: "UTF-8", to: "BIG5"), isStrictBig5(bytes) else { return nil }
            return bytes
        }
        return convert(Array(text.utf8), from: "UTF-8", to: name)
    }

    /// True when every double-byte character lies in Big5's standard rows: symbols A140-A3BF, frequent hanzi
    /// A440-C67E, less frequent hanzi C940-F9D5 (what CP950 and Python's `big5` decode without extensions).
    static func isStrictBig5(_ bytes: [UInt8]) -> Bool {
        var index = 0
        while index < bytes.count {
            let lead = bytes[index]
            if lead < 0x80 { index += 1; continue }
            guard index + 1 < bytes.count else { return false }
            let code = UInt16(lead) << 8 | UInt16(bytes[index + 1])
            let trail = bytes[index + 1]
            guard (0x40...0x7E).contains(trail) || (0xA1...0xFE).contains(trail) else { return false }
            guard (0xA140...0xA3BF).contains(code) || (0xA440...0xC67E).contains(code) || (0xC940...0xF9D5).contains(code) else {
                return false
            }
            index += 2
        }
        return true
    }

    /// The iconv name for a MIME charset label, widened to the superset mail software really sends:
    /// Big5 mail from Hong Kong carries HKSCS characters, GB2312 and GBK labels carry GB18030 text, and
    /// ks_c_5601-1987 means Windows code page 949.
    static func systemName(for label: String) -> String {
        let lowered = label.trimmingWhitespace().lowercased()
        switch lowered {
        case "utf-8", "utf8", "unicode-1-1-utf-8": return "UTF-8"
        case "us-ascii", "ascii", "ansi_x3.4-1968", "": return "US-ASCII"
        case "iso-8859-1", "latin1", "iso8859-1", "l1": return "ISO-8859-1"
        case "big5", "big-5", "cn-big5", "x-x-big5", "csbig5", "big5-hkscs", "big5hkscs": return "BIG5-HKSCS"
        case "gb2312", "gbk", "cp936", "x-gbk", "euc-cn", "gb18030", "csgb2312": return "GB18030"
        case "ks_c_5601-1987", "euc-kr", "cp949", "ks_c_5601", "korean": return "CP949"
        case "shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "csshiftjis": return "CP932"
        case "windows-31j", "cp932": return "CP932"
        default: return lowered.uppercased()
        }
    }

    /// iconv_open's failure value, `(iconv_t)-1`.
    private static var invalidDescriptor: iconv_t? { iconv_t(bitPattern: -1) }

    private static func convert(_ input: [UInt8], from name: String) -> String? {
        convert(input, from: name, to: "UTF-8").flatMap { String(validating: $0, as: UTF8.self) }
    }

    /// Converts bytes between two iconv charsets; nil when a byte sequence is invalid or has no form in the target.
    private static func convert(_ input: [UInt8], from name: String, to target: String) -> [UInt8]? {
        guard let descriptor = iconv_open(target, name), descriptor != invalidDescriptor else { return nil }
        defer { iconv_close(descriptor) }
        if input.isEmpty { return [] }
        var output = [UInt8](repeating: 0, count: input.count * 4 + 16)
        var source = input
        let produced: Int? = source.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                var inPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(inBuffer.baseAddress!).assumingMemoryBound(to: CChar.self)
                var inLeft = inBuffer.count
                var outPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(outBuffer.baseAddress!).assumingMemoryBound(to: CChar.self)
                var outLeft = outBuffer.count
                let result = iconv(descriptor, &inPointer, &inLeft, &outPointer, &outLeft)
                if result == -1 || inLeft != 0 { return nil }
                // Flush shift state (ISO-2022-JP ends in ASCII mode).
                _ = iconv(descriptor, nil, nil, &outPointer, &outLeft)
                return outBuffer.count - outLeft
            }
        }
        guard let produced else { return nil }
        return Array(output[0..<produced])
    }
}
