import Foundation
import MIME

/// One shared file: where it is, what it is, and until when.
public struct ShareEntry: Sendable, Codable, Equatable {
    /// At least 128 random bits, URL-safe base64: the only secret between the link and the file.
    public var token: String
    /// The name as the message gave it.
    public var originalName: String?
    /// The name it is stored and served under (`SafeFilename`).
    public var fileName: String
    public var contentType: String
    /// Octets of the file.
    public var size: Int64
    /// 64 lowercase hex digits.
    public var sha256: String
    public var created: Date
    public var expires: Date
    /// Message-ID of the message the file left.
    public var messageID: String?
    public var downloads: Int
    /// "sha256:<salt>:<digest>" of the password a download asks for (`--protect`); nil when there is none.
    public var passwordHash: String?

    public func isExpired(at now: Date) -> Bool { expires <= now }

    public var isProtected: Bool { passwordHash != nil }

    /// Whether `password` is the one this entry was protected with (compared in constant time), as typed or in
    /// its canonical form (`ShareStore.canonicalPassword`): a person reading it off a phone types capitals,
    /// spaces or no dashes.
    public func accepts(password: String) -> Bool {
        guard let passwordHash else { return true }
        let parts = passwordHash.split(separator: ":").map(String.init)
        guard parts.count == 3, parts[0] == "sha256" else { return false }
        let canonical = ShareStore.canonicalPassword(password)
        return Set([password, canonical]).map { typed in
            let digest = ShareStore.passwordDigest(typed, salt: parts[1])
            return digest.utf8.count == parts[2].utf8.count && Self.equalInConstantTime(digest, parts[2])
        }.contains(true)
    }

    /// What a browser keeps (in a cookie) once the password was right: derived from the password's salted hash,
    /// which only the share's metadata holds, so it cannot be made without reading the share. Nil when unprotected.
    public func downloadProof() -> String? {
        passwordHash.map { ShareStore.passwordDigest($0, salt: "download:" + token) }
    }

    public func acceptsProof(_ proof: String) -> Bool {
        guard let expected = downloadProof() else { return true }
        return Self.equalInConstantTime(expected, proof)
    }

    static func equalInConstantTime(_ a: String, _ b: String) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        return zip(a.utf8, b.utf8).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// Where shared bytes are written: a file, hashed on the way.
public struct ShareSink: ByteSink {
    private var inner: SHA256Sink<FileSink>

    init(_ inner: SHA256Sink<FileSink>) {
        self.inner = inner
    }

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        try inner.write(bytes)
    }

    /// Flushes the file; the SHA-256 of everything written and its size.
    mutating func finish() throws -> (hex: String, size: Int64) {
        try inner.downstream.flush()
        return (inner.finish().hex, inner.count)
    }
}

/// Why a file could not be shared; nothing of it is left visible.
public enum ShareError: Error, Sendable, Equatable {
    case write(FileError)
    /// What was read back is not what was written (a failing disk, a concurrent writer).
    case verificationFailed(expected: String, found: String)
    case unreadableMetadata(path: String)
}

/// The file share: a folder holding `<token>/<file name>` and a metadata record beside each file.
///
/// Durable before linked: a file is written under a temporary name, synced, read back and its SHA-256 compared,
/// renamed into place, its folder synced, and only then is the entry returned, so a link can point at it.
public struct ShareStore: Sendable {
    public let root: String
    /// Name of the metadata record in each token's folder; hidden, so it is never a file name that is served.
    public static let metadataName = ".mailprep-share.json"
    static let incomingName = ".incoming"

    /// Who may read what is shared, beside its owner.
    public enum Access: String, Sendable, CaseIterable {
        /// Only the owner (folders 0700, files 0600): `mailprep serve` runs as the owner.
        case owner
        /// The owner's group too (0750, 0640): for a web server (nginx, Caddy) in that group.
        case group

        var folderMode: mode_t { self == .owner ? 0o700 : 0o750 }
        var fileMode: mode_t { self == .owner ? 0o600 : 0o640 }
    }

