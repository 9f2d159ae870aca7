import Foundation
import Testing
import MIME
@testable import MailPrepCore

/// The file share: durable and verified before a link can exist, safe names, listing and pruning.
@Suite("File share")
struct ShareStoreTests {
    static func temporaryShare() throws -> ShareStore {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("share-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return ShareStore(root: folder.path)
    }

    @Test("a shared file lands at token/name with its metadata, and its SHA-256 is the file's")
    func put() throws {
        let share = try Self.temporaryShare()
        defer { try? FileManager.default.removeItem(atPath: share.root) }
        let content = Array("季度報告 quarterly report\n".utf8)
        let entry = try share.put(name: "報告.txt", contentType: "text/plain", expires: Date().addingTimeInterval(86_400),
                                  messageID: "<m@x>") { sink in try sink.write(content) }
        #expect(ShareStore.isToken(entry.token) && entry.token.count == 22)
        #expect(try Data(contentsOf: URL(fileURLWithPath: share.filePath(of: entry))) == Data(content))
        #expect(entry.size == Int64(content.count))
        // Known digest of the same bytes (Python: hashlib.sha256("季度報告 quarterly report\n".encode()).hexdigest()).
        let python = try Self.python("import hashlib,sys; print(hashlib.sha256('季度報告 quarterly report\\n'.encode()).hexdigest())")
        #expect(entry.sha256 == python)
        #expect(share.entry(token: entry.token) == entry)
        #expect(share.list() == [entry])
        #expect(try FileManager.default.contentsOfDirectory(atPath: share.root + "/.incoming").isEmpty)
    }

    @Test("a write that fails halfway leaves nothing visible")
    func failedWrite() throws {
        struct Interrupted: Error {}
        let share = try Self.temporaryShare()
        defer { try? FileManager.default.removeItem(atPath: share.root) }
        #expect(throws: ShareError.self) {
            _ = try share.put(name: "big.bin", contentType: "application/octet-stream", expires: Date(), messageID: nil) { sink in
                try sink.write([UInt8](repeating: 7, count: 3 << 20))
                throw Interrupted()
            }
        }
        #expect(share.list().isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: share.root) == [".incoming"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: share.root + "/.incoming").isEmpty)
    }

    @Test("prune removes what expired and keeps the rest")
    func prune() throws {
        let share = try Self.temporaryShare()
        defer { try? FileManager.default.removeItem(atPath: share.root) }
        let now = Date()
        let old = try share.put(name: "old.pdf", contentType: "application/pdf", expires: now.addingTimeInterval(-1), messageID: nil) { try $0.write([1]) }
        let fresh = try share.put(name: "new.pdf", contentType: "application/pdf", expires: now.addingTimeInterval(3600), messageID: nil) { try $0.write([2]) }
        #expect(share.prune(now: now, dryRun: true).map(\.token) == [old.token])
        #expect(share.list().count == 2)
        #expect(share.prune(now: now).map(\.token) == [old.token])
        #expect(share.list().map(\.token) == [fresh.token])
        #expect(!FileManager.default.fileExists(atPath: share.root + "/" + old.token))
    }

    @Test("names from messages are never paths, hidden, or misleading", arguments: [
        ("../../.ssh/authorized_keys", "authorized_keys"),
        ("C:\\Windows\\evil.exe", "evil.exe"),
        ("/etc/passwd", "passwd"),
        ("invoice\u{202E}fdp.exe", "invoicefdp.exe"),
        ("a\u{0}b\u{7}c.txt", "abc.txt"),
        (".bashrc", "bashrc"),
        ("..", "attachment"),
        ("", "attachment"),
        ("報告 2026.pdf", "報告 2026.pdf"),
        ("..\\..\\win.txt", "win.txt"),
        ("invoice\r\nhttps://evil.example/phish/invoice.pdf", "invoice.pdf"),
        ("notes\r\n- evil.pdf: https\u{FF1A}\u{FF0F}\u{FF0F}evil.example.pdf", "notes- evil.pdf_ https\u{FF1A}\u{FF0F}\u{FF0F}evil.example.pdf"),
        ("report:2026?.csv", "report_2026_.csv"),
        ("CON.txt", "_CON.txt"),
        ("nul", "_nul"),
        ("lpt9.log", "_lpt9.log"),
        ("CONTRACT.pdf", "CONTRACT.pdf"),
        ("e" + String(repeating: "\u{0301}", count: 150), "e\u{0301}\u{0301}\u{0301}\u{0301}"),
        ("x" + String(repeating: "\u{0301}", count: 300) + ".pdf", "x\u{0301}\u{0301}\u{0301}\u{0301}.pdf"),
        ("\u{0301}\u{0301}.pdf", "pdf"),
        ("Vi\u{1EC7}t Nam.txt", "Vi\u{1EC7}t Nam.txt"),
    ])
    func safeNames(name: String, expected: String) {
        #expect(SafeFilename.make(name) == expected)
    }

