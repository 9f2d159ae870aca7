#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Apple Mail's `.emlx` files: a line with the message's length in octets, the message, then an XML property list
/// of Mail's own flags. Only the middle is the message.
///
/// A `.partial.emlx` is the same, but Mail stored the bodies of large attachments apart (in the message's
/// `Attachments` folder), so the message in it is smaller than the one that is sent.
public enum EMLX {
    /// True when `head` begins with a length line followed by what could be a header line.
    public static func looksLikeEMLX(_ head: some Collection<UInt8>) -> Bool {
        let bytes = Array(head.prefix(64))
        guard let newline = bytes.firstIndex(of: 0x0A), newline > 0 else { return false }
        let digits = bytes[..<newline].filter { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }
        guard !digits.isEmpty, digits.count < 19, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return false }
        return newline + 1 < bytes.count && HeaderLine.looksLikeField(bytes[(newline + 1)...])
    }

    /// Where the message inside the `.emlx` file at `path` lies; nil when the file is not one.
    public static func location(of path: String) throws(MessageReadError) -> MessageLocation? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw MessageReadError.from(errno: errno, path: path) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw MessageReadError.from(errno: errno, path: path) }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw .isDirectory(path: path) }
        let file = ReadAt(descriptor: descriptor, path: path, size: Int64(info.st_size))
        let head = try file.read(at: 0, count: 64)
        guard looksLikeEMLX(head), let newline = head.firstIndex(of: 0x0A) else { return nil }
        let digits = head[..<newline].filter { $0 >= 0x30 && $0 <= 0x39 }
        let length = digits.reduce(Int64(0)) { $0 * 10 + Int64($1 - 0x30) }
        let start = Int64(newline + 1)
        // A length past the end of the file (a file cut short): what is there is the message.
        return MessageLocation(path: path, format: .emlx, start: start, length: min(length, file.size - start))
    }
}

/// What a header field's first line looks like, for telling a message from other files by its first octets.
public enum HeaderLine {
    /// True when `bytes` begin with a field name (printable ASCII but ":", RFC 5322 section 3.6.8) and a colon.
    public static func looksLikeField(_ bytes: some Collection<UInt8>) -> Bool {
        var count = 0
        for byte in bytes.prefix(80) {
            if byte == 0x3A { return count > 0 }
            guard byte > 0x20 && byte < 0x7F else { return false }
            count += 1
        }
        return false
    }
}
