/// A file name from a message made safe to store: never a path, never hidden, never misleading.
///
/// Message filenames are the sender's words: `../../.ssh/authorized_keys`, `C:\evil.exe`, a NUL, control
/// characters, or a right-to-left override that shows `invoice‮fdp.exe` as "invoiceexe.pdf". What is left is
/// the last path component, without those, not starting with a dot, at most 200 UTF-8 octets (the extension kept).
public enum SafeFilename {
    public static let maximumBytes = 200

    public static func make(_ name: String?) -> String {
        var text = name ?? ""
        // The last component of a Unix or Windows path.
        if let separator = text.lastIndex(where: { $0 == "/" || $0 == "\\" }) {
            text = String(text[text.index(after: separator)...])
        }
        let scalars = text.unicodeScalars.filter { scalar in
            switch scalar.value {
            case 0x00...0x1F, 0x7F...0x9F: false  // control characters, NUL
            case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: false  // bidi embeddings, overrides, marks
            case 0xFEFF, 0x200B...0x200D: false  // zero-width
            default: true
            }
        }
        text = String(String.UnicodeScalarView(scalars)).trimming(characters: " .")
        if text.isEmpty || text == "." || text == ".." { text = "attachment" }
        if text.utf8.count > maximumBytes { text = shortened(text) }
        return text
    }

    /// Cut to `maximumBytes` octets at a character boundary, keeping a short extension.
    private static func shortened(_ text: String) -> String {
        var stem = text
        var ext = ""
        if let dot = text.lastIndex(of: "."), text.distance(from: dot, to: text.endIndex) <= 16 {
            stem = String(text[..<dot])
            ext = String(text[dot...])
        }
        var out = ""
        for character in stem {
            if out.utf8.count + String(character).utf8.count + ext.utf8.count > maximumBytes { break }
            out.append(character)
        }
        return out + ext
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
