import Foundation
import MIME

/// What `mailprep sendmail` did to the messages it did not pass on unchanged: one JSON object a line, in the
/// user's state folder, readable by the owner alone (a `--protect` password is in it, and nowhere else).
public struct SendLog: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// `$XDG_STATE_HOME/mailprep/sendmail.log`.
    public static func standard(environment: [String: String]) -> SendLog {
        SendLog(path: UserFolders.state(environment: environment) + "/sendmail.log")
    }

    /// Appends one record (a single write of a whole line, so lines of two runs never mix).
    public func append(_ record: JSONValue) throws {
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw FileError(path: path, errno: errno, operation: "open") }
        defer { close(descriptor) }
        // The owner's alone, even when it was made otherwise: a password may be in it.
        fchmod(descriptor, 0o600)
        let line = Array((record.serialized() + "\n").utf8)
        let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == line.count else { throw FileError(path: path, errno: errno, operation: "write") }
    }

    /// The latest record, as written; nil when there is none.
    public func last() -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init)
    }
}
