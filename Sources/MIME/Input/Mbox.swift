#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CMIMEScan
import Dispatch

/// Finds the messages of an mbox file (RFC 4155): where each begins and ends, without reading them.
///
/// A message begins after a separator line, `From ` at the start of the file or of a line, followed by a sender and
/// something with a digit in it (the date: Thunderbird writes `From - Thu Dec 03 10:00:00 2026`, Python's `mailbox`
/// and mutt `From sender@host Thu Dec  3 10:00:00 2026`). It ends before the next separator, less the empty line
/// writers put between messages. Neither line is part of the message, nor sent.
///
/// Body lines that begin `From ` were quoted by the writer. Which quoting, the file does not say. mboxo is assumed
/// (Python's `mailbox`, mutt and Thunderbird turn `From ` into `>From ` and leave `>From ` alone), unless the first
/// message's Content-Length header frames it exactly: mboxcl2, where nothing was quoted and separators inside bodies
/// are skipped. mboxrd differs from mboxo only on body lines beginning `>>From `, by one octet each.
public enum Mbox {
    /// True when `head` (the first octets of a file) begins with an mbox separator line.
    public static func looksLikeMbox(_ head: some Collection<UInt8>) -> Bool {
        let line = head.prefix { $0 != 0x0A }
        return isSeparator(Array(line))
    }

    /// The messages of the mbox at `path`, in file order, numbered from 1. A file that does not begin with a
    /// separator has none.
    public static func messages(in path: String, quoting: FromQuoting = .mboxo) throws(MessageReadError) -> [MessageLocation] {
        try messages(in: path, quoting: quoting, window: 8 << 20, pieceBytes: 64 << 20)
    }

