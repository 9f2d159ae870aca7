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
        #expect(run.stdout.contains("large files: Mail Drop, 5.0 GB, 30 days"))
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

    @Test("a broken --limits file is one line naming the file and the problem, exit 78 (configuration), for every command")
    func brokenFile() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("broken.json")
        try Data("{".utf8).write(to: file)
        for command in [["limits"], ["check", Tool.sample("apple-mail-alternative-related-attachment.eml")]] {
            let run = try Tool.run(command + ["--limits", file.path])
            #expect(run.status == 78)
            #expect(run.stderr.hasPrefix("mailprep: --limits \(file.path): not valid JSON"))
            #expect(run.stderr.split(separator: "\n").count == 1, "no usage text: \(run.stderr)")
        }
        let missing = try Tool.run(["limits", "--limits", folder.appendingPathComponent("nope.json").path])
        #expect(missing.status == 78 && missing.stderr.contains("nope.json: no such file"))
    }

    @Test("limits --provider shows that entry only; in Traditional Chinese the measures and days are Chinese too")
    func oneProvider() throws {
        let run = try Tool.run(["limits", "--provider", "icloud", "--lang", "zh-Hant"])
        #expect(run.status == 0)
        #expect(run.stdout.hasPrefix("iCloud Mail [icloud]  icloud.com me.com mac.com\n"))
        #expect(run.stdout.contains("寄件 20.0 MB 編碼後 · 收件 20.0 MB 編碼後"))
        #expect(run.stdout.contains("Mail Drop, 5.0 GB, 30 天"))
        #expect(!run.stdout.contains("gmail") && !run.stdout.contains("encoded") && !run.stdout.contains(" d\n"))
        let json = try Tool.run(["limits", "--provider", "qq", "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((object["providers"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["qq"])
        let unknown = try Tool.run(["limits", "--provider", "nope"])
        #expect(unknown.status == 64 && unknown.stderr.contains("--provider nope: unknown"))
        let margin = try Tool.run(["limits", "--provider", "icloud", "--margin", "2kB", "--json"])
        #expect(margin.status == 0 && margin.stdout.contains("\"marginBytes\":2000"))
        let help = try Tool.run(["limits", "--help"])
        #expect(help.stdout.contains("Show only this provider's entry"))
    }

    @Test("the configuration file's limits (a folder of entries) and accounts (a custom domain at iCloud) apply to check and show in limits")
    func configuredLimitsAndAccounts() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let entries = folder.appendingPathComponent("limits")
        try FileManager.default.createDirectory(at: entries, withIntermediateDirectories: true)
        try Data(#"{"id": "corp", "name": "Corp Mail", "kind": "provider", "domains": ["corp.example"], "receive": {"bytes": 3000, "measuredOn": "encoded", "confirmed": true, "source": "https://intranet.example/mail"}}"#.utf8)
            .write(to: entries.appendingPathComponent("corp.json"))
        let config = folder.appendingPathComponent("config.yaml")
        try "limits: limits\naccounts:\n  Chan@Example.HK: icloud\n".write(to: config, atomically: true, encoding: .utf8)
        let message = folder.appendingPathComponent("m.eml")
        try "From: chan@example.hk\r\nTo: wong@corp.example\r\nSubject: hi\r\n\r\nhello\r\n".write(to: message, atomically: true, encoding: .utf8)
        let run = try Tool.run(["check", "--config", config.path, "--margin", "0", message.path])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("sender chan@example.hk: iCloud Mail sending limit"))
        #expect(run.stdout.contains("recipient wong@corp.example: Corp Mail receiving limit"))
        let limits = try Tool.run(["limits", "--config", config.path])
        #expect(limits.stdout.contains("Corp Mail [corp]  corp.example") && limits.stdout.contains("chan@example.hk → iCloud Mail [icloud]"))
        try "accounts:\n  chan@example.hk: icloudd\n".write(to: config, atomically: true, encoding: .utf8)
        let typo = try Tool.run(["check", "--config", config.path, message.path])
        #expect(typo.status == 78 && typo.stderr.contains("accounts: chan@example.hk: unknown provider icloudd"))
    }

    @Test("a size flag given a negative number says it is not a size (not that the value is missing)")
    func negativeSize() throws {
        let run = try Tool.run(["check", "--limit", "-5", Tool.sample("apple-mail-alternative-related-attachment.eml")])
        #expect(run.status == 64 && run.stderr.contains("--limit -5: not a size"))
    }

    @Test("--version names the libarchive and zlib it was built with")
    func version() throws {
        let run = try Tool.run(["--version"])
        #expect(run.stdout.contains("libarchive 3."))
        #expect(run.stdout.contains("zlib 1."))
    }
}
