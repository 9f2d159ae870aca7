import Foundation
import Testing

/// `mailprep limits`: the table a user can read and a tool can parse.
@Suite("mailprep limits")
struct LimitsCommandTests {
    @Test("the table lists providers, figures and large-file services")
    func text() throws {
        let run = try Tool.run(["limits"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("Gmail (personal) [gmail]  gmail.com googlemail.com"))
        #expect(run.stdout.contains("large files: Mail Drop, 5.0 GB, 30 d"))
        let verbose = try Tool.run(["limits", "--verbose"])
        #expect(verbose.stdout.contains("https://postmaster.aol.com/faq"))
    }

    @Test("--json has every provider with its sources; --limits adds the user's entries")
    func json() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("ours.json")
        try Data(#"{"id": "corp", "name": "Corp", "kind": "provider", "domains": ["corp.example"], "receive": {"bytes": 5000000, "measuredOn": "encoded", "confirmed": true, "source": "https://intranet.example/mail"}}"#.utf8).write(to: file)
        let run = try Tool.run(["limits", "--json", "--limits", file.path])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let providers = try #require(object["providers"] as? [[String: Any]])
        #expect(providers.contains { $0["id"] as? String == "corp" })
        #expect(providers.contains { $0["id"] as? String == "icloud" })
        #expect(object["marginBytes"] as? Int == 10_000)
    }

    @Test("a broken --limits file is a usage error naming the file and the problem")
    func brokenFile() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("broken.json")
        try Data("{".utf8).write(to: file)
        let run = try Tool.run(["limits", "--limits", file.path])
        #expect(run.status == 64)
        #expect(run.stderr.contains("broken.json"))
    }

    @Test("--version names the libarchive and zlib it was built with")
    func version() throws {
        let run = try Tool.run(["--version"])
        #expect(run.stdout.contains("libarchive 3."))
        #expect(run.stdout.contains("zlib 1."))
    }
}