    /// `messages(in:quoting:)` with the scan's read size and the least share of the file a core takes chosen
    /// (tests use small ones to put separators across every edge).
    static func messages(in path: String, quoting: FromQuoting, window: Int, pieceBytes: Int64) throws(MessageReadError) -> [MessageLocation] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw MessageReadError.from(errno: errno, path: path) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw MessageReadError.from(errno: errno, path: path) }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw .isDirectory(path: path) }
        #if canImport(Glibc)
        _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_SEQUENTIAL)
        #endif
        let file = ReadAt(descriptor: descriptor, path: path, size: Int64(info.st_size))
        guard file.size > 0, looksLikeMbox(try file.read(at: 0, count: 1024)) else { return [] }
        let separators = try separatorStarts(file, window: window, pieceBytes: pieceBytes)
        let separatorSet = Set(separators)
        // mboxcl2 when the first message's Content-Length frames it exactly.
        var framed = false
        if let first = try framedEnd(file, separator: 0, separators: separatorSet), first.valid { framed = true }

        var found: [MessageLocation] = []
        var thunderbird = false
        var index = 0
        while index < separators.count {
            let separator = separators[index]
            let lineEnd = try file.lineEnd(from: separator)
            var end = index + 1 < separators.count ? separators[index + 1] : file.size
            var messageQuoting = quoting
            if framed, let framing = try framedEnd(file, separator: separator, separators: separatorSet), framing.valid {
                end = framing.next
                messageQuoting = .none
                // Separators inside the framed body are body lines.
                while index + 1 < separators.count && separators[index + 1] < end { index += 1 }
            }
            let stop = try file.withoutSeparatingBlankLine(end: end, floor: lineEnd)
            var location = MessageLocation(path: path, format: .mbox, start: lineEnd, length: stop - lineEnd,
                                           quoting: messageQuoting, index: found.count + 1)
            if found.isEmpty { thunderbird = try mozillaStatus(file, at: lineEnd, before: stop) != nil }
            if thunderbird, let status = try mozillaStatus(file, at: lineEnd, before: stop) {
                location.expunged = status & 0x0008 != 0
            }
            found.append(location)
            index += 1
        }
        return found
    }

    /// Offsets of every separator line, found with `memmem` in large reads, the file split between the cores.
    private static func separatorStarts(_ file: ReadAt, window: Int, pieceBytes: Int64) throws(MessageReadError) -> [Int64] {
        let pieces = Int(max(1, min(Int64(max(2, sysconf(Int32(_SC_NPROCESSORS_ONLN)))), file.size / pieceBytes + 1)))
        let found = Pieces(count: pieces)
        DispatchQueue.concurrentPerform(iterations: pieces) { piece in
            let from = file.size * Int64(piece) / Int64(pieces)
            let to = file.size * Int64(piece + 1) / Int64(pieces)
            found.set(piece, Result { () throws(MessageReadError) in try separatorStarts(file, linesAfter: from, upTo: to, window: window) })
        }
        var starts: [Int64] = [0]
        for piece in 0..<pieces { starts += try found.get(piece) }
        return starts
    }

    /// The separators whose line break before them lies in `from..<to`.
    private static func separatorStarts(_ file: ReadAt, linesAfter from: Int64, upTo to: Int64, window: Int) throws(MessageReadError) -> [Int64] {
        var starts: [Int64] = []
        let needle: [UInt8] = Array("\nFrom ".utf8)
        let window = max(window, needle.count)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: window, alignment: 64)
        defer { buffer.deallocate() }
        var offset = from
        // Reads run past `to` by the needle's length less one, so a needle beginning before `to` is seen whole.
        let readEnd = min(file.size, to + Int64(needle.count - 1))
        while offset < to {
            let got = try file.read(at: offset, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<Int(min(Int64(window), readEnd - offset))]))
            guard got > 0, let base = buffer.baseAddress else { break }
            var searchFrom = 0
            while searchFrom < got {
                let hit = needle.withUnsafeBytes {
                    mime_find(base.assumingMemoryBound(to: UInt8.self) + searchFrom, got - searchFrom,
                              $0.baseAddress?.assumingMemoryBound(to: UInt8.self), needle.count)
                }
                guard let hit else { break }
                let at = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(hit))
                guard offset + Int64(at) < to else { break }
                let lineStart = offset + Int64(at) + 1
                let line = try file.read(at: lineStart, count: 256).prefix { $0 != 0x0A }
                if isSeparator(Array(line)) { starts.append(lineStart) }
                searchFrom = at + 1
            }
            // The next read overlaps by the needle's length less one: a needle across two reads is seen once, whole.
            if offset + Int64(got) >= readEnd { break }
            offset += Int64(max(1, got - (needle.count - 1)))
        }
        return starts
    }

    /// `From ` then a sender and a date-like rest (a digit in it): a separator, not a body line that happens to
    /// begin with the word.
    static func isSeparator(_ line: [UInt8]) -> Bool {
        guard line.count > 7, line.starts(with: Array("From ".utf8)) else { return false }
        let rest = line.dropFirst(5)
        guard let space = rest.firstIndex(of: 0x20), space > rest.startIndex else { return false }
        return rest[space...].contains { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// For mboxcl2: where the message after `separator` ends by its Content-Length, and whether a separator (or
    /// the end of the file) is really there.
    private static func framedEnd(_ file: ReadAt, separator: Int64, separators: Set<Int64>) throws(MessageReadError) -> (next: Int64, valid: Bool)? {
        let start = try file.lineEnd(from: separator)
        var header: [UInt8] = []
        var bodyStart: Int64?
        while header.count < 256 << 10 {
            let more = try file.read(at: start + Int64(header.count), count: 8192)
            if more.isEmpty { break }
            let searchFrom = max(0, header.count - 3)
            header += more
            if let blank = blankLine(in: header, from: searchFrom) {
                bodyStart = start + Int64(blank.end)
                header = Array(header[..<blank.start])
                break
            }
        }
        guard let bodyStart, let length = contentLength(header) else { return nil }
        let next = bodyStart + length
        if next == file.size { return (next, true) }
        if next > file.size { return (next, false) }
        // After the body: an optional blank line, then the next separator.
        let after = try file.read(at: next, count: 2)
        let nextStart = after.first == 0x0A ? next + 1 : (after.starts(with: [0x0D, 0x0A]) ? next + 2 : next)
        if nextStart >= file.size { return (file.size, true) }
        return (nextStart, separators.contains(nextStart))
    }

    /// The value of a Thunderbird `X-Mozilla-Status` field (hexadecimal flags; 0x0008 is "expunged") among the
    /// first header lines of the message at `start`.
    private static func mozillaStatus(_ file: ReadAt, at start: Int64, before end: Int64) throws(MessageReadError) -> UInt32? {
        let head = try file.read(at: start, count: Int(min(1024, end - start)))
        let name = Array("x-mozilla-status:".utf8)
        var lineStart = 0
        while lineStart < head.count {
            let lineEnd = head[lineStart...].firstIndex(of: 0x0A) ?? head.count
            let line = head[lineStart..<lineEnd]
            if line.isEmpty || line == [0x0D] { return nil }   // the end of the header
            if line.count > name.count, zip(line.prefix(name.count), name).allSatisfy({ ($0 | 0x20) == $1 }) {
                let digits = String(decoding: line.dropFirst(name.count).filter { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }, as: UTF8.self)
                return UInt32(digits, radix: 16)
            }
            lineStart = lineEnd + 1
        }
        return nil
    }

    /// The first empty line in a header read so far: where it starts and where the body after it starts.
    private static func blankLine(in bytes: [UInt8], from: Int) -> (start: Int, end: Int)? {
        var index = from
        while index + 1 < bytes.count {
            if bytes[index] == 0x0A {
                if bytes[index + 1] == 0x0A { return (index + 1, index + 2) }
                if index + 2 < bytes.count, bytes[index + 1] == 0x0D, bytes[index + 2] == 0x0A { return (index + 1, index + 3) }
            }
            index += 1
        }
        return nil
    }

    /// The Content-Length header's value, if the header has exactly one that is a number.
    private static func contentLength(_ header: [UInt8]) -> Int64? {
        let name = Array("content-length:".utf8)
        var values: [Int64] = []
        var lineStart = 0
        while lineStart < header.count {
            let lineEnd = header[lineStart...].firstIndex(of: 0x0A) ?? header.count
            let line = header[lineStart..<lineEnd]
            if line.count > name.count, zip(line.prefix(name.count), name).allSatisfy({ ($0 | 0x20) == $1 || $0 == $1 }) {
                let digits = line.dropFirst(name.count).filter { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }
                guard !digits.isEmpty, digits.count < 19, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
                values.append(digits.reduce(Int64(0)) { $0 * 10 + Int64($1 - 0x30) })
            }
            lineStart = lineEnd + 1
        }
        return values.count == 1 ? values[0] : nil
    }
}

/// Results of work split between threads, each piece set once.
private final class Pieces: @unchecked Sendable {
    private var results: [Result<[Int64], MessageReadError>?]
    private let lock = ThreadLock()

    init(count: Int) {
        results = Array(repeating: nil, count: count)
    }

    func set(_ index: Int, _ result: Result<[Int64], MessageReadError>) {
        lock.locked { results[index] = result }
    }

    func get(_ index: Int) throws(MessageReadError) -> [Int64] {
        guard let result = lock.locked({ results[index] }) else { return [] }
        return try result.get()
    }
}

/// A pthread mutex, for the few places in this module that share state between threads.
private final class ThreadLock: @unchecked Sendable {
    private var mutex = pthread_mutex_t()

    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }

    func locked<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body()
    }
}

