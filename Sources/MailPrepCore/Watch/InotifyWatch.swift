#if os(Linux)
import Glibc

/// The Linux watcher: one inotify instance (inotify(7)) with a watch on every folder below the roots, hidden
/// folders skipped as `MessageFinder` skips them, and new folders watched as they appear. It waits in poll(2) on the
/// inotify descriptor and reads whole batches of events: nothing runs while nothing changes.
///
/// The only owner of the descriptor; it is closed in `deinit`.
final class InotifyWatch: FolderEventSource {
    /// A file written and closed, moved in or out, created or deleted; a folder deleted. Symbolic links below the
    /// roots are not followed.
    static let events = UInt32(IN_CLOSE_WRITE) | UInt32(IN_MOVED_TO) | UInt32(IN_MOVED_FROM) | UInt32(IN_CREATE)
        | UInt32(IN_DELETE) | UInt32(IN_DELETE_SELF) | UInt32(IN_MOVE_SELF) | UInt32(IN_ONLYDIR) | UInt32(IN_EXCL_UNLINK)

    private let descriptor: Int32
    private let roots: [String]
    /// Watch descriptor → folder, and back.
    private var folders: [Int32: String] = [:]
    private var watches: [String: Int32] = [:]
    /// Room for many events at once (each is 16 octets and its name, at most NAME_MAX + 1).
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    init(roots: [String]) throws(FolderWatchError) {
        descriptor = inotify_init1(Int32(IN_CLOEXEC))
        guard descriptor >= 0 else { throw Self.error(path: roots.first ?? "", errno: errno) }
        self.roots = roots
        for root in roots {
            if let code = add(root, isRoot: true) { throw Self.error(path: root, errno: code) }
            let (_, unwatched) = watchTree(below: root)
            // At the start, a folder that cannot be watched for want of watches is an error, not a warning:
            // the user would believe it watched.
            if case .unwatched(let path, let code) = unwatched.first { throw Self.error(path: path, errno: code) }
        }
    }

    deinit {
        close(descriptor)
    }

    var folderCount: Int { watches.count }

    static func error(path: String, errno code: Int32) -> FolderWatchError {
        switch code {
        case ENOENT: FolderWatchError(path: path, kind: .notFound, errno: code)
        case ENOTDIR: FolderWatchError(path: path, kind: .notAFolder, errno: code)
        case EACCES, EPERM: FolderWatchError(path: path, kind: .permissionDenied, errno: code)
        case ENOSPC, EMFILE, ENOMEM: FolderWatchError(path: path, kind: .systemLimit, errno: code)
        default: FolderWatchError(path: path, kind: .failed, errno: code)
        }
    }

    /// Watches one folder; the errno when it cannot. A root named by the user is followed if it is a link.
    private func add(_ folder: String, isRoot: Bool = false) -> Int32? {
        let watch = inotify_add_watch(descriptor, folder, Self.events | (isRoot ? 0 : UInt32(IN_DONT_FOLLOW)))
        guard watch >= 0 else { return errno }
        // The same folder reached by two paths (nested roots, a bind mount) keeps its first name.
        if folders[watch] == nil {
            folders[watch] = folder
            watches[folder] = watch
        }
        return nil
    }

    /// Watches every folder below `folder` (not itself), and gives the files found on the way (a new folder's files
    /// may have been written before its watch was in place). Folders that cannot be read are skipped, as a walk
    /// skips them; those the system will not watch for want of watches come back as `unwatched`.
    private func watchTree(below folder: String) -> (files: [String], unwatched: [FolderChange]) {
        var files: [String] = []
        var unwatched: [FolderChange] = []
        var queue = [folder]
        while let next = queue.popLast() {
            let (subfolders, found) = FolderTree.entries(of: next)
            files += found
            for subfolder in subfolders {
                if let code = add(subfolder) {
                    if code == ENOSPC || code == ENOMEM { unwatched.append(.unwatched(subfolder, errno: code)) }
                    continue
                }
                queue.append(subfolder)
            }
        }
        return (files, unwatched)
    }

    /// A folder that appeared: watched with everything below it; its files reported as written.
    private func appeared(_ folder: String, into changes: inout [FolderChange]) {
        if let code = add(folder) {
            if code == ENOSPC || code == ENOMEM { changes.append(.unwatched(folder, errno: code)) }
            return
        }
        let (files, unwatched) = watchTree(below: folder)
        changes += unwatched
        changes += files.map(FolderChange.written)
    }

