import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The temporary files and folders of this process (output being written, archives, files entering the share):
/// named with its process ID, removed when it finishes or fails, on Ctrl-C, SIGTERM and SIGHUP too, and, when a
/// process was killed outright (kill -9, power loss), by the next run that finds them (`sweep`).
public enum Leftovers {
    /// What a temporary name carries: `mailprep-p<PID>-`.
    public static var marker: String { "mailprep-p\(getpid())-" }

    private static let lock = Lock()
    nonisolated(unsafe) private static var paths: Set<String> = []
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []
    /// Held while a temporary file is made and registered, or moved into sight and unregistered; a signal's
    /// clean-up takes it and keeps it, so it sees every such step either not begun or done, and none begins after.
    nonisolated(unsafe) private static let steps: UnsafeMutablePointer<pthread_mutex_t> = {
        let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_RECURSIVE))
        pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
        return mutex
    }()

    /// Runs `body`, which makes a temporary path and registers it, or moves one into place and unregisters it, as
    /// one step for a signal's clean-up: without it, Ctrl-C between `mkdir` and `register` left the folder behind,
    /// and one between publishing a shared file and writing its message left a link to nothing.
    public static func step<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(steps)
        defer { pthread_mutex_unlock(steps) }
        return try body()
    }

    /// `mkstemp` of `prefix` plus six characters, registered in the same step. Nil (errno set) on failure.
    public static func makeFile(_ prefix: String) -> (descriptor: Int32, path: String)? {
        step {
            guard let made = temporaryFile(prefix) else { return nil }
            register(made.path)
            return made
        }
    }

    public static func register(_ path: String) {
        lock.withLock { _ = paths.insert(path) }
    }

    public static func unregister(_ path: String) {
        lock.withLock { _ = paths.remove(path) }
    }

    /// A private folder (0700) in `parent`, named with this process's marker and registered: gone with the process
    /// on a signal, swept after a kill -9, and by `removeFolder` when done. Nil (errno set) when it cannot be made.
    public static func makeFolder(in parent: String, purpose: String) -> String? {
        let folder = parent + "/" + marker + purpose + "-\(UInt32.random(in: 0...UInt32.max))"
        return step {
            guard mkdir(folder, 0o700) == 0 else { return nil }
            register(folder)
            return folder
        }
    }

    public static func removeFolder(_ folder: String) {
        try? FileManager.default.removeItem(atPath: folder)
        unregister(folder)
    }

    /// Removes every registered path now (a signal is ending the process).
    static func removeAll() {
        let all = lock.withLock { paths }
        for path in all { try? FileManager.default.removeItem(atPath: path) }
    }

    /// On SIGINT, SIGTERM and SIGHUP: remove this process's temporary files, then end as the signal would.
    public static func removeOnSignals() {
        lock.withLock {
            guard sources.isEmpty else { return }
            for number in [SIGINT, SIGTERM, SIGHUP] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler {
                    // Never unlocked: the process ends here, and no step may begin after the clean-up.
                    pthread_mutex_lock(steps)
                    removeAll()
                    signal(number, SIG_DFL)
                    // To the process, not this thread: libdispatch's threads may hold the signal blocked, and a
                    // raise() here would then wait for ever (a relay that SIGTERM did not end).
                    kill(getpid(), number)
                    usleep(200_000)
                    _exit(128 + number)
                }
                source.resume()
                sources.append(source)
            }
        }
    }

    /// Removes the entries of `folder` whose names carry the marker of a process that no longer runs (a killed
    /// `fix`); returns what it removed. Entries of running processes, and other names, are left alone.
    @discardableResult
    public static func sweep(folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        var removed: [String] = []
        for name in names {
            guard let range = name.range(of: "mailprep-p") else { continue }
            let digits = name[range.upperBound...].prefix { $0.isNumber }
            guard let pid = Int32(digits), name[range.upperBound...].dropFirst(digits.count).first == "-",
                  pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            if (try? FileManager.default.removeItem(atPath: folder + "/" + name)) != nil { removed.append(name) }
        }
        return removed
    }
}
