/// Why folders cannot be watched.
public struct FolderWatchError: Error, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case notFound
        case notAFolder
        case permissionDenied
        /// The system's limits on watching are reached (Linux: fs.inotify.max_user_watches or max_user_instances).
        case systemLimit
        /// Any other failure; `errno` says which.
        case failed
    }

    public var path: String
    public var kind: Kind
    public var errno: Int32

    public init(path: String, kind: Kind, errno: Int32 = 0) {
        self.path = path
        self.kind = kind
        self.errno = errno
    }
}
