import CArchive

/// libarchive, which writes the archives of `mailprep fix`. The only file that imports CArchive.
public enum ArchiveLibrary {
    /// The linked libarchive's version ("libarchive 3.6.2 zlib/1.2.13 ..."), for `--version` and bug reports.
    public static var version: String {
        archive_version_details().map { String(cString: $0) } ?? "libarchive (unknown version)"
    }
}
