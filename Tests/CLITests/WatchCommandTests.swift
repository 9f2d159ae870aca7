import Foundation
import Testing

/// `mailprep watch` run as a binary in the background, drafts saved under it the ways mail programs and editors
/// save them, and its lines read as they come. Limits are `--limit 100kB --margin 0`, so drafts stay small.
@Suite("mailprep watch", .serialized)
struct WatchCommandTests {
    static let limit = ["--limit", "100kB", "--margin", "0"]

    /// `mailprep watch arguments`, its standard output and error going to files outside the watched folders.
    final class Running {
        let process = Process()
        let out: URL
        let err: URL

        /// `prefix` runs it through another program that execs it (`setpriv …`, as another user).
        init(_ arguments: [String], logs: URL, environment: [String: String] = [:], prefix: [String] = []) throws {
            try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
            out = logs.appendingPathComponent("watch.out")
            err = logs.appendingPathComponent("watch.err")
            _ = FileManager.default.createFile(atPath: out.path, contents: nil)
            _ = FileManager.default.createFile(atPath: err.path, contents: nil)
            process.executableURL = prefix.isEmpty ? Tool.binary : URL(fileURLWithPath: prefix[0])
            process.arguments = prefix.dropFirst() + (prefix.isEmpty ? [] : [Tool.binary.path]) + ["watch"] + arguments
            process.environment = ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"].merging(environment) { $1 }
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = try FileHandle(forWritingTo: out)
            process.standardError = try FileHandle(forWritingTo: err)
            try process.run()
        }

        deinit {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }

        var stdout: String { (try? String(contentsOf: out, encoding: .utf8)) ?? "" }
        var stderr: String { (try? String(contentsOf: err, encoding: .utf8)) ?? "" }
        var lines: [String] { stdout.split(separator: "\n").map(String.init) }

        /// Waits until `condition` holds of (stdout, stderr), or 10 s have passed, or the watch has ended.
        @discardableResult
        func wait(_ condition: (_ stdout: String, _ stderr: String) -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline {
                if condition(stdout, stderr) { return true }
                if !process.isRunning { return condition(stdout, stderr) }
                usleep(20_000)
            }
            return false
        }

        /// Waits for the line that says it is watching.
        func ready(_ text: String = "Ctrl-C to stop") -> Bool {
            wait { _, err in err.contains(text) }
        }

        /// Waits for a line of standard output with all of `parts`.
        func line(_ parts: String...) -> Bool {
            wait { out, _ in out.split(separator: "\n").contains { line in parts.allSatisfy(line.contains) } }
        }

        /// Stops it as Ctrl-C or `kill` would, and gives its exit status.
        func stop(_ signal: Int32 = SIGTERM) -> Int32 {
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
            return process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus
        }
    }

    /// A message of exactly `size` octets on the wire (CRLF line endings): a header and lines of text.
    static func draft(_ subject: String, size: Int) -> Data {
        var text = "From: mei.chan@example.hk\r\nTo: wing@example.org\r\nSubject: \(subject)\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        let line = "The lease for the Kwun Tong office, clause by clause.\r\n"
        while size - text.utf8.count >= line.utf8.count + 2 { text += line }
        text += String(repeating: "x", count: max(0, size - text.utf8.count - 2)) + "\r\n"
        return Data(text.utf8)
    }

    /// Writes `data` into the file itself, as a program that saves in place does (open, truncate, write, close).
    static func writeInPlace(_ data: Data, to url: URL) throws {
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        let written = data.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        try #require(written == data.count)
    }

    /// Writes `data` to a temporary name beside the file and renames it over the file, as most editors save.
    static func writeByRename(_ data: Data, to url: URL, temporary: String? = nil) throws {
        let side = url.deletingLastPathComponent().appendingPathComponent(temporary ?? "." + url.lastPathComponent + ".tmp")
        try writeInPlace(data, to: side)
        try #require(rename(side.path, url.path) == 0)
    }

