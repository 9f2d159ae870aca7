#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CMIMEScan

/// Undoes an mbox writer's `>From ` quoting in a stream of chunks, in place.
///
/// Only line starts with a `>` are looked at, found with `memmem`, so a chunk costs about what a copy of it does.
/// A line start split by a chunk boundary is handled by the caller holding back the line's first octets
/// (`heldBack`) and reading them again with the next chunk.
struct FromUnquoting {
    let quoting: FromQuoting
    /// True when the next octet begins a line.
    private(set) var atLineStart = true

    init(quoting: FromQuoting) {
        self.quoting = quoting
    }

    /// How many octets of `chunk` to process now so that no line start is cut before its `>…From ` could be seen:
    /// the chunk up to and including its last line break when what follows could still become a quoted `From `;
    /// the whole chunk otherwise (or when holding back would leave nothing).
    static func heldBack(_ chunk: UnsafeRawBufferPointer) -> Int {
        let count = chunk.count
        var lineStart = count
        while lineStart > 0 && chunk[lineStart - 1] != 0x0A && count - lineStart < 64 { lineStart -= 1 }
        guard lineStart > 0, chunk[lineStart - 1] == 0x0A, lineStart < count else { return count }
        var index = lineStart
        while index < count && chunk[index] == 0x3E { index += 1 }   // '>'
        guard index > lineStart else { return count }
        let from: [UInt8] = Array("From ".utf8)
        let rest = count - index
        // Complete enough to decide, or not a quoted From after all: nothing to hold.
        if rest >= from.count { return count }
        for offset in 0..<rest where chunk[index + offset] != from[offset] { return count }
        return lineStart
    }

    /// Unquotes the first `count` octets of `buffer` in place and returns how many remain.
    mutating func unquote(_ buffer: UnsafeMutableRawBufferPointer, count: Int) -> Int {
        guard quoting != .none, count > 0, let base = buffer.baseAddress else { return count }
        var read = 0
        var write = 0
        // Moves the octets before `upTo` down to the write position.
        func keep(upTo end: Int) {
            if write != read && end > read { memmove(base + write, base + read, end - read) }
            write += end - read
            read = end
        }
        var candidate = atLineStart ? 0 : nextQuotedLineStart(base, from: 0, count: count)
        while let start = candidate, start < count {
            if isQuotedFrom(base, at: start, count: count) {
                keep(upTo: start)
                read += 1   // the one '>' the writer added
            }
            candidate = nextQuotedLineStart(base, from: start + 1, count: count)
        }
        keep(upTo: count)
        atLineStart = base.load(fromByteOffset: count - 1, as: UInt8.self) == 0x0A
        return write
    }

    /// The index just after the next "\n>" at or after `from - 1`, if any.
    private func nextQuotedLineStart(_ base: UnsafeMutableRawPointer, from: Int, count: Int) -> Int? {
        let searchFrom = max(0, from - 1)
        guard count - searchFrom >= 2 else { return nil }
        let needle: [UInt8] = [0x0A, 0x3E]
        let found = needle.withUnsafeBytes { mime_find(base.assumingMemoryBound(to: UInt8.self) + searchFrom, count - searchFrom, $0.baseAddress?.assumingMemoryBound(to: UInt8.self), 2) }
        guard let found else { return nil }
        return UnsafeRawPointer(base).distance(to: UnsafeRawPointer(found)) + 1
    }

    /// True when a line starting at `start` is `>`-quoted `From ` that this quoting undoes.
    private func isQuotedFrom(_ base: UnsafeMutableRawPointer, at start: Int, count: Int) -> Bool {
        var index = start
        while index < count && base.load(fromByteOffset: index, as: UInt8.self) == 0x3E { index += 1 }
        let quotes = index - start
        guard quotes >= 1, quoting == .mboxrd || quotes == 1, count - index >= 5 else { return false }
        return base.load(fromByteOffset: index, as: UInt8.self) == 0x46       // F
            && base.load(fromByteOffset: index + 1, as: UInt8.self) == 0x72   // r
            && base.load(fromByteOffset: index + 2, as: UInt8.self) == 0x6F   // o
            && base.load(fromByteOffset: index + 3, as: UInt8.self) == 0x6D   // m
            && base.load(fromByteOffset: index + 4, as: UInt8.self) == 0x20
    }
}