    @Test("an overlong name is cut at a character boundary and keeps its extension")
    func longName() {
        let name = String(repeating: "檢", count: 200) + ".pdf"
        let safe = SafeFilename.make(name)
        #expect(safe.utf8.count <= SafeFilename.maximumBytes && safe.hasSuffix("檢.pdf"))
    }

    @Test("tokens are unguessable and nothing else passes as one")
    func tokens() {
        let tokens = Set((0..<1000).map { _ in ShareStore.newToken() })
        #expect(tokens.count == 1000)
        #expect(!ShareStore.isToken("../../etc"))
        #expect(!ShareStore.isToken(".incoming"))
        #expect(!ShareStore.isToken("short"))
    }

    static func python(_ script: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

extension ShareStoreTests {
    static func mode(_ path: String) -> mode_t {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_mode & 0o777 : 0
    }

    @Test("shared files are the owner's alone, even in a share folder others can list; group access only when asked for",
          arguments: [(ShareStore.Access.owner, mode_t(0o700), mode_t(0o600)), (.group, 0o750, 0o640)])
    func permissions(access: ShareStore.Access, folderMode: mode_t, fileMode: mode_t) throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("perm-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(atPath: root) }
        let share = ShareStore(root: root, access: access)
        let entry = try share.put(name: "私人.pdf", contentType: "application/pdf", expires: Date().addingTimeInterval(60), messageID: nil,
                                  password: "a-b") { try $0.write([1, 2, 3]) }
        #expect(Self.mode(root + "/" + entry.token) == folderMode)
        #expect(Self.mode(share.filePath(of: entry)) == fileMode)
        #expect(Self.mode(root + "/" + entry.token + "/" + ShareStore.metadataName) == 0o600, "it holds the password's hash")
    }
}

extension ShareStoreTests {
    @Test("a record edited to name another file, a file replaced by a symbolic link, a token folder that is one: nothing is served")
    func tamperedEntries() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tamper-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let share = ShareStore(root: root)
        let put = { (name: String) throws -> ShareEntry in
            try share.put(name: name, contentType: "text/plain", expires: Date().addingTimeInterval(600), messageID: nil) { try $0.write([1]) }
        }
        let edited = try put("a.txt")
        var record = edited
        record.fileName = "../../../../../etc/hostname"
        try ShareStore.writeMetadata(record, to: root + "/" + edited.token)
        #expect(share.entry(token: edited.token) == nil)

        let linked = try put("b.txt")
        try FileManager.default.removeItem(atPath: share.filePath(of: linked))
        try FileManager.default.createSymbolicLink(atPath: share.filePath(of: linked), withDestinationPath: "/etc/hostname")
        #expect(share.entry(token: linked.token) == nil)

        let outside = try put("c.txt")
        let elsewhere = root + "-elsewhere"
        defer { try? FileManager.default.removeItem(atPath: elsewhere) }
        try FileManager.default.moveItem(atPath: root + "/" + outside.token, toPath: elsewhere)
        try FileManager.default.createSymbolicLink(atPath: root + "/" + outside.token, withDestinationPath: elsewhere)
        #expect(share.entry(token: outside.token) == nil)

        let fine = try put("d.txt")
        #expect(share.entry(token: fine.token)?.fileName == "d.txt")
        #expect(share.list().map(\.token) == [fine.token])
    }
}
