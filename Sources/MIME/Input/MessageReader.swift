#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a message source could not be read at all (as opposed to defects in a message that was read).
public enum MessageReadError: Error, Sendable, Equatable {
    case notFound(path: String)
    case permissionDenied(path: String)
    case isDirectory(path: String)
    case ioError(path: String, errno: Int32)

    public var path: String {
        switch self {
        case .notFound(let path), .permissionDenied(let path), .isDirectory(let path), .ioError(let path, _): path
        }
    }
}

/// Reads a message from a file or a file descriptor through a `MessageParser`, in buffer-sized reads.
///
/// Nothing is mapped or loaded whole: memory stays at the parser's buffer and the header sections.
public enum MessageReader {
    /// Parses the file at `path`.
    public static func parse(path: String, limits: ParserLimits = .default) throws(MessageReadError) -> Message {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw error(for: errno, path: path) }
        defer { close(descriptor) }
        var info = stat()
        if fstat(descriptor, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
            throw .isDirectory(path: path)
        }
        #if canImport(Glibc)
        _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_SEQUENTIAL)
        #endif
        return try parse(descriptor: descriptor, name: path, limits: limits)
    }

    /// Parses everything readable from `descriptor` (standard input, a pipe, an open file).
    public static func parse(descriptor: Int32, name: String, limits: ParserLimits = .default) throws(MessageReadError) -> Message {
        let parser = MessageParser(limits: limits)
        var failure: Int32 = 0
        while parser.fill({ buffer in
            while true {
                let result = read(descriptor, buffer.baseAddress, buffer.count)
                if result >= 0 { return result }
                if errno == EINTR { continue }
                failure = errno
                return 0
            }
        }) {}
        if failure != 0 { throw error(for: failure, path: name) }
        return parser.finish()
    }

    private static func error(for code: Int32, path: String) -> MessageReadError {
        switch code {
        case ENOENT, ENOTDIR: .notFound(path: path)
        case EACCES, EPERM: .permissionDenied(path: path)
        case EISDIR: .isDirectory(path: path)
        default: .ioError(path: path, errno: code)
        }
    }
}
