import Foundation
import Testing

/// `mailprep fix` run as a binary: files written or not, reports, exit statuses, and readers of the result.
@Suite("mailprep fix")
struct FixCommandTests {
    /// A scratch folder holding a copy of a sample.
    static func scratch(_ sample: String) throws -> (folder: URL, input: String) {
        let folder = try Tool.temporaryFolder()
        let input = folder.appendingPathComponent(sample).path
        try FileManager.default.copyItem(atPath: Tool.sample(sample), toPath: input)
        return (folder, input)
    }

    @Test("writes DRAFT.fixed.eml beside the input, reports what it did, status 0 when it fits")
    func fixes() throws {
        let (folder, input) = try Self.scratch("chinese-compressible-attachments.eml")
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try Tool.run(["fix", "--limit", "80kB", input])
        #expect(run.status == 0)
        #expect(run.stderr.isEmpty)
        #expect(run.stdout.contains("客戶名單.csv"))
        #expect(run.stdout.contains("compress zip -1"))
        #expect(run.stdout.contains("keep (already compressed: .jpg)"), "named by the file's extension, short enough for its column")
        #expect(run.stdout.contains("✓ fits"))
        let output = folder.appendingPathComponent("chinese-compressible-attachments.fixed.eml").path
        let check = try Tool.run(["check", "--json", "--limit", "80kB", output])
        #expect(check.status == 0)
        #expect(check.stdout.contains("\"filename\":\"客戶名單.csv.zip\""))
    }

    @Test("why a part is kept: words in the report's language, a stable code in JSON")
    func keepReasons() throws {
        let (folder, input) = try Self.scratch("chinese-compressible-attachments.eml")
        defer { try? FileManager.default.removeItem(at: folder) }
        let chinese = try Tool.run(["fix", "--plan", "--lang", "zh-Hant", "--limit", "80kB", input])
        #expect(chinese.stdout.contains("保留（已是壓縮格式：.jpg）"))
        #expect(!chinese.stdout.contains("already compressed"))
        let json = try Tool.run(["fix", "--plan", "--json", "--lang", "zh-Hant", "--limit", "80kB", input])
        #expect(json.stdout.contains("\"reason\":\"already-compressed\",\"reasonText\":\"already compressed: .jpg\""))
        try Schema.validate(json.stdout, schema: "fix-result.schema.json")
    }

