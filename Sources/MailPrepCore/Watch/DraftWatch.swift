import MIME

/// Checks the drafts below some folders as they are saved, and says which checks matter.
///
/// A file is checked `debounce` after the last change seen to it, so a draft saved several times in a row is
/// checked once; its messages (one, or each of an mbox) are then judged as `check` judges them, and each verdict
/// compared with the one before (`DraftEvent`). Files are taken by their names as a folder check takes them, less
/// editors' temporary files and Maildir's `tmp/` (`WatchedFiles`), and read with `MessageFinder.resolve`; files
/// that are not messages, and files gone by the time they are checked, are passed over without a word.
public final class DraftWatch {
    /// One check, and what it means.
    public struct Report: Sendable {
        public var outcome: CheckOutcome
        public var event: DraftEvent
    }

    public let watcher: FolderWatcher
    public let check: MessageCheck
    public let quoting: FromQuoting
    public let debounce: Duration
    private var states = DraftStates()
    /// File → when to check it.
    private var pending: [String: ContinuousClock.Instant] = [:]
    /// File → when its first unchecked change was seen: a file written without pause is still checked every
    /// `longestWait`.
    private var firstSeen: [String: ContinuousClock.Instant] = [:]
    static let longestWait = Duration.seconds(2)

    public init(watcher: FolderWatcher, check: MessageCheck, quoting: FromQuoting = .mboxo, debounce: Duration = .milliseconds(300)) {
        self.watcher = watcher
        self.check = check
        self.quoting = quoting
        self.debounce = debounce
    }

    /// Checks every message already below the folders, once, in a folder check's order.
    public func checkAll(_ report: (Report) -> Void) {
        for root in watcher.roots {
            // Unreadable drafts too: reported at the start as a folder check reports them.
            var order: [String] = []
            var byFile: [String: [MessageFinder.Found]] = [:]
            for found in MessageFinder.found(under: root, quoting: quoting) {
                let path = switch found {
                case .message(let location): location.path
                case .failed(let failure): failure.file
                }
                if byFile[path] == nil { order.append(path) }
                byFile[path, default: []].append(found)
            }
            for path in order where WatchedFiles.isWatched(path: path) {
                checkFile(path, found: byFile[path] ?? [], report)
            }
        }
    }

    /// Watches until the process ends. `warning` gets the changes a user should hear of (`.unwatched`).
    public func run(_ report: (Report) -> Void, warning: (FolderChange) -> Void) -> Never {
        while true {
            let now = ContinuousClock.now
            let due = pending.filter { $0.value <= now }.sorted { ($0.value, $0.key) < ($1.value, $1.key) }
            for (path, _) in due {
                pending[path] = nil
                firstSeen[path] = nil
                checkFile(path, found: nil, report)
            }
            let timeout = pending.values.min().map { max(.zero, $0 - ContinuousClock.now) }
            for change in watcher.changes(waitingAtMost: timeout) {
                apply(change, warning: warning)
            }
        }
    }

    func apply(_ change: FolderChange, warning: (FolderChange) -> Void) {
        let deadline = ContinuousClock.now + debounce
        func schedule(_ path: String) {
            guard WatchedFiles.isWatched(path: path) else { return }
            let first = firstSeen[path] ?? ContinuousClock.now
            firstSeen[path] = first
            pending[path] = min(deadline, first + Self.longestWait)
        }
        switch change {
        case .written(let path):
            schedule(path)
        case .removed(let path):
            // Checked, not forgotten at once: an editor that moves the old version away before writing the new
            // one has written it by then, and the draft keeps its verdict.
            if states.knows(file: path) { schedule(path) }
        case .renamed(let from, let to):
            if WatchedFiles.isWatched(path: to) { states.copy(file: from, to: to) }
            schedule(to)
            if states.knows(file: from) { schedule(from) }
        case .removedFolder(let folder):
            states.forget(folder: folder)
            for path in pending.keys where FolderTree.path(path, isIn: folder) { pending[path] = nil; firstSeen[path] = nil }
        case .renamedFolder(let from, let to):
            states.move(folder: from, to: to)
            for path in pending.keys where FolderTree.path(path, isIn: from) {
                pending[path] = nil
                firstSeen[path] = nil
                schedule(to + path.dropFirst(from.count))
            }
        case .lost:
            for path in Set(watcher.roots.flatMap(FolderTree.files(under:))).union(states.knownFiles) { schedule(path) }
        case .unwatched:
            warning(change)
        case .rootGone(let root):
            states.forget(folder: root)
            for path in pending.keys where FolderTree.path(path, isIn: root) { pending[path] = nil; firstSeen[path] = nil }
            warning(change)
        }
    }

    /// Checks every message of one file (found again when `found` is nil) and reports each.
    private func checkFile(_ path: String, found: [MessageFinder.Found]?, _ report: (Report) -> Void) {
        var outcomes: [(name: String, outcome: CheckOutcome)] = []
        for item in found ?? (WatchedFiles.isRegularFile(path) ? MessageFinder.resolve(path, quoting: quoting) : []) {
            let outcome: CheckOutcome
            switch item {
            case .message(let location): outcome = check.check(location)
            case .failed(let failure): outcome = .failed(failure)
            }
            if case .failed(let failure) = outcome, Self.passesOver(failure.kind) { continue }
            outcomes.append((outcome.file, outcome))
        }
        let events = states.record(file: path, outcomes)
        for (index, event) in events.enumerated() {
            if let event { report(Report(outcome: outcomes[index].outcome, event: event)) }
        }
    }

    /// Failures that are no news: a file gone, emptied, or not (yet) a message, as happens while it is saved.
    static func passesOver(_ kind: CheckFailure.Kind) -> Bool {
        switch kind {
        case .notFound, .emptyMessage, .notAMessage, .notAMailbox, .noSuchMessage: true
        case .permissionDenied, .isDirectory, .ioError: false
        }
    }
}
