import Foundation
import MIME

/// A Maildir (the folder of `cur/`, `new/` and `tmp/` files that mail clients and Dovecot read), written as
/// maildir(5) says: a file is made whole in `tmp/`, then renamed into place in one step.
public enum Maildir {
    /// Copies the file at `path` into the Maildir `folder` (made when missing) as a message already seen, as a sent
    /// copy is: `cur/NAME:2,S`. Returns the path written.
    @discardableResult
    public static func deliver(file path: String, into folder: String) throws -> String {
        for child in ["", "/tmp", "/new", "/cur"] {
            let folderPath = folder + child
            if mkdir(folderPath, 0o700) != 0 && errno != EEXIST { throw FileError(path: folderPath, errno: errno, operation: "create folder") }
        }
        var now = timeval()
        gettimeofday(&now, nil)
        let host = ProcessInfo.processInfo.hostName.replacingOccurrences(of: "/", with: "\\057").replacingOccurrences(of: ":", with: "\\072")
        let name = "\(now.tv_sec).M\(now.tv_usec)P\(getpid())R\(UInt32.random(in: 0...UInt32.max)).\(host)"
        let temporary = folder + "/tmp/" + name
        let input = open(path, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw FileError(path: path, errno: errno, operation: "open") }
        defer { close(input) }
        let output = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw FileError(path: temporary, errno: errno, operation: "create") }
        var sink = FileSink(descriptor: output, path: temporary)
        do {
            var buffer = [UInt8](repeating: 0, count: 1 << 17)
            while true {
                let got = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
                if got < 0 && errno == EINTR { continue }
                guard got >= 0 else { throw FileError(path: path, errno: errno, operation: "read") }
                if got == 0 { break }
                try buffer.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<got])) }
            }
            try sink.flush()
            guard fsync(output) == 0 else { throw FileError(path: temporary, errno: errno, operation: "sync") }
            close(output)
        } catch {
            close(output)
            unlink(temporary)
            throw error
        }
        let final = folder + "/cur/" + name + ":2,S"
        guard rename(temporary, final) == 0 else {
            let failure = FileError(path: final, errno: errno, operation: "rename")
            unlink(temporary)
            throw failure
        }
        return final
    }
}
