import Dispatch
import MIME

/// Checks many files on every core, keeping their order.
public struct BatchCheck: Sendable {
    public var check: MessageCheck

    public init(check: MessageCheck) {
        self.check = check
    }

    /// Checks `files` in parallel (`progress` gets the number done so far, from any thread), turns each outcome
    /// into `T` on its worker (rendering JSON, say), and hands them to `emit` in the order of `files`, one at a
    /// time, as soon as all before them are done: a folder of any size streams out without being held.
    public func run<T: Sendable>(_ files: [String], progress: (@Sendable (Int) -> Void)? = nil,
                                 transform: @Sendable (CheckOutcome) -> T, emit: @escaping @Sendable (T) -> Void) {
        run(files.map(MessageLocation.file), progress: progress, transform: transform, emit: emit)
    }

    /// `run` for messages wherever they lie: files, an mbox's messages, `.emlx` files.
    public func run<T: Sendable>(_ files: [MessageLocation], progress: (@Sendable (Int) -> Void)? = nil,
                                 transform: @Sendable (CheckOutcome) -> T, emit: @escaping @Sendable (T) -> Void) {
        let order = InOrder<T>(emit: emit)
        let workers = max(1, min(files.count, System.coreCount))
        let next = Counter()
        let done = Counter()
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let index = next.increment() - 1
                guard index < files.count else { return }
                order.put(index, transform(check.check(files[index])))
                progress?(done.increment())
            }
        }
    }
}

/// Results that arrive in any order, handed on in index order.
private final class InOrder<T>: @unchecked Sendable {
    private var waiting: [Int: T] = [:]
    private var next = 0
    private let lock = Lock()
    private let emit: @Sendable (T) -> Void

    init(emit: @escaping @Sendable (T) -> Void) {
        self.emit = emit
    }

    func put(_ index: Int, _ value: T) {
        lock.withLock {
            waiting[index] = value
            while let ready = waiting.removeValue(forKey: next) {
                emit(ready)
                next += 1
            }
        }
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
