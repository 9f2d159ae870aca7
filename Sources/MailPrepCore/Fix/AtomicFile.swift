import MIME

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file that appears whole or not at all: written as a temporary file in the target folder, synced, then
/// renamed over the target (or linked to it, when an existing file must not be replaced).
final class AtomicFile {
    let path: String
    let temporaryPath: String
    private(set) var descriptor: Int32
    private var done = false

    /// Creates the temporary file beside `path`, with `mode` (the input's, so a private draft stays private).
    init(path: String, mode: mode_t) throws {
        self.path = path
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard let (descriptor, temporaryPath) = Leftovers.makeFile("\(folder.isEmpty ? "/" : folder)/.\(name).\(Leftovers.marker)") else {
            throw FileError(path: path, errno: errno, operation: "create")
        }
        self.descriptor = descriptor
        self.temporaryPath = temporaryPath
        fchmod(descriptor, mode & 0o777)
    }

    deinit {
        discard()
    }

    /// Syncs the data and puts the file in place (at `destination`, on the same file system, when given).
    /// Without `replace`, an existing file there is an error.
    func commit(replace: Bool, to destination: String? = nil) throws {
        let target = destination ?? path
        guard fsync(descriptor) == 0 else { throw FileError(path: target, errno: errno, operation: "sync") }
        close(descriptor)
        descriptor = -1
        try Leftovers.step { () throws(FileError) in
            if replace {
                guard rename(temporaryPath, target) == 0 else { throw FileError(path: target, errno: errno, operation: "rename") }
            } else {
                guard link(temporaryPath, target) == 0 else { throw FileError(path: target, errno: errno, operation: "create") }
                unlink(temporaryPath)
            }
            done = true
            Leftovers.unregister(temporaryPath)
        }
        Self.syncFolder(of: target)
    }

    /// Removes the temporary file (after a failure).
    func discard() {
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
        if !done {
            unlink(temporaryPath)
            Leftovers.unregister(temporaryPath)
            done = true
        }
    }

    /// Makes a rename durable: syncs the folder that holds `path`.
    static func syncFolder(of path: String) {
        let folder = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let descriptor = open(folder.isEmpty ? "/" : folder, O_RDONLY | O_DIRECTORY)
        if descriptor >= 0 {
            fsync(descriptor)
            close(descriptor)
        }
    }
}

/// Standard input copied to a temporary file, so it can be read again (the writer copies spans of it). Named
/// with the process ID (`Leftovers`): removed when done, on Ctrl-C, and by the next spool after a kill -9.
public final class SpooledInput {
    public let path: String

    public init() throws {
        let folder = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        Leftovers.sweep(folder: folder)
        guard let (descriptor, path) = Leftovers.makeFile("\(folder)/\(Leftovers.marker)stdin-") else {
            throw FileError(path: folder, errno: errno, operation: "create")
        }
        self.path = path
        defer { close(descriptor) }
        var sink = FileSink(descriptor: descriptor, path: path)
        var buffer = [UInt8](repeating: 0, count: 1 << 18)
        while true {
            let got = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if got < 0 {
                if errno == EINTR { continue }
                unlink(path)
                throw FileError(path: "-", errno: errno, operation: "read")
            }
            if got == 0 { break }
            do {
                try buffer.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<got])) }
            } catch {
                unlink(path)
                throw error
            }
        }
        do { try sink.flush() } catch { unlink(path); throw error }
    }

    /// A temporary file filled by `fill`, which gets a writer for the pieces (a message downloaded from a server).
    public init(filling fill: (_ write: (UnsafeRawBufferPointer) -> Void) throws -> Void) throws {
        let folder = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        Leftovers.sweep(folder: folder)
        guard let (descriptor, path) = Leftovers.makeFile("\(folder)/\(Leftovers.marker)download-") else {
            throw FileError(path: folder, errno: errno, operation: "create")
        }
        self.path = path
        defer { close(descriptor) }
        var sink = FileSink(descriptor: descriptor, path: path)
        var failure: Error?
        do {
            try fill { piece in
                guard failure == nil else { return }
                do { try sink.write(piece) } catch { failure = error }
            }
            if let failure { throw failure }
            try sink.flush()
        } catch {
            unlink(path)
            throw error
        }
    }

    /// Copies the message at `location` (one message of an mbox, with its quoting undone; the message inside an
    /// `.emlx` file) to a temporary file of its own.
    public init(location: MessageLocation) throws {
        let folder = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        Leftovers.sweep(folder: folder)
        guard let (descriptor, path) = Leftovers.makeFile("\(folder)/\(Leftovers.marker)stored-") else {
            throw FileError(path: folder, errno: errno, operation: "create")
        }
        self.path = path
        defer { close(descriptor) }
        var sink = FileSink(descriptor: descriptor, path: path)
        var failure: Error?
        do {
            try MessageReader.copy(location) { piece in
                do { try sink.write(piece) } catch { failure = error; throw error }
            }
            try sink.flush()
        } catch {
            unlink(path)
            throw failure ?? error
        }
    }

    deinit {
        unlink(path)
        Leftovers.unregister(path)
    }
}

/// Creates a new file named `prefix` plus six random characters (mkstemp), open for writing with mode 0600.
/// Returns nil (errno set) on failure.
func temporaryFile(_ prefix: String) -> (descriptor: Int32, path: String)? {
    var template = Array((prefix + "XXXXXX").utf8CString)
    let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard descriptor >= 0 else { return nil }
    let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return (descriptor, path)
}
