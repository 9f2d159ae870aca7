import CArchive
import MIME

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// libarchive, which writes the archives of `mailprep fix`. Reading archives (`files(at:)`) serves the tests, which check
/// what an archive holds; `fix` itself does not read its archives back.
/// The only file that imports CArchive; each handle has one owner that frees it.
public enum ArchiveLibrary {
    /// The linked libarchive's version ("libarchive 3.6.2 zlib/1.2.13 ..."), for `--version` and bug reports.
    public static var version: String {
        archive_version_details().map { String(cString: $0) } ?? "libarchive (unknown version)"
    }

    /// Runs `body` with a UTF-8 character type on this thread only (uselocale), so libarchive converts UTF-8 names
    /// whatever the process locale is ("C" in scripts and CI), without touching other threads.
    static func withUTF8Locale<T>(_ body: () throws -> T) rethrows -> T {
        var utf8: locale_t?
        for name in ["C.UTF-8", "C.utf8", "en_US.UTF-8", "UTF-8"] {
            utf8 = newlocale(LC_CTYPE_MASK, name, nil)
            if utf8 != nil { break }
        }
        guard let utf8 else { return try body() }
        let previous = uselocale(utf8)
        defer {
            uselocale(previous)
            freelocale(utf8)
        }
        return try body()
    }
}

/// An archive format mailprep writes.
public enum ArchiveFormat: String, Sendable, CaseIterable {
    /// Zip with deflate: opens natively on Windows, macOS, iOS and Android.
    case zip
    case sevenZip = "7z"
    case tarGzip = "tar.gz"
    case tarXz = "tar.xz"

    public var fileExtension: String { rawValue }

    public var mimeType: String {
        switch self {
        case .zip: "application/zip"
        case .sevenZip: "application/x-7z-compressed"
        case .tarGzip: "application/gzip"
        case .tarXz: "application/x-xz"
        }
    }
}

/// libarchive failed; the message is libarchive's own.
public struct ArchiveError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// Writes one archive into an open file descriptor.
final class ArchiveWriter {
    private let handle: OpaquePointer

    /// Opens an archive of `format` at compression `level` (1 fastest ... 9 smallest) writing to `descriptor`.
    init(format: ArchiveFormat, level: Int, descriptor: Int32) throws {
        guard let handle = archive_write_new() else { throw ArchiveError(message: "libarchive: out of memory") }
        self.handle = handle
        let level = min(9, max(1, level))
        switch format {
        case .zip:
            try check(archive_write_set_format_zip(handle))
            // UTF-8 names with the zip "language encoding" flag, so Chinese names survive on Windows and macOS.
            try check(archive_write_set_options(handle, "zip:compression=deflate,zip:compression-level=\(level),zip:hdrcharset=UTF-8"))
        case .sevenZip:
            try check(archive_write_set_format_7zip(handle))
            try check(archive_write_set_options(handle, "7zip:compression-level=\(level)"))
        case .tarGzip:
            try check(archive_write_set_format_pax_restricted(handle))
            try check(archive_write_add_filter_gzip(handle))
            try check(archive_write_set_options(handle, "gzip:compression-level=\(level)"))
        case .tarXz:
            try check(archive_write_set_format_pax_restricted(handle))
            try check(archive_write_add_filter_xz(handle))
            try check(archive_write_set_options(handle, "xz:compression-level=\(level)"))
        }
        try check(archive_write_open_fd(handle, descriptor))
    }

    deinit {
        archive_write_free(handle)
    }

    /// Adds one file; `body` writes its `size` octets into the sink it is given.
    func addFile(name: String, size: Int64, modified: Int64, body: (inout ArchiveEntrySink) throws -> Void) throws {
        guard let entry = archive_entry_new() else { throw ArchiveError(message: "libarchive: out of memory") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname_utf8(entry, name)
        archive_entry_set_size(entry, size)
        archive_entry_set_filetype(entry, 0o100000)  // AE_IFREG
        archive_entry_set_perm(entry, 0o644)
        archive_entry_set_mtime(entry, time_t(modified), 0)
        try check(archive_write_header(handle, entry))
        var sink = ArchiveEntrySink(handle: handle)
        try body(&sink)
        try check(archive_write_finish_entry(handle))
    }

    /// Completes the archive (central directory, trailers).
    func close() throws {
        try check(archive_write_close(handle))
    }

    private func check(_ status: Int32) throws {
        if status < ARCHIVE_WARN {
            throw ArchiveError(message: archive_error_string(handle).map { String(cString: $0) } ?? "libarchive error \(status)")
        }
    }
}

/// The data of the archive entry being written.
struct ArchiveEntrySink: ByteSink {
    fileprivate let handle: OpaquePointer

    mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let written = archive_write_data(handle, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                throw ArchiveError(message: archive_error_string(handle).map { String(cString: $0) } ?? "libarchive write error")
            }
            offset += written
        }
    }
}

/// Reads archives back: every regular file's name (UTF-8) and data.
enum ArchiveReader {
    struct File {
        var name: String
        var modified: Int64
        var data: [UInt8]
    }

    static func files(at path: String) throws -> [File] {
        try ArchiveLibrary.withUTF8Locale { try readFiles(at: path) }
    }

    private static func readFiles(at path: String) throws -> [File] {
        guard let handle = archive_read_new() else { throw ArchiveError(message: "libarchive: out of memory") }
        defer { archive_read_free(handle) }
        archive_read_support_format_all(handle)
        archive_read_support_filter_all(handle)
        func fail() -> ArchiveError {
            ArchiveError(message: archive_error_string(handle).map { String(cString: $0) } ?? "libarchive read error")
        }
        guard archive_read_open_filename(handle, path, 1 << 16) == ARCHIVE_OK else { throw fail() }
        var files: [File] = []
        var entry: OpaquePointer?
        while true {
            let status = archive_read_next_header(handle, &entry)
            if status == ARCHIVE_EOF { break }
            guard status >= ARCHIVE_WARN, let entry else { throw fail() }
            let name = archive_entry_pathname_utf8(entry).map { String(cString: $0) } ?? ""
            var data: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let got = buffer.withUnsafeMutableBytes { archive_read_data(handle, $0.baseAddress, $0.count) }
                if got < 0 { throw fail() }
                if got == 0 { break }
                data += buffer[0..<got]
            }
            files.append(File(name: name, modified: Int64(archive_entry_mtime(entry)), data: data))
        }
        return files
    }
}
