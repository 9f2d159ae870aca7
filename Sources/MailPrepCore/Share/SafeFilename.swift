/// A file name from a message made safe to store, to put in an archive and to show: never a path, never hidden,
/// never misleading, valid on Windows and macOS too.
///
/// Message filenames are the sender's words: `../../.ssh/authorized_keys`, `C:\evil.exe`, a NUL, CR LF (which would
/// forge lines in a link block), a right-to-left override that shows `invoice\u{202E}fdp.exe` as "invoiceexe.pdf",
/// `e` with 150 combining accents. What is left is the last path component, without control, bidi and zero-width
/// characters, with at most four combining marks on a character, Windows' reserved characters (`<>:"|?*`) as `_`,
/// Windows' reserved device names (`CON`, `NUL`, `COM1`, ...) prefixed with `_`, not starting or ending with a dot
/// or space, at most 200 UTF-8 octets cut between characters (the extension kept), and never empty: the same
/// rules Info-ZIP and bsdtar apply to names going into archives, and a little more.
public enum SafeFilename {
    public static let maximumBytes = 200
    /// Combining marks kept on one character: enough for Vietnamese and the Indic scripts, not for "Zalgo" text.
    static let maximumMarks = 4

    public static func make(_ name: String?) -> String {
        var text = name ?? ""
        // The last component of a Unix or Windows path.
        if let separator = text.lastIndex(where: { $0 == "/" || $0 == "\\" }) {
            text = String(text[text.index(after: separator)...])
        }
        var scalars = String.UnicodeScalarView()
        var marks = 0
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x00...0x1F, 0x7F...0x9F: continue  // control characters, NUL, CR, LF
            case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: continue  // bidi embeddings, overrides, marks
            case 0xFEFF, 0x200B...0x200D, 0x2028, 0x2029: continue  // zero-width, line and paragraph separators
            default: break
            }
            switch scalar.properties.generalCategory {
            case .nonspacingMark, .enclosingMark, .spacingMark:
                marks += 1
                if marks > maximumMarks || scalars.isEmpty { continue }
            default:
                marks = 0
            }
            if "<>:\"|?*".unicodeScalars.contains(scalar) {
                scalars.append("_")
            } else {
                scalars.append(scalar)
            }
        }
        text = String(scalars).trimming(characters: " .")
        if text.utf8.count > maximumBytes { text = shortened(text).trimming(characters: " .") }
        if text.isEmpty || text.hasPrefix(".") { text = "attachment" }
        let stem = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)[0].uppercased()
        if reservedNames.contains(stem.trimming(characters: " ")) { text = "_" + text }
        return text
    }

    /// Names Windows gives to devices, with any extension (`nul.txt` is the device too).
    static let reservedNames: Set<String> = Set(["CON", "PRN", "AUX", "NUL"] + (1...9).flatMap { ["COM\($0)", "LPT\($0)"] })

    /// Cut to `maximumBytes` octets between characters, keeping a short extension; a stem that would be left empty
    /// becomes "attachment".
    private static func shortened(_ text: String) -> String {
        var stem = text
        var ext = ""
        if let dot = text.lastIndex(of: "."), dot != text.startIndex, text.distance(from: dot, to: text.endIndex) <= 16 {
            stem = String(text[..<dot])
            ext = String(text[dot...])
        }
        var out = ""
        for character in stem {
            if out.utf8.count + String(character).utf8.count + ext.utf8.count > maximumBytes { break }
            out.append(character)
        }
        if out.trimming(characters: " .").isEmpty { out = "attachment" }
        return out + ext
    }
}

/// Text from a message made safe to print on a terminal: control characters (ESC, CR, ...), DEL, C1 controls and
/// bidi controls shown as escapes (`\e`, `\r`, `\u{202E}`), as `ls` and `git` show such names, so that a Subject or a
/// file name cannot move the cursor, change colours or reorder what is shown.
public enum TerminalText {
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            guard isUnsafe(scalar) else {
                out.unicodeScalars.append(scalar)
                continue
            }
            switch scalar.value {
            case 0x1B: out += "\\e"
            case 0x0D: out += "\\r"
            case 0x0A: out += "\\n"
            case 0x09: out += "\\t"
            default: out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            }
        }
        return out
    }

    static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C, 0x2028, 0x2029: true
        default: false
        }
    }
}

extension String {
    func trimming(characters set: String) -> String {
        var text = Substring(self)
        while let first = text.first, set.contains(first) { text.removeFirst() }
        while let last = text.last, set.contains(last) { text.removeLast() }
        return String(text)
    }
}
