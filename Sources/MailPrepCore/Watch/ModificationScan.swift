#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The watcher without kernel events: every second, the folders below the roots are listed and each file's
/// modification time, size and inode compared with the last scan. The only way on macOS for now (FSEvents or
/// kqueue would do better), and the way for network file systems on Linux, where inotify does not see other
/// machines' writes.
final class ModificationScan: FolderEventSource {
    /// What tells a file's version: a new modification time, size or inode is a new version.
    struct Stamp: Equatable {
        var seconds: Int
        var nanoseconds: Int
        var size: Int64
        var inode: UInt64
    }

    static let interval = Duration.seconds(1)

    private let roots: [String]
    private var files: [String: Stamp] = [:]
    private var folders: Set<String> = []
    private var nextScan: ContinuousClock.Instant

    init(roots: [String]) {
        self.roots = roots
        nextScan = .now
        (files, folders) = scan()
        nextScan = .now + Self.interval
    }

    var folderCount: Int { folders.count }

    func changes(waitingAtMost timeout: Duration?) -> [FolderChange] {
        let now = ContinuousClock.now
        let untilScan = nextScan - now
        if let timeout, timeout < untilScan {
            Self.sleep(timeout)
            return []
        }
        Self.sleep(untilScan)
        nextScan = .now + Self.interval
        let (current, currentFolders) = scan()
        defer { (files, folders) = (current, currentFolders) }
        var changes: [FolderChange] = []
        var goneByInode: [UInt64: String] = [:]
        for (path, stamp) in files where current[path] == nil { goneByInode[stamp.inode] = path }
        for (path, stamp) in current.sorted(by: { $0.key < $1.key }) where files[path] != stamp {
            if files[path] == nil, let from = goneByInode.removeValue(forKey: stamp.inode) {
                changes.append(.renamed(from: from, to: path))
            } else {
                changes.append(.written(path))
            }
        }
        changes += goneByInode.values.sorted().map(FolderChange.removed)
        return changes
    }

    private func scan() -> (files: [String: Stamp], folders: Set<String>) {
        var found: [String: Stamp] = [:]
        var seen: Set<String> = []
        var queue = roots
        while let folder = queue.popLast() {
            guard seen.insert(folder).inserted else { continue }
            let (subfolders, names) = FolderTree.entries(of: folder)
            queue += subfolders
            for path in names {
                var info = stat()
                guard lstat(path, &info) == 0 else { continue }
                #if canImport(Darwin)
                let time = info.st_mtimespec
                #else
                let time = info.st_mtim
                #endif
                found[path] = Stamp(seconds: Int(time.tv_sec), nanoseconds: Int(time.tv_nsec), size: Int64(info.st_size),
                                    inode: UInt64(info.st_ino))
            }
        }
        return (found, seen)
    }

    private static func sleep(_ duration: Duration) {
        guard duration > .zero else { return }
        let (seconds, attoseconds) = duration.components
        var wait = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var left = timespec()
        while nanosleep(&wait, &left) != 0 && errno == EINTR { wait = left }
    }
}