    /// A fake notify-send that writes its arguments to `marks`, one a line.
    static func fakeNotifySend(in folder: URL, marks: URL) throws -> URL {
        let bin = folder.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let script = bin.appendingPathComponent("notify-send")
        try "#!/bin/sh\nprintf '%s\\n' \"$@\" >> '\(marks.path)'\n".write(to: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        return bin
    }

    @Test("watch sees a draft grow past its limit: one OVER line however often it grows, then fits now; ends on SIGTERM with 0",
          arguments: [false, true])
    func growsPastLimit(scanning: Bool) throws {
        let base = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: base) }
        let drafts = base.appendingPathComponent("Drafts")
        try FileManager.default.createDirectory(at: drafts, withIntermediateDirectories: true)
        let draft = drafts.appendingPathComponent("lease.eml")
        try Self.writeInPlace(Self.draft("Lease", size: 10_000), to: draft)
        // notify-send on PATH, but no display: nothing may be started.
        let marks = base.appendingPathComponent("notified")
        let bin = try Self.fakeNotifySend(in: base, marks: marks)
        let watch = try Running(Self.limit + (scanning ? ["--scan"] : []) + [drafts.path], logs: base.appendingPathComponent("logs"),
                                environment: ["PATH": "\(bin.path):/usr/bin:/bin"])
        #expect(watch.ready(scanning ? "watching 1 folder (looking for changes every second); Ctrl-C to stop" : "watching 1 folder; Ctrl-C to stop"))
        #expect(watch.stdout.isEmpty, "it fitted at the start")

        try Self.writeByRename(Self.draft("Lease", size: 150_000), to: draft)
        #expect(watch.line("OVER", "/ 100 kB", "\(draft.path) — Lease"))
        let over = try #require(watch.lines.first)
        #expect(over.hasPrefix("OVER     150 kB / 100 kB       \(draft.path)"), "\(over)")

        // Larger still, in place: still over the same limit, so nothing new. Another draft going over shows that
        // the first was checked by then (it was saved first).
        try Self.writeInPlace(Self.draft("Lease", size: 180_000), to: draft)
        let other = drafts.appendingPathComponent("photos.eml")
        try Self.writeInPlace(Self.draft("Photos", size: 120_000), to: other)
        #expect(watch.line("OVER", "\(other.path) — Photos"))
        #expect(watch.lines.filter { $0.contains(draft.path) }.count == 1, "\(watch.stdout)")

        try Self.writeInPlace(Self.draft("Lease", size: 20_000), to: draft)
        #expect(watch.line("fits now", "\(draft.path) — Lease"))
        #expect(watch.lines.last?.hasPrefix("fits now 20.0 kB / 100 kB") == true, "\(watch.stdout)")
        #expect(watch.lines.count == 3)