/// Positioned reads of one open file, errors as `MessageReadError`.
struct ReadAt {
    let descriptor: Int32
    let path: String
    let size: Int64

    func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws(MessageReadError) -> Int {
        let want = Int(min(Int64(buffer.count), max(0, size - offset)))
        while true {
            let got = pread(descriptor, buffer.baseAddress, want, off_t(offset))
            if got >= 0 { return got }
            if errno != EINTR { throw MessageReadError.from(errno: errno, path: path) }
        }
    }

    func read(at offset: Int64, count: Int) throws(MessageReadError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var failure: MessageReadError?
        let got = bytes.withUnsafeMutableBytes { buffer -> Int in
            do throws(MessageReadError) { return try read(at: offset, into: buffer) } catch { failure = error; return 0 }
        }
        if let failure { throw failure }
        bytes.removeLast(count - got)
        return bytes
    }

    /// The offset just after the line break that ends the line at `offset` (the end of the file if none).
    func lineEnd(from offset: Int64) throws(MessageReadError) -> Int64 {
        var at = offset
        while at < size {
            let piece = try read(at: at, count: 4096)
            if piece.isEmpty { break }
            if let newline = piece.firstIndex(of: 0x0A) { return at + Int64(newline) + 1 }
            at += Int64(piece.count)
        }
        return size
    }

    /// `end`, less the empty line a writer put before the next separator (or at the end of the file).
    func withoutSeparatingBlankLine(end: Int64, floor: Int64) throws(MessageReadError) -> Int64 {
        guard end - floor >= 2 else { return end }
        let tail = try read(at: max(floor, end - 4), count: Int(min(4, end - floor)))
        if tail.count >= 4, tail.suffix(4).elementsEqual([0x0D, 0x0A, 0x0D, 0x0A]) { return end - 2 }
        if tail.suffix(2).elementsEqual([0x0A, 0x0A]) { return end - 1 }
        return end
    }
}
