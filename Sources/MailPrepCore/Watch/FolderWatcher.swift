#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Watches folders, and every folder below them, for files being written, renamed and removed.
///
/// On Linux the kernel says what changed (inotify); on macOS, and with `scanning`, modification times are compared
/// every second (`ModificationScan`). Hidden folders are not watched and symbolic links not followed, as
/// `MessageFinder` walks a folder.
public final class FolderWatcher {
    /// The folders given, without trailing "/", and without any inside another one given (it is watched already).
    public let roots: [String]
    /// True when changes are found by comparing modification times, not told by the kernel.
    public let scanning: Bool
    private let source: any FolderEventSource

    /// Starts watching. Throws when a root is missing or not a folder, or the system will not watch them all.
    public init(roots given: [String], scanning: Bool = false) throws(FolderWatchError) {
        var roots: [(path: String, real: String)] = []
        for path in given.map(FolderTree.normalized) {
            var info = stat()
            guard stat(path, &info) == 0 else {
                throw FolderWatchError(path: path, kind: errno == EACCES ? .permissionDenied : .notFound, errno: errno)
            }
            guard (info.st_mode & S_IFMT) == S_IFDIR else { throw FolderWatchError(path: path, kind: .notAFolder) }
            guard access(path, R_OK | X_OK) == 0 else { throw FolderWatchError(path: path, kind: .permissionDenied, errno: errno) }
            let real = realpath(path, nil).map { pointer in
                defer { free(pointer) }
                return String(cString: pointer)
            } ?? path
            roots.append((path, real))
        }
        self.roots = roots.enumerated().filter { index, root in
            !roots.enumerated().contains { other, outer in
                other != index && FolderTree.path(root.real, isIn: outer.real) && (outer.real != root.real || other < index)
            }
        }.map(\.element.path)
        #if os(Linux)
        self.scanning = scanning
        source = scanning ? ModificationScan(roots: self.roots) : try InotifyWatch(roots: self.roots)
        #else
        self.scanning = true
        source = ModificationScan(roots: self.roots)
        #endif
    }

    /// Folders watched now, the roots included.
    public var folderCount: Int { source.folderCount }

    /// Waits until something changes or `timeout` has passed (nil: no limit), and gives what changed, in order;
    /// empty when the time ran out.
    public func changes(waitingAtMost timeout: Duration?) -> [FolderChange] {
        source.changes(waitingAtMost: timeout)
    }
}

/// Where a watcher's changes come from: the kernel (inotify), or a scan of modification times.
protocol FolderEventSource: AnyObject {
    /// Folders watched now, the roots included.
    var folderCount: Int { get }
    /// Waits until something changes or `timeout` has passed (nil: no limit) and gives what changed, in order;
    /// empty when the time ran out (or a signal came).
    func changes(waitingAtMost timeout: Duration?) -> [FolderChange]
}
