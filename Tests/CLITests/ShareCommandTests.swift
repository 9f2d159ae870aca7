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
        #expect(list.stdout.contains("2 shared, 4 B in \(folder.path)"))
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
}
