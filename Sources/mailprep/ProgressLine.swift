import Foundation
import MailPrepCore

/// "checked 1234 of 10000" on standard error, on a terminal, once a run takes more than half a second.
final class ProgressLine: @unchecked Sendable {
    private var total: Int
    private let catalog: Catalog
    private let enabled: Bool
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false
    private let lock = NSLock()

    init(total: Int, catalog: Catalog, enabled: Bool) {
        self.total = total
        self.catalog = catalog
        self.enabled = enabled
    }

    func update(_ done: Int) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(start) > 0.5, now.timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = now
        drawn = true
        FileHandle.standardError.write(Data(("\r" + catalog.progress(done, total) + "\u{1B}[K").utf8))
    }

    /// `update` for a run whose total is learnt as it goes (an IMAP folder's).
    func update(_ done: Int, of total: Int) {
        lock.lock()
        self.total = total
        lock.unlock()
        update(done)
    }

    func clear() {
        lock.lock()
        defer { lock.unlock() }
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
