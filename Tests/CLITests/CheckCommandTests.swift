import Foundation
import Testing

/// `mailprep check` run as a binary: what a user sees, what a script gets, and the exit status.
@Suite("mailprep check")
struct CheckCommandTests {
    @Test("a message that fits: report on stdout, nothing on stderr, status 0")
    func fits() throws {
        let run = try Tool.run(["check", Tool.sample("apple-mail-alternative-related-attachment.eml")])
        #expect(run.status == 0)
        #expect(run.stderr.isEmpty)
        #expect(run.stdout.contains("floorplan.png"))
        #expect(run.stdout.contains("47,288 bytes"))
        #expect(run.stdout.contains("✓ fits"))
        #expect(run.stdout.contains("sender mei.chan@icloud.com: iCloud Mail sending limit"))
        #expect(!run.stdout.contains("\u{1B}["), "no colour when stdout is not a terminal")
    }

    @Test("over the limit: status 1 and by how much")
    func over() throws {
        let run = try Tool.run(["check", "--limit", "40kB", "--margin", "0", Tool.sample("apple-mail-alternative-related-attachment.eml")])
        #expect(run.status == 1)
        #expect(run.stdout.contains("OVER the limit by 7.3 kB (7,288 bytes)"))
    }

    @Test("over, from iCloud: Mail Drop's 5 GB for 30 days beside what fix does, in both languages and in the JSON; none when it fits or the provider has none")
    func largeFileAdvice() throws {
        let sample = Tool.sample("apple-mail-alternative-related-attachment.eml")
        let english = try Tool.run(["check", "--limit", "40kB", sample])
        #expect(english.stdout.contains("\n    → iCloud Mail's own answer for big files: Mail Drop (files up to 5.0 GB, kept 30 days); or let mailprep fix"))
        let chinese = try Tool.run(["check", "--lang", "zh-Hant", "--limit", "40kB", sample])
        #expect(chinese.stdout.contains("→ iCloud Mail 本身處理大型檔案的方法：Mail Drop（檔案最大 5.0 GB，保留 30 天）"))
        let json = try Tool.run(["check", "--json", "--limit", "40kB", sample])
        try Schema.validate(json.stdout)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let advice = try #require(object["largeFileService"] as? [String: Any])
        #expect(advice["provider"] as? String == "icloud" && advice["name"] as? String == "Mail Drop")
        #expect(advice["maxFileBytes"] as? Int == 5_000_000_000 && advice["expiresAfterDays"] as? Int == 30)
        #expect(!(try Tool.run(["check", sample]).stdout.contains("→")), "it fits: no advice")
        let unknown = try Tool.run(["check", "--json", "--limit", "1kB", Tool.sample("chinese-big5-rfc2231.eml")])
        #expect(unknown.stdout.contains("\"largeFileService\":null"), "a sender's domain with no such service")
    }

    @Test("--json gives one object with exact sizes, valid against the schema")
    func json() throws {
        let run = try Tool.run(["check", "--json", Tool.sample("chinese-big5-rfc2231.eml")])
        #expect(run.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(object["wireBytes"] as? Int == 11884)
        let parts = try #require(object["parts"] as? [[String: Any]])
        #expect(parts.map { $0["filename"] as? String } == [nil, "財務報表.xls"])
        #expect(object["subject"] as? String == "季度報告（香港辦事處）")
        let limit = try #require(object["limit"] as? [String: Any])
        #expect(limit["kind"] as? String == "unknown-domain-default")
        try Schema.validate(run.stdout)
    }

    @Test("a folder: one JSON line per message, every one valid, bad files reported and the rest still checked")
    func folderJSONLines() throws {
        let run = try Tool.run(["check", "--json", Tool.root.appendingPathComponent("Samples").path])
        let lines = run.stdout.split(separator: "\n")
        let sampleCount = try FileManager.default.contentsOfDirectory(atPath: Tool.root.appendingPathComponent("Samples").path)
            .filter { $0.hasSuffix(".eml") }.count
        #expect(lines.count == sampleCount)
        #expect(run.status == 65, "empty.eml and binary-junk.eml are not messages")
        #expect(run.stderr.split(separator: "\n").count == 2)
        #expect(run.stderr.contains("binary-junk.eml: not a message"))
        try Schema.validate(run.stdout)
    }

