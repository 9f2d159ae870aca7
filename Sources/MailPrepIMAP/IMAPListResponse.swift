/// One folder of a LIST answer (RFC 3501 section 7.2.2, with RFC 6154's special-use attributes).
public struct IMAPFolder: Sendable, Equatable {
    /// Attributes as sent, lowercased: "\\drafts", "\\noselect", "\\haschildren".
    public var attributes: [String]
    /// The folder's name as the server spells it (modified UTF-7), for commands.
    public var name: [UInt8]

    public var isDrafts: Bool { attributes.contains("\\drafts") }
    public var isSelectable: Bool { !attributes.contains("\\noselect") && !attributes.contains("\\nonexistent") }
}

/// Parses the `* LIST` lines of an answer; other lines are skipped.
public enum IMAPListResponse {
    public static func parse(_ bytes: [UInt8]) throws(IMAPParseError) -> [IMAPFolder] {
        var tokens = IMAPTokenizer(bytes)
        var folders: [IMAPFolder] = []
        let list = Array("LIST".utf8)
        while !tokens.atEnd {
            let lineStart = tokens.offset
            guard tokens.take(UInt8(ascii: "*")) else {
                try tokens.skipLine(literals: false)
                continue
            }
            tokens.skipSpaces()
            let keyword = tokens.atom()
            guard keyword.count == 4, zip(keyword, list).allSatisfy({ ($0 & 0xDF) == $1 }) else {
                tokens.offset = lineStart
                try tokens.skipLine(literals: true)
                continue
            }
            tokens.skipSpaces()
            try tokens.open(depth: 1, "LIST attributes")
            var attributes: [String] = []
            while true {
                tokens.skipSpaces()
                if tokens.take(UInt8(ascii: ")")) { break }
                let flag = tokens.atom()
                guard !flag.isEmpty else { throw tokens.failure("a LIST attribute") }
                attributes.append(String(decoding: flag, as: UTF8.self).lowercased())
            }
            tokens.skipSpaces()
            _ = try tokens.nstring()   // the hierarchy delimiter
            tokens.skipSpaces()
            guard let name = try tokens.nstring() else { throw tokens.failure("a folder name") }
            // RFC 5258 extended data may follow; skip to the line's end.
            try tokens.skipLine(literals: true)
            folders.append(IMAPFolder(attributes: attributes, name: name))
        }
        return folders
    }
}
