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
