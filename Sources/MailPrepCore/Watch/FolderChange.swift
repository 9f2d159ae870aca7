/// What changed below the watched folders, as a `FolderWatcher` saw it. Paths are the roots as given, joined with
/// the names below them.
public enum FolderChange: Sendable, Equatable {
    /// A file whose contents may be new: written and closed, created, or moved in from outside the watched folders.
    case written(String)
    /// A file given a new name below the watched folders (an editor's temporary file renamed over a draft; a
    /// Maildir message whose flags changed).
    case renamed(from: String, to: String)
    /// A file that may be gone: deleted, or moved away.
    case removed(String)
    /// A folder gone (deleted or moved away), with everything below it.
    case removedFolder(String)
    /// A folder given a new name below the watched folders; the files in it follow as `written`.
    case renamedFolder(from: String, to: String)
    /// Changes were lost (the kernel's queue of events overflowed): any file may have changed. The watcher has
    /// already watched any folder it missed.
    case lost
    /// A folder given to watch was deleted or moved away: nothing below it is watched any more.
    case rootGone(String)
    /// A new folder the system would not watch (its limit on watches reached): changes in it go unseen.
    case unwatched(String, errno: Int32)
}