        #expect(watch.stop() == 0)
        #expect(watch.stderr.split(separator: "\n").count == 1, "no trace of the signal: \(watch.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marks.path), "no display: no notification")
    }

    @Test("a Maildir: a message written in tmp/ and moved into new/ is seen once, and not again when its flags change")
    func maildir() throws {
        let base = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: base) }
        let maildir = base.appendingPathComponent("Mail/Drafts")
        for folder in ["cur", "new", "tmp"] {
            try FileManager.default.createDirectory(at: maildir.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        let watch = try Running(Self.limit + [base.appendingPathComponent("Mail").path], logs: base.appendingPathComponent("logs"))
        #expect(watch.ready("watching 5 folders"))
        let name = "1764756000.M1P4242.mailhost"
        let temporary = maildir.appendingPathComponent("tmp/\(name)")
        try Self.writeInPlace(Self.draft("Site survey", size: 140_000), to: temporary)
        let new = maildir.appendingPathComponent("new/\(name)")
        try #require(rename(temporary.path, new.path) == 0)
        #expect(watch.line("OVER", "\(new.path) — Site survey"))
        // A mail client reads it: new/ to cur/ with flags in the name, as Maildir does.
        let cur = maildir.appendingPathComponent("cur/\(name):2,S")
        try #require(rename(new.path, cur.path) == 0)
        let barrier = maildir.appendingPathComponent("cur/1764756100.M2P4242.mailhost:2,D")
        try Self.writeInPlace(Self.draft("Barrier", size: 110_000), to: barrier)
        #expect(watch.line("OVER", "— Barrier"))
        // One that stays in tmp/ (a delivery still being written) is never checked.
        try Self.writeInPlace(Self.draft("Half written", size: 150_000), to: maildir.appendingPathComponent("tmp/1764756200.M3P4242.mailhost"))
        try Self.writeInPlace(Self.draft("Second barrier", size: 120_000), to: maildir.appendingPathComponent("new/1764756300.M4P4242.mailhost"))
        #expect(watch.line("OVER", "— Second barrier"))
        #expect(watch.lines.count == 3, "\(watch.stdout)")
        #expect(!watch.stdout.contains("Half written"))
        #expect(watch.stop(SIGINT) == 0, "Ctrl-C")
    }

    @Test("an mbox (Thunderbird's Drafts): a second message appended over the limit is Drafts#2, in JSON with its event")
    func mboxAppend() throws {
        let base = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: base) }
        let local = base.appendingPathComponent("Local Folders")
        try FileManager.default.createDirectory(at: local, withIntermediateDirectories: true)
        let mbox = local.appendingPathComponent("Drafts")
        var first = Data("From - Thu Dec 03 10:00:00 2026\n".utf8)
        first.append(Self.draft("Menu", size: 5_000))
        try Self.writeInPlace(first, to: mbox)
        try Self.writeInPlace(Data("Thunderbird's index".utf8), to: local.appendingPathComponent("Drafts.msf"))
        let watch = try Running(["--json"] + Self.limit + [local.path], logs: base.appendingPathComponent("logs"))
        #expect(watch.ready())
        let append = try FileHandle(forWritingTo: mbox)
        try append.seekToEnd()
        var second = Data("\nFrom - Thu Dec 03 10:05:00 2026\n".utf8)
        second.append(Self.draft("Floor plans", size: 130_000))
        try append.write(contentsOf: second)
        try append.close()
        #expect(watch.line("\"event\":\"over\"", "Drafts#2"))
        #expect(watch.lines.count == 1, "Drafts#1 is as it was: \(watch.stdout)")
        try Schema.validate(watch.stdout)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(watch.lines[0].utf8)) as? [String: Any])
        #expect(object["file"] as? String == "\(mbox.path)#2")
        #expect(object["fits"] as? Bool == false)
        #expect((object["stored"] as? [String: Any])?["index"] as? Int == 2)
        #expect(watch.stop() == 0)
    }

    @Test("hidden files and folders, editors' temporary files and files that are not messages are left alone, silently")
    func ignored() throws {
        let base = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: base) }
        let drafts = base.appendingPathComponent("Drafts")
        try FileManager.default.createDirectory(at: drafts, withIntermediateDirectories: true)
        let watch = try Running(Self.limit + [drafts.path], logs: base.appendingPathComponent("logs"))
        #expect(watch.ready())
        let big = Self.draft("Big", size: 120_000)
        var mbox = Data("From - Thu Dec 03 10:00:00 2026\n".utf8)
        mbox.append(big)
        for name in [".lease.eml", "#lease.eml#", "lease.eml~", "lease.eml.swp", "lease.eml.part", "lease.tmp", "Drafts~", "#Drafts#"] {
            try Self.writeInPlace(name.contains("Drafts") ? mbox : big, to: drafts.appendingPathComponent(name))
        }
        let hidden = drafts.appendingPathComponent(".cache")
        try FileManager.default.createDirectory(at: hidden, withIntermediateDirectories: true)
        try Self.writeInPlace(big, to: hidden.appendingPathComponent("lease.eml"))
        try Self.writeInPlace(Data("not a message, only a note\n".utf8), to: drafts.appendingPathComponent("junk.eml"))
        try Self.writeInPlace(Data(), to: drafts.appendingPathComponent("empty.eml"))
        try Self.writeInPlace(big, to: drafts.appendingPathComponent("notes.txt"))
        let real = drafts.appendingPathComponent("real.eml")
        try Self.writeInPlace(big, to: real)
        #expect(watch.line("OVER", real.path))
        #expect(watch.lines.count == 1, "\(watch.stdout)")
        #expect(watch.stop() == 0)
        #expect(watch.stderr.split(separator: "\n").count == 1, "nothing said of the files left alone: \(watch.stderr)")
    }

    @Test("--lang zh-Hant: the start line, OVER and fits now in Traditional Chinese")
    func chinese() throws {
        let base = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: base) }
        let drafts = base.appendingPathComponent("草稿")
        try FileManager.default.createDirectory(at: drafts.appendingPathComponent("舊"), withIntermediateDirectories: true)
        let watch = try Running(["--lang", "zh-Hant"] + Self.limit + [drafts.path], logs: base.appendingPathComponent("logs"))
        #expect(watch.ready("正在監察 2 個資料夾；按 Ctrl-C 停止"))
        let draft = drafts.appendingPathComponent("報價.eml")
        try Self.writeByRename(Self.draft("報價單", size: 125_000), to: draft)
        #expect(watch.line("超出", "\(draft.path) — 報價單"))
        try Self.writeByRename(Self.draft("報價單", size: 30_000), to: draft)
        #expect(watch.line("現可寄出", "\(draft.path) — 報價單"))
        #expect(watch.lines.first?.hasPrefix("超出     125 kB / 100 kB") == true, "\(watch.stdout)")
        #expect(watch.stop() == 0)
    }

    @Test("what is there at the start: checked silently, or with --initial the ones over; --all prints every check, a burst of saves once")
    func startAndAll() throws {
        let base = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: base) }
        let drafts = base.appendingPathComponent("Drafts")
        try FileManager.default.createDirectory(at: drafts, withIntermediateDirectories: true)
        let over = drafts.appendingPathComponent("over.eml")
        let fits = drafts.appendingPathComponent("fits.eml")
        try Self.writeInPlace(Self.draft("Over", size: 150_000), to: over)
        try Self.writeInPlace(Self.draft("Fits", size: 1_000), to: fits)

        let silent = try Running(Self.limit + [drafts.path], logs: base.appendingPathComponent("silent"))
        #expect(silent.ready())
        #expect(silent.stdout.isEmpty)
        // Still over, as it was at the start: nothing to say.
        try Self.writeInPlace(Self.draft("Over", size: 160_000), to: over)
        try Self.writeInPlace(Self.draft("Fits", size: 2_000), to: fits)
        try Self.writeInPlace(Self.draft("Now over", size: 101_000), to: fits)
        #expect(silent.line("OVER", "\(fits.path) — Now over"))
        #expect(silent.lines.count == 1, "\(silent.stdout)")
        #expect(silent.stop() == 0)

        try Self.writeInPlace(Self.draft("Fits", size: 1_000), to: fits)
        let initial = try Running(["--initial"] + Self.limit + [drafts.path], logs: base.appendingPathComponent("initial"))
        #expect(initial.ready())
        #expect(initial.lines.count == 1 && initial.lines[0].hasPrefix("OVER") && initial.lines[0].hasSuffix("\(over.path) — Over"), "\(initial.stdout)")
        #expect(initial.stop() == 0)

        let all = try Running(["--all"] + Self.limit + [drafts.path], logs: base.appendingPathComponent("all"))
        #expect(all.ready())
        #expect(all.lines.count == 2, "every check at the start: \(all.stdout)")
        for size in stride(from: 1_000, to: 6_000, by: 1_000) {
            try Self.writeInPlace(Self.draft("Fits", size: size), to: fits)
        }
        let barrier = drafts.appendingPathComponent("barrier.eml")
        try Self.writeInPlace(Self.draft("Barrier", size: 1_000), to: barrier)
        #expect(all.line("fits", barrier.path))
        #expect(all.lines.filter { $0.contains(fits.path) }.count == 2, "five saves in a row, one check: \(all.stdout)")
        #expect(all.lines.last { $0.contains(fits.path) }?.hasPrefix("fits     5.0 kB / 100 kB") == true, "\(all.stdout)")
        #expect(all.stop() == 0)
    }

    @Test("a desktop notification through notify-send when a draft goes over, where there is a display; none with --no-notify")
    func notification() throws {
        let base = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: base) }
        let drafts = base.appendingPathComponent("Drafts")
        try FileManager.default.createDirectory(at: drafts, withIntermediateDirectories: true)
        let marks = base.appendingPathComponent("notified")
        let bin = try Self.fakeNotifySend(in: base, marks: marks)
        let environment = ["PATH": "\(bin.path):/usr/bin:/bin", "DISPLAY": ":99"]

        let quiet = try Running(["--no-notify"] + Self.limit + [drafts.path], logs: base.appendingPathComponent("quiet"), environment: environment)
        #expect(quiet.ready())
        try Self.writeInPlace(Self.draft("Plans & <drawings>", size: 150_000), to: drafts.appendingPathComponent("plans.eml"))
        #expect(quiet.line("OVER", "plans.eml"))
        #expect(quiet.stop() == 0)

        let watch = try Running(Self.limit + [drafts.path], logs: base.appendingPathComponent("logs"), environment: environment)
        #expect(watch.ready())
        try Self.writeInPlace(Self.draft("Elevations & <sections>", size: 170_000), to: drafts.appendingPathComponent("elevations.eml"))
        #expect(watch.line("OVER", "elevations.eml"))
        #expect(watch.wait { _, _ in ((try? String(contentsOf: marks, encoding: .utf8)) ?? "").contains("mailprep fix") })
        let arguments = ((try? String(contentsOf: marks, encoding: .utf8)) ?? "").split(separator: "\n", omittingEmptySubsequences: false)
        #expect(arguments.prefix(2) == ["--app-name=mailprep", "--"])
        #expect(arguments.dropFirst(2).first == "Draft too large: 170 kB, the limit is 100 kB")
        #expect(arguments.dropFirst(3).first == "Elevations &amp; &lt;sections&gt;", "the body is markup: \(arguments)")
        #expect(arguments.dropFirst(4).first == "--limit: given on the command line; mailprep fix can make it fit")
        #expect(!arguments.contains { $0.contains("Plans") }, "--no-notify: none for the first")
        #expect(watch.stop() == 0)
    }

    @Test("a folder that is not there, or a file: one line, status 66")
    func badFolder() throws {
        let base = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: base) }
        let missing = try Tool.run(["watch", base.appendingPathComponent("nowhere").path])
        #expect(missing.status == 66)
        #expect(missing.stderr == "mailprep: \(base.path)/nowhere: no such folder\n")
        #expect(missing.stdout.isEmpty)
        let file = base.appendingPathComponent("draft.eml")
        try Self.writeInPlace(Self.draft("A file", size: 100), to: file)
        let notFolder = try Tool.run(["watch", "--lang", "zh-Hant", base.path, file.path])
        #expect(notFolder.status == 66)
        #expect(notFolder.stderr == "mailprep: \(file.path)：不是資料夾；watch 只接受資料夾（檔案請用 mailprep check）\n")
    }

    @Test("Thunderbird's autosaves: each save expunges the old copy and appends a new one; one draft, one OVER line, and compaction says nothing")
    func thunderbirdAutosave() throws {
        let base = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: base) }
        let mbox = base.appendingPathComponent("Drafts")
        func copy(_ status: String, id: String, subject: String, size: Int) -> String {
            "From - Thu Dec 03 10:00:00 2026\nX-Mozilla-Status: \(status)\nMessage-ID: <\(id)@example.hk>\n"
                + String(decoding: Self.draft(subject, size: size), as: UTF8.self) + "\n"
        }
        try Self.writeInPlace(Data(copy("0001", id: "small", subject: "Small", size: 2_000).utf8), to: mbox)
        let watch = try Running(Self.limit + [base.path], logs: base.appendingPathComponent("logs"))
        #expect(watch.ready())
        var contents = copy("0001", id: "small", subject: "Small", size: 2_000)
        for save in 1...3 {
            // The draft "Big" saved again: earlier copies expunged (0x0008), the new one appended.
            var text = copy("0001", id: "small", subject: "Small", size: 2_000)
            for _ in 1..<save { text += copy("0009", id: "big", subject: "Big", size: 120_000 + save) }
            text += copy("0001", id: "big", subject: "Big", size: 130_000 + save)
            contents = text
            try Self.writeInPlace(Data(contents.utf8), to: mbox)
            #expect(watch.line("OVER", "— Big"))
            usleep(600_000)
        }
        // Compacted: the expunged copies gone, numbers shifted.
        try Self.writeInPlace(Data((copy("0001", id: "small", subject: "Small", size: 2_000) + copy("0001", id: "big", subject: "Big", size: 130_003)).utf8), to: mbox)
        usleep(800_000)
        #expect(watch.lines.count == 1, "\(watch.stdout)")
        #expect(watch.stop() == 0)
    }

    @Test("a watched folder deleted or moved away is said, and with nothing left to watch it ends, status 66")
    func rootGone() throws {
        let base = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: base) }
        let drafts = base.appendingPathComponent("Drafts")
        try FileManager.default.createDirectory(at: drafts, withIntermediateDirectories: true)
        let watch = try Running(Self.limit + [drafts.path], logs: base.appendingPathComponent("logs"))
        #expect(watch.ready())
        try #require(rename(drafts.path, base.appendingPathComponent("Drafts.old").path) == 0)
        #expect(watch.wait { _, err in err.contains("\(drafts.path): the folder was deleted or moved away; it is no longer watched") })
        watch.wait { _, _ in false }   // until it ends by itself (or 10 s pass, and stop below sees it running)
        #expect(watch.stop() == 66)
    }

    @Test("a Subject that looks like an option, or carries escape sequences, reaches notify-send as text after --")
    func notificationText() throws {
        let base = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: base) }
        let marks = base.appendingPathComponent("marks")
        let bin = try Self.fakeNotifySend(in: base, marks: marks)
        let drafts = base.appendingPathComponent("Drafts")
        try FileManager.default.createDirectory(at: drafts, withIntermediateDirectories: true)
        let watch = try Running(Self.limit + [drafts.path], logs: base.appendingPathComponent("logs"),
                                environment: ["PATH": bin.path + ":/usr/bin:/bin", "DISPLAY": ":0"])
        #expect(watch.ready())
        try Self.writeInPlace(Self.draft("-20% off \u{1B}[41mred", size: 130_000), to: drafts.appendingPathComponent("offer.eml"))
        #expect(watch.line("OVER", "offer.eml"))
        #expect(watch.wait { _, _ in ((try? String(contentsOf: marks, encoding: .utf8)) ?? "").contains("-20% off") })
        let arguments = ((try? String(contentsOf: marks, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        #expect(arguments.prefix(2) == ["--app-name=mailprep", "--"], "\(arguments)")
        #expect(!arguments.joined().contains("\u{1B}"))
        #expect(!watch.stdout.contains("\u{1B}"), "the line on the terminal shows it escaped")
        #expect(watch.stop() == 0)
    }

    @Test("a draft that cannot be read is said at the start and when it appears, once, and with --json as an object with its event")
    func unreadableDrafts() throws {
        guard geteuid() == 0 else { return }
        let base = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: base) }
        let drafts = base.appendingPathComponent("Drafts")
        try FileManager.default.createDirectory(at: drafts, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: base.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: drafts.path)
        let locked = drafts.appendingPathComponent("locked.eml")
        try Self.writeInPlace(Self.draft("Locked", size: 2_000), to: locked)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: locked.path)
        let logs = base.appendingPathComponent("logs")
        let watch = try Running(["--json"] + Self.limit + [drafts.path], logs: logs,
                                prefix: ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"])
        #expect(watch.ready())
        #expect(watch.wait { _, err in err.contains("locked.eml: permission denied") })
        #expect(watch.line("\"event\":\"failed\"", "locked.eml"))
        try Schema.validate(watch.stdout)
        #expect(watch.stop() == 0)
    }
}
