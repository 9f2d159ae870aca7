import Dispatch
import MIME

/// Checks many files on every core, keeping their order.
public struct BatchCheck: Sendable {
    public var check: MessageCheck

    public init(check: MessageCheck) {
        self.check = check
    }

    /// Checks `files` in parallel; `progress` is called (from any thread) with the number done so far.
    public func run(_ files: [String], progress: (@Sendable (Int) -> Void)? = nil) -> [CheckOutcome] {
        run(files, progress: progress) { $0 }
    }

    /// Checks `files` in parallel and turns each outcome into `T` on the same worker (rendering JSON, say),
    /// keeping the order of `files`.
    public func run<T: Sendable>(_ files: [String], progress: (@Sendable (Int) -> Void)? = nil,
                                 transform: @Sendable (CheckOutcome) -> T) -> [T] {
        let results = ResultSlots<T>(count: files.count)
        let workers = max(1, min(files.count, System.coreCount))
        let next = Counter()
        let done = Counter()
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let index = next.increment() - 1
                guard index < files.count else { return }
                results.set(index, transform(check.check(path: files[index])))
                let finished = done.increment()
                progress?(finished)
            }
        }
        return results.values()
    }
}

/// Slots written by index from several threads; each slot by one thread only.
private final class ResultSlots<T>: @unchecked Sendable {
    private var slots: [T?]
    private let lock = Lock()

    init(count: Int) {
        slots = Array(repeating: nil, count: count)
    }

    func set(_ index: Int, _ value: T) {
        lock.withLock { slots[index] = value }
    }

    func values() -> [T] {
        lock.withLock { slots.compactMap { $0 } }
    }
}

private final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = Lock()

    func increment() -> Int {
        lock.withLock {
            value += 1
            return value
        }
    }
}