    @Test("--json: predicted equals written, valid against the schema")
    func json() throws {
        let (folder, input) = try Self.scratch("outlook-mixed-alternative.eml")
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try Tool.run(["fix", "--json", "--limit", "36kB", "-o", folder.appendingPathComponent("out.eml").path, input])
        #expect(run.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(object["predictedWireBytes"] as? Int == object["wireBytes"] as? Int)
        let size = try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("out.eml").path)[.size] as? Int
        #expect(object["writtenBytes"] as? Int == size)
        let actions = try #require(object["actions"] as? [[String: Any]])
        #expect(actions.map { $0["action"] as? String } == ["keep", "compress"])
        try Schema.validate(run.stdout, schema: "fix-result.schema.json")
    }

    @Test("--json gives an object for every run: a missing file is {file, error} on stdout, exit 66")
    func jsonErrors() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = folder.appendingPathComponent("missing.eml").path
        let run = try Tool.run(["fix", "--json", "--limit", "36kB", missing])
        #expect(run.status == 66)
        #expect(run.stderr.contains("missing.eml"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(object["file"] as? String == missing)
        #expect((object["error"] as? [String: Any])?["code"] as? String == "not-found")
        try Schema.validate(run.stdout, schema: "fix-result.schema.json")
        // A filter's standard output is the message: there the object goes to standard error.
        let filter = try Tool.run(["fix", "--json", "--limit", "36kB", "-o", "-", missing])
        #expect(filter.status == 66 && filter.stdout.isEmpty && filter.stderr.contains("\"code\":\"not-found\""))
        // Not a message problem: the output exists. Still one object, with its own code.
        let input = folder.appendingPathComponent("draft.eml").path
        try FileManager.default.copyItem(atPath: Tool.sample("outlook-mixed-alternative.eml"), toPath: input)
        let output = folder.appendingPathComponent("out.eml").path
        try Data("x".utf8).write(to: URL(fileURLWithPath: output))
        let exists = try Tool.run(["fix", "--json", "--lang", "zh-Hant", "--limit", "36kB", "-o", output, input])
        #expect(exists.status == 73)
        let second = try #require(try JSONSerialization.jsonObject(with: Data(exists.stdout.utf8)) as? [String: Any])
        #expect((second["error"] as? [String: Any])?["code"] as? String == "output-exists")
        try Schema.validate(exists.stdout, schema: "fix-result.schema.json")
    }

    @Test("a long patch with no attachments: nothing can make it fit, so nothing is written, exit 1, and it says why")
    func nothingToChange() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("patch.eml").path
        let lines = (1...1_500).map { "+    let value\($0) = compute(\($0)) // a line of a long patch" }.joined(separator: "\n")
        try Data("From: a@example.org\nTo: b@example.org\nSubject: [PATCH] rewrite\n\n\(lines)\n".utf8)
            .write(to: URL(fileURLWithPath: input))
        let run = try Tool.run(["fix", "--limit", "20kB", "--share-url", "https://files.example.org/m/", input])
        #expect(run.status == 1)
        #expect(run.stdout.contains("no attachments"))
        #expect(run.stdout.contains("nothing was written"))
        #expect(!run.stdout.contains("need to leave the message"))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("patch.fixed.eml").path))
        let json = try Tool.run(["fix", "--json", "--limit", "20kB", input])
        #expect(json.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["nothingWritten"] as? Bool == true)
        #expect(object["output"] is NSNull)
        try Schema.validate(json.stdout, schema: "fix-result.schema.json")
        let chinese = try Tool.run(["fix", "--lang", "zh-Hant", "--limit", "20kB", input])
        #expect(chinese.stdout.contains("沒有寫出任何檔案"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["patch.eml"])
    }

    @Test("--in-place on a Maildir draft keeps the original in the Maildir folder, where no mail store reads it")
    func inPlaceMaildir() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let drafts = folder.appendingPathComponent("Drafts")
        for child in ["cur", "new", "tmp"] {
            try FileManager.default.createDirectory(at: drafts.appendingPathComponent(child), withIntermediateDirectories: true)
        }
        let name = "1764670000.M1P2.host:2,D"
        let input = drafts.appendingPathComponent("cur").appendingPathComponent(name).path
        try FileManager.default.copyItem(atPath: Tool.sample("chinese-compressible-attachments.eml"), toPath: input)
        let original = try Data(contentsOf: URL(fileURLWithPath: input))
        let run = try Tool.run(["fix", "--in-place", "--limit", "80kB", input])
        #expect(run.status == 0)
        let backup = drafts.appendingPathComponent(name + ".orig").path
        #expect(try Data(contentsOf: URL(fileURLWithPath: backup)) == original)
        #expect(try FileManager.default.contentsOfDirectory(atPath: drafts.appendingPathComponent("cur").path) == [name])
        #expect(run.stdout.contains(backup))
        let check = try Tool.run(["check", "--json", "--limit", "80kB", drafts.path])
        #expect(check.stdout.split(separator: "\n").count == 1, "one draft, not the draft and its backup")
    }

    @Test("a filter: standard input to standard output, the report on standard error")
    func filter() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Tool.sample("chinese-compressible-attachments.eml")))
        let run = try Tool.run(["fix", "--limit", "80kB", "-", "-o", "-"], stdin: data)
        #expect(run.status == 0)
        #expect(run.stdout.hasPrefix("From: Wong Siu Ming"))
        #expect(run.stdout.contains("Content-Type: application/zip"))
        #expect(run.stderr.contains("- → -"))
        // Standard input has nothing to be beside: without -o it is a filter all the same, and writes no file.
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let plain = try Tool.run(["fix", "--limit", "80kB", "-"], stdin: data, prefix: ["/usr/bin/env", "-C", folder.path])
        #expect(plain.status == 0 && plain.stdout.hasPrefix("From: Wong Siu Ming") && plain.stderr.contains("- → -"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test("the result reads cleanly in Python's email package: names, types, no defects")
    func pythonReadsIt() throws {
        let (folder, input) = try Self.scratch("chinese-compressible-attachments.eml")
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("out.eml").path
        #expect(try Tool.run(["fix", "--limit", "1", "-o", output, input]).status == 1)
        let script = """
            import email, email.policy, sys, zipfile, io
            m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
            for part in m.walk():
                assert not part.defects, part.defects
                if part.get_content_type() == 'application/zip':
                    z = zipfile.ZipFile(io.BytesIO(part.get_payload(decode=True)))
                    print(part.get_filename(), [i.filename for i in z.infolist()], z.testzip())
            """
        let run = try Tool.exec(["/usr/bin/env", "python3", "-c", script, output], environment: ProcessInfo.processInfo.environment)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("客戶名單.csv.zip ['客戶名單.csv'] None"))
        #expect(run.stdout.contains("sync.log.zip ['sync.log'] None"))
    }

    @Test("--bundle names one archive for all; its extension picks the format, and must agree with --format")
    func bundle() throws {
        let (folder, input) = try Self.scratch("chinese-compressible-attachments.eml")
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try Tool.run(["fix", "--json", "--limit", "1", "--bundle", "exports.tar.gz", input])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let actions = try #require(object["actions"] as? [[String: Any]])
        #expect(actions.compactMap { $0["archiveName"] as? String } == ["exports.tar.gz", "exports.tar.gz"])
        #expect(actions.compactMap { $0["format"] as? String }.allSatisfy { $0 == "tar.gz" })
        try Schema.validate(run.stdout, schema: "fix-result.schema.json")
        let conflict = try Tool.run(["fix", "--bundle", "a.zip", "--format", "7z", input])
        #expect(conflict.status == 64)
        #expect(conflict.stderr.contains("--bundle a.zip is a zip name but --format is 7z"))
    }

    @Test("--plan writes nothing")
    func plan() throws {
        let (folder, input) = try Self.scratch("chinese-compressible-attachments.eml")
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try Tool.run(["fix", "--plan", "--limit", "80kB", input])
        #expect(run.status == 0)
        #expect(run.stdout.contains("nothing written"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["chinese-compressible-attachments.eml"])
    }

    @Test("refusals and failures: one line, the right status, nothing written", arguments: [
        ("malformed-unclosed-truncated-base64.eml", ["--strategy", "link", "--share-url", "https://files.example.org/m/"], Int32(65),
         "is damaged (truncated-base64)"),
        ("empty.eml", [], 65, "empty file"),
        ("no-such.eml", [], 66, "no such file"),
    ])
    func refusals(sample: String, extra: [String], status: Int32, message: String) throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent(sample).path
        if FileManager.default.fileExists(atPath: Tool.sample(sample)) {
            try FileManager.default.copyItem(atPath: Tool.sample(sample), toPath: input)
        }
        let run = try Tool.run(["fix", "--limit", "1"] + extra + [input])
        #expect(run.status == status)
        #expect(run.stderr.contains(message))
        #expect(run.stderr.split(separator: "\n").count == 1)
        #expect(run.stdout.isEmpty)
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(left == (FileManager.default.fileExists(atPath: input) ? [sample] : []))
    }

    @Test("signed messages are refused with the reason, status 65")
    func signed() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("signed.eml").path
        try Data("From: a@b.c\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\nContent-Transfer-Encoding: base64\n\nAAAA\n".utf8)
            .write(to: URL(fileURLWithPath: input))
        let run = try Tool.run(["fix", "--limit", "1", input])
        #expect(run.status == 65)
        #expect(run.stderr.contains("signed or encrypted"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["signed.eml"])
    }

    @Test("an existing output needs --force: status 73, the file untouched")
    func existingOutput() throws {
        let (folder, input) = try Self.scratch("outlook-mixed-alternative.eml")
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("outlook-mixed-alternative.fixed.eml")
        try Data("mine".utf8).write(to: output)
        let run = try Tool.run(["fix", "--limit", "36kB", input])
        #expect(run.status == 73)
        #expect(run.stderr.contains("exists; use --force"))
        #expect(try String(contentsOf: output, encoding: .utf8) == "mine")
        // The same line in Traditional Chinese, from the catalogue; JSON keeps the code and the English text.
        let chinese = try Tool.run(["fix", "--lang", "zh-Hant", "--json", "--limit", "36kB", input])
        #expect(chinese.status == 73 && chinese.stderr.contains("檔案已存在；如要取代，請加上 --force"))
        #expect(chinese.stdout.contains("\"code\":\"output-exists\"") && chinese.stdout.contains("exists; use --force"))
        #expect(try Tool.run(["fix", "--force", "--limit", "36kB", input]).status == 0)
    }

    @Test("a full disk (a file-size limit here): clear error, status 73, no partial file left behind")
    func diskFull() throws {
        let (folder, input) = try Self.scratch("chinese-compressible-attachments.eml")
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try Tool.run(["fix", "--limit", "80kB", input], prefix: ["/usr/bin/prlimit", "--fsize=20000"])
        #expect(run.status == 73)
        #expect(run.stderr.contains("disk full; nothing was written"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["chinese-compressible-attachments.eml"])
    }

    @Test("--in-place replaces the input and keeps the original")
    func inPlace() throws {
        let (folder, input) = try Self.scratch("outlook-mixed-alternative.eml")
        defer { try? FileManager.default.removeItem(at: folder) }
        let original = try Data(contentsOf: URL(fileURLWithPath: input))
        let run = try Tool.run(["fix", "--in-place", "--limit", "36kB", input])
        #expect(run.status == 0)
        #expect(run.stdout.contains("original kept as"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: input + ".orig")) == original)
    }
}

