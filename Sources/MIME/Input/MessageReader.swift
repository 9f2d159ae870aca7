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
/// Nothing is loaded whole: files of `mappedThreshold` and more are fed from mapped windows of `mappedWindow` octets (one
/// window mapped at a time, saving read(2)'s copy), smaller ones through read(2). Memory stays at one window or the
/// parser's buffer, and the header sections.
public enum MessageReader {
    /// Parses the file at `path`.
    public static func parse(path: String, limits: ParserLimits = .default) throws(MessageReadError) -> Message {
        try parse(path: path, limits: limits, mappedThreshold: mappedThreshold, mappedWindow: mappedWindow)
    }

    /// `parse(path:limits:)` with the mapping sizes chosen (tests map small files in small windows).
    static func parse(path: String, limits: ParserLimits, mappedThreshold: Int64, mappedWindow: Int) throws(MessageReadError) -> Message {
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
        let size = Int64(info.st_size)
        // A small file gets a buffer its size: no large allocation (and page faults) per draft in a folder.
        var limits = limits
        if size >= 0 && size < Int64(limits.bufferBytes) / 2 {
            limits.bufferBytes = max(4096, Int(size) * 2)
        }
        let parser = MessageParser(limits: limits)
        if (info.st_mode & S_IFMT) == S_IFREG && size > 0 && size >= mappedThreshold {
            let mapped = feedMapped(descriptor: descriptor, size: size, window: mappedWindow, into: parser)
            // Whatever could not be mapped (or was appended meanwhile) is read; mapping leaves the file position alone.
            if lseek(descriptor, off_t(mapped), SEEK_SET) < 0 { throw error(for: errno, path: path) }
        }
        try readAll(descriptor: descriptor, name: path, into: parser)
        return parser.finish()
    }

    /// Files at least this large are read through mapped windows instead of read(2), saving a copy of every byte.
    static let mappedThreshold: Int64 = 64 << 20
    /// Bytes mapped at a time: what a mapped read adds to resident memory at most.
    static let mappedWindow = 16 << 20

    /// Feeds a large regular file window by window from mapped memory; returns how far it got (all of it unless
    /// mapping fails).
    private static func feedMapped(descriptor: Int32, size: Int64, window mappedWindow: Int, into parser: MessageParser) -> Int64 {
        var offset: Int64 = 0
        while offset < size {
            let length = Int(min(Int64(mappedWindow), size - offset))
            #if canImport(Glibc)
            let flags = MAP_PRIVATE | MAP_POPULATE
            #else
            let flags = MAP_PRIVATE
            #endif
            guard let window = mmap(nil, length, PROT_READ, flags, descriptor, off_t(offset)), window != MAP_FAILED else {
                return offset
            }
            _ = madvise(window, length, MADV_SEQUENTIAL)
            parser.feedInPlace(UnsafeRawBufferPointer(start: window, count: length))
            munmap(window, length)
            offset += Int64(length)
        }
        return offset
    }

    /// Parses the message at `location`: a whole file as `parse(path:)` does, or a range of a mailbox file read
    /// with its quoting undone. Octets and offsets in the result count from the message's first header line.
    public static func parse(_ location: MessageLocation, limits: ParserLimits = .default) throws(MessageReadError) -> Message {
        if location.isWholeFile { return try parse(path: location.path, limits: limits) }
        var limits = limits
        if let length = location.length, length < Int64(limits.bufferBytes) / 2 {
            limits.bufferBytes = max(4096, Int(length) * 2)
        }
        let parser = MessageParser(limits: limits)
        try copy(location) { parser.feed($0) }
        return parser.finish()
    }

    /// Hands the octets of the message at `location` to `each`, in pieces, with its mailbox's quoting undone: the
    /// message as it would be sent (less the line-end change to CRLF).
    public static func copy(_ location: MessageLocation, each: (UnsafeRawBufferPointer) throws -> Void) throws(MessageReadError) {
        try copy(location, chunk: readChunk, each: each)
    }

    /// `copy` in reads of `chunk` octets (at least 64, so a line start's `>…From ` is never cut): tests read in
    /// small pieces to cross every boundary.
    static func copy(_ location: MessageLocation, chunk pieceSize: Int, each: (UnsafeRawBufferPointer) throws -> Void) throws(MessageReadError) {
        let readChunk = max(64, pieceSize)
        let path = location.path
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw error(for: errno, path: path) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw error(for: errno, path: path) }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw .isDirectory(path: path) }
        #if canImport(Glibc)
        _ = posix_fadvise(descriptor, off_t(location.start), off_t(location.length ?? 0), POSIX_FADV_SEQUENTIAL)
        #endif
        let end = location.length.map { location.start + $0 } ?? Int64(info.st_size)
        var unquoting = FromUnquoting(quoting: location.quoting)
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(min(Int64(readChunk), max(1, end - location.start))), alignment: 64)
        defer { chunk.deallocate() }
        var offset = location.start
        while offset < end {
            let want = Int(min(Int64(chunk.count), end - offset))
            let got = pread(descriptor, chunk.baseAddress, want, off_t(offset))
            if got < 0 {
                if errno == EINTR { continue }
                throw error(for: errno, path: path)
            }
            if got == 0 { break }   // the file shrank: what is there is the message
            let usable = location.quoting != .none && offset + Int64(got) < end
                ? FromUnquoting.heldBack(UnsafeRawBufferPointer(rebasing: chunk[0..<got])) : got
            let kept = unquoting.unquote(chunk, count: usable)
            do { try each(UnsafeRawBufferPointer(rebasing: chunk[0..<kept])) } catch { throw .ioError(path: path, errno: EIO) }
            offset += Int64(usable)
        }
    }

    /// Octets read at a time from inside a mailbox file.
    static let readChunk = 1 << 20

    /// Parses everything readable from `descriptor` (standard input, a pipe, an open file).
    public static func parse(descriptor: Int32, name: String, limits: ParserLimits = .default) throws(MessageReadError) -> Message {
        let parser = MessageParser(limits: limits)
        try readAll(descriptor: descriptor, name: name, into: parser)
        return parser.finish()
    }

    /// Feeds everything readable from `descriptor` to `parser`, in buffer-sized reads.
    private static func readAll(descriptor: Int32, name: String, into parser: MessageParser) throws(MessageReadError) {
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
    }

    private static func error(for code: Int32, path: String) -> MessageReadError {
        MessageReadError.from(errno: code, path: path)
    }
}

extension MessageReadError {
    /// The error for a failed system call's `errno`.
    static func from(errno code: Int32, path: String) -> MessageReadError {
        switch code {
        case ENOENT, ENOTDIR: .notFound(path: path)
        case EACCES, EPERM: .permissionDenied(path: path)
        case EISDIR: .isDirectory(path: path)
        default: .ioError(path: path, errno: code)
        }
    }
}