    @Test("a folder as text: one line per message and a summary with the largest")
    func folderText() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let maildir = folder.appendingPathComponent("Drafts/cur")
        try FileManager.default.createDirectory(at: maildir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Tool.sample("gmail-draft.eml"), toPath: maildir.appendingPathComponent("1700000000.M1P1.host:2,D").path)
        try FileManager.default.copyItem(atPath: Tool.sample("outlook-mixed-alternative.eml"), toPath: folder.appendingPathComponent("q3.eml").path)
        try Data("not mail".utf8).write(to: folder.appendingPathComponent("notes.txt"))
        let run = try Tool.run(["check", folder.path])
        #expect(run.status == 0)
        #expect(run.stdout.contains("2 messages: 2 fit, 0 over the limit"))
        #expect(run.stdout.contains("1700000000.M1P1.host:2,D"))
        #expect(!run.stdout.contains("notes.txt"))
    }

    @Test("standard input measures the same as the file")
    func standardInput() throws {
        let path = Tool.sample("lf-only-line-endings.eml")
        let fromFile = try Tool.run(["check", "--json", path])
        let fromStdin = try Tool.run(["check", "--json", "-"], stdin: try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(fromStdin.status == 0)
        #expect(fromFile.stdout.replacingOccurrences(of: path, with: "-") == fromStdin.stdout)
    }

    @Test("Traditional Chinese by --lang or by the locale")
    func chinese() throws {
        let byFlag = try Tool.run(["check", "--lang", "zh-Hant", Tool.sample("chinese-utf8-rfc2231-continuations.eml")])
        #expect(byFlag.stdout.contains("可以寄出"))
        #expect(byFlag.stdout.contains("二零二六年第三季業務檢討會議簡報（最終版）.pdf"))
        let byLocale = try Tool.run(["check", Tool.sample("gmail-draft.eml")], environment: ["LANG": "zh_HK.UTF-8"])
        #expect(byLocale.stdout.contains("收件人 family@icloud.com"))
        let json = try Tool.run(["check", "--json", Tool.sample("gmail-draft.eml")], environment: ["LANG": "zh_HK.UTF-8"])
        #expect(json.stdout.contains("\"reason\":\"recipient family@icloud.com"), "JSON stays language-neutral")
    }

    @Test("missing input: one line on stderr, nothing on stdout, status 66")
    func missing() throws {
        let run = try Tool.run(["check", "no/such/draft.eml"])
        #expect(run.status == 66)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr == "mailprep: no/such/draft.eml: no such file\n")
    }

    @Test("a folder with no messages is an input error, status 66")
    func emptyFolder() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try Tool.run(["check", folder.path])
        #expect(run.status == 66)
        #expect(run.stderr.contains("no messages here (looked for .eml, .emlx, mbox, MH, and Maildir cur/ and new/)"))
        #expect(run.stderr.split(separator: "\n").count == 1)
    }

    @Test("empty file and binary junk are not messages, status 65")
    func notMessages() throws {
        for name in ["empty.eml", "binary-junk.eml"] {
            let run = try Tool.run(["check", Tool.sample(name)])
            #expect(run.status == 65, "\(name)")
            #expect(run.stdout.isEmpty)
            #expect(run.stderr.hasPrefix("mailprep: ") && run.stderr.split(separator: "\n").count == 1)
        }
    }

    @Test("an unreadable file: status 66, and the others in the folder are still checked")
    func unreadable() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let locked = folder.appendingPathComponent("locked.eml")
        try FileManager.default.copyItem(atPath: Tool.sample("gmail-draft.eml"), toPath: locked.path)
        try FileManager.default.copyItem(atPath: Tool.sample("gmail-draft.eml"), toPath: folder.appendingPathComponent("open.eml").path)
        try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: locked.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: folder.path)
        // root reads anything: run as nobody then.
        let prefix = geteuid() == 0 ? ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : []
        let binaryCopy = folder.appendingPathComponent("mailprep")
        try FileManager.default.copyItem(at: Tool.binary, to: binaryCopy)
        let run = try Tool.run(["check", "--json", folder.path], executable: binaryCopy, prefix: prefix)
        #expect(run.status == 66)
        #expect(run.stderr.contains("locked.eml: permission denied"))
        #expect(run.stdout.contains("\"file\":\"\(folder.path)/open.eml\",\"wireBytes\":42051"))
    }

    @Test("usage errors: status 64 with the reason")
    func usage() throws {
        let badSize = try Tool.run(["check", "--limit", "lots", Tool.sample("gmail-draft.eml")])
        #expect(badSize.status == 64)
        #expect(badSize.stderr.contains("--limit lots: not a size"))
        let badProvider = try Tool.run(["check", "--provider", "nope", Tool.sample("gmail-draft.eml")])
        #expect(badProvider.status == 64)
        #expect(badProvider.stderr.contains("--provider nope: unknown"))
        let badLang = try Tool.run(["check", "--lang", "fr", Tool.sample("gmail-draft.eml")])
        #expect(badLang.status == 64)
    }

    @Test("malformed messages are measured as far as they go, with their defects and offsets")
    func malformed() throws {
        let run = try Tool.run(["check", "--json", Tool.sample("malformed-unclosed-truncated-base64.eml")])
        #expect(run.status == 0)
        #expect(run.stdout.contains("\"code\":\"missing-close-delimiter\""))
        #expect(run.stdout.contains("\"code\":\"truncated-base64\""))
        let text = try Tool.run(["check", Tool.sample("malformed-unclosed-truncated-base64.eml")])
        #expect(text.stdout.contains("warning at byte 2,400: multipart \"never-closed\" never closes"))
    }

    @Test("a 10 MB header line and 10,000 nested multiparts: measured, bounded, with defects")
    func hostileInput() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var header = Data("From: a@gmail.com\r\nX-Long: ".utf8)
        header.append(Data(repeating: UInt8(ascii: "x"), count: 10_000_000))
        header.append(Data("\r\n\r\nbody\r\n".utf8))
        try header.write(to: folder.appendingPathComponent("long-header.eml"))
        var nested = "From: a@gmail.com\n"
        for level in 0..<10_000 { nested += "Content-Type: multipart/mixed; boundary=\"b\(level)\"\n\n--b\(level)\n" }
        try Data(nested.utf8).write(to: folder.appendingPathComponent("nested.eml"))
        let run = try Tool.run(["check", "--json", folder.path])
        #expect(run.stdout.contains("\"code\":\"header-too-large\""))
        #expect(run.stdout.contains("\"code\":\"nesting-too-deep\""))
        #expect(run.stdout.contains("\"wireBytes\":\(header.count)"))
        try Schema.validate(run.stdout)
    }
}

