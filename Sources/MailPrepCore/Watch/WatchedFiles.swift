#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which files `watch` checks: those a folder check takes by their names (`MessageFinder`'s walk: anything in a
/// Maildir `cur/` or `new/`, `.eml`, `.emlx`, `.mbox`, `.mbx`, and names without an extension, such as
/// Thunderbird's `Drafts` and MH's numbered messages), less what editors and mail programs write on the way to
/// saving a draft, and less Maildir's `tmp/`, where a message is written before it is moved into `new/`. What is
/// in a file (mbox or not, a message or not) is left to `MessageFinder.resolve`.
enum WatchedFiles {
    /// Hidden files (vim's `.draft.eml.swp`), emacs's `#draft#` and `draft~`, and `.swp`, `.tmp`, `.part` files.
    static func isTemporary(name: String) -> Bool {
        if name.hasPrefix(".") || name.hasPrefix("#") || name.hasSuffix("~") { return true }
        let lower = name.lowercased()
        return lower.hasSuffix(".swp") || lower.hasSuffix(".tmp") || lower.hasSuffix(".part")
    }

    /// True for a file the watch checks when it changes.
    static func isWatched(path: String) -> Bool {
        let components = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard let name = components.last, !isTemporary(name: name) else { return false }
        let folder = components.count >= 2 ? components[components.count - 2] : ""
        if folder == "tmp" {
            let maildir = (path.hasPrefix("/") ? "/" : "") + components.dropLast(2).joined(separator: "/")
            let base = maildir.isEmpty || maildir == "/" ? maildir : maildir + "/"
            if MessageFinder.isDirectory(base + "cur") || MessageFinder.isDirectory(base + "new") { return false }
        }
        return MessageFinder.isCandidate(name: name, folder: folder)
    }

    /// True when `path` is a regular file itself, not a link to one (a walk does not follow links either), and not
    /// gone: a path that is not there must not be read as `FILE#N`.
    static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }
}
