import Foundation
import Testing
import MailPrepCore

/// `mailprep share list` and `prune` over a share filled through the library.
@Suite("mailprep share")
struct ShareCommandTests {
    @Test("list shows what is shared; prune deletes only what expired")
    func listAndPrune() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = ShareStore(root: folder.path)
        let expired = try store.put(name: "舊報告.pdf", contentType: "application/pdf", expires: Date().addingTimeInterval(-60), messageID: "<a@x>") { try $0.write([1, 2, 3]) }
        let current = try store.put(name: "new.csv", contentType: "text/csv", expires: Date().addingTimeInterval(3600), messageID: nil) { try $0.write([4]) }

        let list = try Tool.run(["share", "list", "--share", folder.path])
        #expect(list.status == 0)
        #expect(list.stdout.contains("\(expired.token)  3 B  expired  0 downloads  舊報告.pdf  <a@x>"))
        #expect(list.stdout.contains("2 shared (4 B) in \(folder.path)"))
        let json = try Tool.run(["share", "list", "--json", "--share", folder.path])
        let objects = try json.stdout.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.compactMap { $0?["sha256"] as? String }.count == 2)
        #expect(objects.compactMap { $0?["protected"] as? Bool } == [false, false])

        let locked = try store.put(name: "secret.pdf", contentType: "application/pdf", expires: Date().addingTimeInterval(3600), messageID: nil,
                                   password: "abcd-efgh-jkmn-pqrs") { try $0.write([5]) }
        let listed = try Tool.run(["share", "list", "--json", "--share", folder.path])
        #expect(listed.stdout.contains("\"token\":\"\(locked.token)\"") && listed.stdout.contains("\"protected\":true"))
        #expect(!listed.stdout.contains("sha256:"), "no password hash in the listing")
        #expect(try Tool.run(["share", "list", "--share", folder.path]).stdout.contains("password  secret.pdf"))
        store.remove(locked)

        let dry = try Tool.run(["share", "prune", "--dry-run", "--share", folder.path])
        #expect(dry.stdout.contains("would delete \(expired.token)"))
        #expect(store.list().count == 2)
        let prune = try Tool.run(["share", "prune", "--share", folder.path])
        #expect(prune.stdout.contains("1 expired deleted"))
        #expect(store.list().map(\.token) == [current.token])
    }

    @Test("list gives each file's address from the share URL, says 1 download, and speaks Traditional Chinese")
    func listAddresses() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = ShareStore(root: folder.path)
        let entry = try store.put(name: "維港 夜景.jpg", contentType: "image/jpeg", expires: Date().addingTimeInterval(3600), messageID: "<m@x>") { try $0.write([1]) }
        store.recordDownload(token: entry.token)
        let address = "https://files.example.org/m/\(entry.token)/%E7%B6%AD%E6%B8%AF%20%E5%A4%9C%E6%99%AF.jpg"
        let list = try Tool.run(["share", "list", "--share", folder.path, "--share-url", "https://files.example.org/m"])
        #expect(list.stdout.contains("  1 download  維港 夜景.jpg  <m@x>\n    \(address)\n"))
        let json = try Tool.run(["share", "list", "--json", "--share", folder.path, "--share-url", "https://files.example.org/m/"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["url"] as? String == address)
        let bare = try Tool.run(["share", "list", "--json", "--share", folder.path])
        #expect(bare.stdout.contains("\"url\":null"), "no share URL configured: no address")
        let chinese = try Tool.run(["share", "list", "--lang", "zh-Hant", "--share", folder.path])
        #expect(chinese.stdout.contains("有效至 ") && chinese.stdout.contains("下載 1 次") && chinese.stdout.contains("共 1 個分享檔案"))
    }

    @Test("remove deletes by token or by message (Message-ID with or without brackets); an unknown token is exit 66, the rest still go")
    func remove() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = ShareStore(root: folder.path)
        func put(_ name: String, _ id: String?) throws -> ShareEntry {
            try store.put(name: name, contentType: "application/pdf", expires: Date().addingTimeInterval(3600), messageID: id) { try $0.write([1]) }
        }
        let first = try put("a.pdf", "<one@x>"), second = try put("b.pdf", "<one@x>"), other = try put("c.pdf", "<two@x>"), loose = try put("d.pdf", nil)
        let dry = try Tool.run(["share", "remove", "--dry-run", "--message-id", "one@x", "--share", folder.path])
        #expect(dry.status == 0 && dry.stdout.contains("would remove \(first.token)") && dry.stdout.contains("2 would be removed (nothing removed)"))
        #expect(store.list().count == 4)
        let byMessage = try Tool.run(["share", "remove", "--message-id", "<one@x>", "--share", folder.path])
        #expect(byMessage.status == 0 && byMessage.stdout.contains("2 removed"))
        #expect(store.list().map(\.token).sorted() == [other.token, loose.token].sorted())
        #expect(store.entry(token: first.token) == nil && store.entry(token: second.token) == nil)
        let mixed = try Tool.run(["share", "remove", "AAAAAAAAAAAAAAAAAAAAAA", loose.token, "--share", folder.path])
        #expect(mixed.status == 66 && mixed.stderr.contains("AAAAAAAAAAAAAAAAAAAAAA: nothing is shared under this token"))
        #expect(store.list().map(\.token) == [other.token], "the known token was removed all the same")
        let nothing = try Tool.run(["share", "remove", "--share", folder.path])
        #expect(nothing.status == 64)
    }

    @Test("remove from a share it may read but not change: says the link still works, exit 73, and does not claim it removed anything")
    func removeRefused() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let share = folder.appendingPathComponent("share")
        let store = ShareStore(root: share.path, access: .group)
        let entry = try store.put(name: "a.pdf", contentType: "application/pdf", expires: Date().addingTimeInterval(3600), messageID: nil) { try $0.write([1]) }
        // Readable by anyone, writable by its owner only; root deletes anything, so the command runs as nobody.
        _ = try Tool.exec(["/bin/chmod", "-R", "a+rX,go-w", folder.path], environment: [:])
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: share.appendingPathComponent(entry.token).appendingPathComponent(".mailprep-share.json").path)
        let binary = folder.appendingPathComponent("mailprep")
        try FileManager.default.copyItem(at: Tool.binary, to: binary)
        let prefix = geteuid() == 0 ? ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : []
        if prefix.isEmpty { try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: share.appendingPathComponent(entry.token).path) }
        let run = try Tool.run(["share", "remove", entry.token, "--share", share.path], environment: ["HOME": folder.path], executable: binary, prefix: prefix)
        #expect(run.status == 73, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("\(entry.token): could not be deleted from \(share.path) (permissions?); its link still works"))
        #expect(run.stdout.contains("0 removed") && !run.stdout.contains("removed \(entry.token)"))
        #expect(store.entry(token: entry.token) != nil)
        if prefix.isEmpty { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: share.appendingPathComponent(entry.token).path) }
    }
}