/// JSON output checked against schema/check-result.schema.json by an independent validator (Python's jsonschema).
enum Schema {
    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    static func validate(_ jsonLines: String, schema: String = "check-result.schema.json") throws {
        // python3 as the user's PATH finds it: where scripts/setup installed jsonschema.
        let run = try Tool.exec(["/usr/bin/env", "python3", Tool.root.appendingPathComponent("scripts/validate-json.py").path,
                                 Tool.root.appendingPathComponent("schema/\(schema)").path],
                                stdin: Data(jsonLines.utf8), environment: ProcessInfo.processInfo.environment)
        if run.status != 0 { throw Invalid(description: "schema validation failed: \(run.stdout)\(run.stderr)") }
    }
}

extension CheckCommandTests {
    @Test("a Subject and file names with terminal escapes are shown escaped, never sent to the terminal as they are")
    func terminalEscapes() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("escapes.eml")
        // ESC [2J clears the screen; ESC ]0; sets the window title; U+202E reverses what follows.
        let text = "From: a@example.org\r\nSubject: =?UTF-8?B?" + Data("Hi\u{1B}[2J\u{1B}]0;pwned\u{07}".utf8).base64EncodedString() + "?=\r\n"
            + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nHi\r\n"
            + "--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename*=UTF-8''a%1B%5B31mred%E2%80%AEfdp.exe\r\n\r\nx\r\n--b--\r\n"
        try Data(text.utf8).write(to: input)
        let run = try Tool.run(["check", input.path])
        #expect(!run.stdout.contains("\u{1B}[2J") && !run.stdout.contains("\u{1B}]0;") && !run.stdout.contains("\u{202E}"))
        #expect(run.stdout.contains("Hi\\e[2J\\e]0;pwned\\u{7}"))
        #expect(run.stdout.contains("a\\e[31mred\\u{202E}fdp.exe"))
    }
}