    /// Stops watching `folder` and everything below it (moved away: its watches would keep reporting the old paths).
    private func forget(_ folder: String) {
        for (path, watch) in watches where FolderTree.path(path, isIn: folder) {
            inotify_rm_watch(descriptor, watch)
            watches[path] = nil
            folders[watch] = nil
        }
    }

    func changes(waitingAtMost timeout: Duration?) -> [FolderChange] {
        var ready = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let milliseconds = timeout.map { duration -> Int32 in
            let (seconds, attoseconds) = duration.components
            // Rounded up, so a deadline is never woken for just before it.
            return Int32(clamping: max(0, seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000))
        } ?? -1
        guard poll(&ready, 1, milliseconds) > 0 else { return [] }
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return [] }
        return parse(count)
    }

    private func parse(_ count: Int) -> [FolderChange] {
        var changes: [FolderChange] = []
        var lost = false
        // A move is two events sharing a cookie, the second normally right after the first.
        var movedAway: [UInt32: (path: String, isFolder: Bool)] = [:]
        var movedAwayOrder: [UInt32] = []
        let header = MemoryLayout<inotify_event>.size
        var offset = 0
        while offset + header <= count {
            let event = buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: inotify_event.self) }
            let nameEnd = min(count, offset + header + Int(event.len))
            let name = String(decoding: buffer[(offset + header)..<nameEnd].prefix { $0 != 0 }, as: UTF8.self)
            offset = nameEnd
            let mask = event.mask
            func has(_ flag: UInt32) -> Bool { mask & flag != 0 }
            if has(UInt32(IN_Q_OVERFLOW)) {
                lost = true
                continue
            }
            guard let folder = folders[event.wd] else { continue }
            if has(UInt32(IN_IGNORED)) {
                // The kernel dropped the watch: the folder is gone, or was unwatched by `forget`.
                folders[event.wd] = nil
                if watches[folder] == event.wd { watches[folder] = nil }
                continue
            }
            if has(UInt32(IN_DELETE_SELF)) || has(UInt32(IN_MOVE_SELF)) {
                // A root deleted or moved: its watch now follows the folder elsewhere, or nothing; said, not hidden.
                if roots.contains(folder) {
                    changes.append(.rootGone(folder))
                } else if has(UInt32(IN_DELETE_SELF)) {
                    changes.append(.removedFolder(folder))
                }
                continue
            }
            let path = folder == "/" ? "/" + name : folder + "/" + name
            if has(UInt32(IN_ISDIR)) {
                if name.hasPrefix(".") { continue }
                if has(UInt32(IN_MOVED_FROM)) {
                    forget(path)
                    movedAway[event.cookie] = (path, true)
                    movedAwayOrder.append(event.cookie)
                } else if has(UInt32(IN_MOVED_TO)) {
                    if let from = movedAway.removeValue(forKey: event.cookie), from.isFolder {
                        changes.append(.renamedFolder(from: from.path, to: path))
                    }
                    appeared(path, into: &changes)
                } else if has(UInt32(IN_CREATE)) {
                    appeared(path, into: &changes)
                } else if has(UInt32(IN_DELETE)) {
                    forget(path)
                    changes.append(.removedFolder(path))
                }
            } else if has(UInt32(IN_MOVED_FROM)) {
                movedAway[event.cookie] = (path, false)
                movedAwayOrder.append(event.cookie)
            } else if has(UInt32(IN_MOVED_TO)) {
                if let from = movedAway.removeValue(forKey: event.cookie), !from.isFolder {
                    changes.append(.renamed(from: from.path, to: path))
                } else {
                    changes.append(.written(path))
                }
            } else if has(UInt32(IN_CLOSE_WRITE)) || has(UInt32(IN_CREATE)) {
                changes.append(.written(path))
            } else if has(UInt32(IN_DELETE)) {
                changes.append(.removed(path))
            }
        }
        // Moved out of the watched folders: gone, as far as the watch can tell.
        for cookie in movedAwayOrder {
            guard let away = movedAway[cookie] else { continue }
            changes.append(away.isFolder ? .removedFolder(away.path) : .removed(away.path))
        }
        if lost {
            // Folders made while events were lost have no watch yet.
            changes = roots.filter { watches[$0] != nil }.flatMap { watchTree(below: $0).unwatched } + [.lost]
        }
        return changes
    }
}
#endif