/// Writing where one may not: nothing written, status 73, one line.
@Suite("mailprep fix, unwritable places")
struct FixUnwritableTests {
    @Test("a folder without write permission: status 73 and a clear reason")
    func unwritableFolder() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("draft.eml").path
        try FileManager.default.copyItem(atPath: Tool.sample("outlook-mixed-alternative.eml"), toPath: input)
        let locked = folder.appendingPathComponent("locked")
        try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: locked.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: input)
        // root writes anywhere: run as nobody then, with a copy of the binary nobody can execute.
        let prefix = geteuid() == 0 ? ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : []
        let binary = folder.appendingPathComponent("mailprep")
        try FileManager.default.copyItem(at: Tool.binary, to: binary)
        let run = try Tool.run(["fix", "--limit", "36kB", "-o", locked.appendingPathComponent("out.eml").path, input],
                               executable: binary, prefix: prefix)
        #expect(run.status == 73)
        #expect(run.stderr.contains("Permission denied"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: locked.path).isEmpty)
    }
}

extension FixCommandTests {
    @Test("a sender's file name cannot print escape sequences through the plan's reasons (an extension of ESC [2J on a JPEG)")
    func noEscapesInReasons() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("evil.eml").path
        let body = Data(repeating: 0xFF, count: 3_000).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        try ("From: a@example.org\r\nTo: b@example.org\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
             + "--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: image/jpeg\r\n"
             + "Content-Disposition: attachment; filename*=utf-8''x.%1B%5B2J\r\nContent-Transfer-Encoding: base64\r\n\r\n" + body + "\r\n--b--\r\n")
            .write(toFile: input, atomically: true, encoding: .utf8)
        let run = try Tool.run(["fix", "--plan", "--limit", "1kB", input])
        #expect(!run.stdout.contains("\u{1B}") && !run.stderr.contains("\u{1B}"))
        #expect(run.stdout.contains("keep (already compressed: image/jpeg)"), "an extension that is not letters and digits gives the type")
    }
}