    /// Who may read the share's folders and files; `share_mode` in the configuration file.
    public var access: Access

    public init(root: String, access: Access = .owner) {
        self.root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
        self.access = access
    }

    /// Makes the share folder if it is missing, readable as `access` says (an existing folder is left as it is).
    public func createRoot() throws(ShareError) {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: root, isDirectory: &isFolder) && isFolder.boolValue { return }
        do {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: Int(access.folderMode)])
        } catch {
            throw .write(FileError(path: root, errno: EACCES, operation: "create folder"))
        }
    }

    /// The default folder: `$XDG_DATA_HOME/mailprep/share` (else `~/.local/share/...`) on Linux,
    /// `~/Library/Application Support/mailprep/share` on macOS.
    public static func defaultRoot(environment: [String: String]) -> String {
        UserFolders.data(environment: environment) + "/share"
    }

    /// A fresh token: 128 random bits from the system's cryptographic generator, URL-safe base64 (22 characters).
    public static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Shares a file whose bytes `write` produces into the sink it is given (a decoder reading the message, say).
    ///
    /// With `pending`, the entry is made whole but kept out of sight (in `.incoming`, named for this process) until
    /// `publish` puts it in place: `fix` publishes just before its message appears, so that a killed run leaves no
    /// entry for a message that was never written; the next run or `share prune` removes what it left.
    public func put(name: String?, contentType: String, expires: Date, messageID: String?, password: String? = nil,
                    now: Date = Date(), pending: Bool = false, write: (inout ShareSink) throws -> Void) throws(ShareError) -> ShareEntry {
        let incoming = root + "/" + Self.incomingName
        try createRoot()
        do {
            try FileManager.default.createDirectory(atPath: incoming, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw .write(FileError(path: incoming, errno: EACCES, operation: "create folder"))
        }
        let token = Self.newToken()
        let fileName = SafeFilename.make(name)
        // Everything is made in a staging folder inside `.incoming` and renamed into the share in one step, so a
        // token's folder is either whole (file and metadata) or absent, whenever the process dies.
        Leftovers.sweep(folder: incoming)
        let staging = stagingPath(token)
        // The token folder and file are the owner's alone unless `access` says otherwise; chmod, since umask
        // could only take permissions away.
        try Leftovers.step { () throws(ShareError) in
            guard mkdir(staging, access.folderMode) == 0 else { throw .write(FileError(path: staging, errno: errno, operation: "create folder")) }
            Leftovers.register(staging)
            guard chmod(staging, access.folderMode) == 0 else {
                let failure = FileError(path: staging, errno: errno, operation: "create folder")
                rmdir(staging)
                Leftovers.unregister(staging)
                throw .write(failure)
            }
        }
        var committed = false
        defer {
            if !committed {
                try? FileManager.default.removeItem(atPath: staging)
                Leftovers.unregister(staging)
            }
        }
        let temporary: AtomicFile
        do { temporary = try AtomicFile(path: staging + "/" + fileName, mode: access.fileMode) } catch { throw Self.wrap(error, path: staging) }
        defer { temporary.discard() }

        // Write, hashing on the way; then sync, read back and compare.
        var sink = ShareSink(SHA256Sink(FileSink(descriptor: temporary.descriptor, path: temporary.temporaryPath)))
        let written: (hex: String, size: Int64)
        do {
            try write(&sink)
            written = try sink.finish()
        } catch { throw Self.wrap(error, path: temporary.temporaryPath) }
        guard fsync(temporary.descriptor) == 0 else { throw .write(FileError(path: temporary.temporaryPath, errno: errno, operation: "sync")) }
        let check: String
        do { check = try Self.sha256(ofFile: temporary.temporaryPath) } catch { throw Self.wrap(error, path: temporary.temporaryPath) }
        guard check == written.hex else { throw .verificationFailed(expected: written.hex, found: check) }

        // Whole seconds: what the metadata's ISO 8601 dates keep.
        func second(_ date: Date) -> Date { Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down)) }
        let entry = ShareEntry(token: token, originalName: name, fileName: fileName, contentType: contentType, size: written.size,
                               sha256: written.hex, created: second(now), expires: second(expires), messageID: messageID, downloads: 0,
                               passwordHash: password.map { Self.hashPassword($0) })
        let folder = root + "/" + token
        do {
            try temporary.commit(replace: false)
            try Self.writeMetadata(entry, to: staging)
            AtomicFile.syncFolder(of: staging + "/" + fileName)
            if !pending { try publish(token: token) }
            committed = true
        } catch {
            throw Self.wrap(error, path: folder)
        }
        return entry
    }

    /// Where an entry is made before it is put in place: in `.incoming`, named for this process.
    func stagingPath(_ token: String) -> String {
        root + "/" + Self.incomingName + "/" + Leftovers.marker + token
    }

    /// Puts an entry made `pending` in place, whole, in one rename.
    public func publish(_ entry: ShareEntry) throws(ShareError) {
        do { try publish(token: entry.token) } catch { throw Self.wrap(error, path: root + "/" + entry.token) }
    }

    private func publish(token: String) throws {
        let staging = stagingPath(token)
        let folder = root + "/" + token
        try Leftovers.step { () throws(FileError) in
            guard rename(staging, folder) == 0 else { throw FileError(path: folder, errno: errno, operation: "move into the share") }
            Leftovers.unregister(staging)
        }
        AtomicFile.syncFolder(of: folder)
        AtomicFile.syncFolder(of: staging)
    }

    /// An unexpired entry holding the same bytes under the same name (`--dedupe`), if there is one.
    public func duplicate(sha256: String, size: Int64, fileName: String, now: Date = Date()) -> ShareEntry? {
        list().last { $0.sha256 == sha256 && $0.size == size && $0.fileName == fileName && !$0.isExpired(at: now) }
    }

    /// Removes an entry (a link that never left, because the message could not be written).
    /// Deletes an entry (its folder: file and metadata). Returns false when its folder is still there afterwards (no
    /// permission, a read-only share): its link still works.
    @discardableResult
    public func remove(_ entry: ShareEntry) -> Bool {
        guard Self.isToken(entry.token) else { return false }
        try? FileManager.default.removeItem(atPath: root + "/" + entry.token)
        try? FileManager.default.removeItem(atPath: stagingPath(entry.token))
        Leftovers.unregister(stagingPath(entry.token))
        AtomicFile.syncFolder(of: root + "/" + entry.token)
        var info = stat()
        return lstat(root + "/" + entry.token, &info) != 0 && errno == ENOENT
    }

    /// Adds one to an entry's download count. Callers serialize (the server does, per process).
    public func recordDownload(token: String) {
        guard var entry = entry(token: token) else { return }
        entry.downloads += 1
        try? Self.writeMetadata(entry, to: root + "/" + token)
    }

    /// A password to give the recipient separately: 16 letters and digits that cannot be mistaken for each
    /// other (about 79 random bits), in groups of four.
    public static func newPassword() -> String {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyz23456789")
        var generator = SystemRandomNumberGenerator()
        let characters = (0..<16).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
        return stride(from: 0, to: 16, by: 4).map { String(characters[$0..<$0 + 4]) }.joined(separator: "-")
    }

    /// A password as `newPassword` writes it, from however it was typed: full-width forms (a Chinese input
    /// method's) folded by NFKC, lowercase, spaces and dashes dropped, and sixteen characters grouped in fours
    /// again. Anything else is returned folded, trimmed and lowercased only.
    public static func canonicalPassword(_ typed: String) -> String {
        let folded = typed.precomposedStringWithCompatibilityMapping.lowercased()
        let characters = Array(folded.filter { !$0.isWhitespace && $0 != "-" && $0 != "\u{2010}" && $0 != "\u{2013}" && $0 != "\u{2212}" })
        guard characters.count == 16 else { return folded.trimmingCharacters(in: .whitespacesAndNewlines) }
        return stride(from: 0, to: 16, by: 4).map { String(characters[$0..<$0 + 4]) }.joined(separator: "-")
    }

    static func hashPassword(_ password: String) -> String {
        let salt = newToken()
        return "sha256:\(salt):\(passwordDigest(password, salt: salt))"
    }

    static func passwordDigest(_ password: String, salt: String) -> String {
        sha256Hex(Array((salt + ":" + password).utf8))
    }

    /// Every entry in the share, oldest first; folders without readable metadata are skipped.
    public func list() -> [ShareEntry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.filter { !$0.hasPrefix(".") }.compactMap { entry(token: $0) }
            .sorted { $0.created < $1.created }
    }

    /// Removes every entry expired at `now`, and what killed runs left in `.incoming` (at once when the process is
    /// gone, else after a day); returns the entries removed.
    @discardableResult
    public func prune(now: Date = Date(), dryRun: Bool = false) -> [ShareEntry] {
        let expired = list().filter { $0.isExpired(at: now) }
        guard !dryRun else { return expired }
        for entry in expired {
            try? FileManager.default.removeItem(atPath: root + "/" + entry.token)
        }
        let incoming = root + "/" + Self.incomingName
        Leftovers.sweep(folder: incoming)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: incoming)) ?? [] {
            let path = incoming + "/" + name
            if let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date,
               now.timeIntervalSince(modified) > 86_400 {
                try? FileManager.default.removeItem(atPath: path)
            }
        }
        return expired
    }

    /// The entry of a token, when its folder is a real folder (not a symbolic link out of the share) and its record
    /// names its own token and a safe file name: a record edited to say `../../etc/passwd` reaches nothing.
    public func entry(token: String) -> ShareEntry? {
        guard Self.isToken(token) else { return nil }
        var info = stat()
        guard lstat(root + "/" + token, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { return nil }
        guard let entry = try? Self.readMetadata(in: root + "/" + token), entry.token == token,
              SafeFilename.make(entry.fileName) == entry.fileName else { return nil }
        guard lstat(filePath(of: entry), &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        return entry
    }

    /// Path of the shared file of an entry.
    public func filePath(of entry: ShareEntry) -> String {
        root + "/" + entry.token + "/" + entry.fileName
    }

    /// Whether `text` can be a token: URL-safe base64 only, so it can never walk out of the share.
    public static func isToken(_ text: String) -> Bool {
        text.count >= 22 && text.count <= 64 && text.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
    }

    static func sha256(ofFile path: String) throws -> String {
        let source = try SourceFile(path: path)
        var hashing = SHA256Sink(DiscardingSink())
        var size = stat()
        guard stat(path, &size) == 0 else { throw FileError(path: path, errno: errno, operation: "stat") }
        try source.copy(ByteSpan(start: 0, end: Int64(size.st_size)), into: &hashing)
        return hashing.finish().hex
    }

    static func writeMetadata(_ entry: ShareEntry, to folder: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(entry)
        // It holds the password's hash: the owner's alone, whatever `access` is (web servers hide dotfiles anyway).
        let file = try AtomicFile(path: folder + "/" + metadataName, mode: 0o600)
        var sink = FileSink(descriptor: file.descriptor, path: file.temporaryPath)
        try sink.write(Array(data))
        try sink.flush()
        try file.commit(replace: true)
    }

    static func readMetadata(in folder: String) throws -> ShareEntry {
        guard let data = FileManager.default.contents(atPath: folder + "/" + metadataName) else {
            throw ShareError.unreadableMetadata(path: folder)
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do { return try decoder.decode(ShareEntry.self, from: data) } catch { throw ShareError.unreadableMetadata(path: folder) }
    }

    private static func wrap(_ error: any Error, path: String) -> ShareError {
        switch error {
        case let error as ShareError: error
        case let error as FileError: .write(error)
        default: .write(FileError(path: path, errno: EIO, operation: "\(error)"))
        }
    }
}
