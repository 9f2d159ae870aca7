import Foundation
import Testing

/// A real mail client reads what `mailprep fix` writes: neomutt, driven in tmux.
@Suite("Mail clients read the result")
struct MailClientTests {
    #if os(Linux)
    /// Opens the only message of a Maildir in neomutt, presses `keys` and returns the screen once it shows
    /// `until` (or after five seconds).
    static func neomutt(maildir: URL, folder: URL, keys: String, until: String) throws -> String {
        let environment = ProcessInfo.processInfo.environment
        for tool in ["/usr/bin/neomutt", "/usr/bin/tmux"] {
            try #require(FileManager.default.isExecutableFile(atPath: tool), "\(tool) is missing: ./scripts/setup --deps installs it")
        }
        let rc = folder.appendingPathComponent("muttrc")
        // Without a folder of its own, neomutt waits on ~/Mail; caches off, so nothing is written elsewhere.
        let settings = "set folder=\(maildir.path)\nset mbox_type=Maildir\nset charset=utf-8\nset header_cache=\"\"\nset message_cachedir=\"\"\n"
        try Data(settings.utf8).write(to: rc)
        let socket = "mailprep-test-\(getpid())-\(UUID().uuidString.prefix(8))"
        let command = "env LANG=C.UTF-8 TERM=xterm-256color /usr/bin/neomutt -n -R -F \(rc.path) -f \(maildir.path) -e 'push \(keys)'"
        var env = environment
        env["LANG"] = "C.UTF-8"
        #expect(try Tool.detached(["/usr/bin/tmux", "-L", socket, "new-session", "-d", "-x", "120", "-y", "40", command], environment: env) == 0)
        defer {
            // neomutt outlives kill-server's SIGHUP (and the server waits for it): end it first.
            if let pane = try? Tool.exec(["/usr/bin/tmux", "-L", socket, "display-message", "-p", "#{pane_pid}"], environment: env),
               let pid = Int32(pane.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) {
                kill(pid, SIGKILL)
            }
            _ = try? Tool.detached(["/usr/bin/tmux", "-L", socket, "kill-server"], environment: env)
        }
        var screen = ""
        for _ in 0..<50 {
            usleep(100_000)
            screen = try Tool.exec(["/usr/bin/tmux", "-L", socket, "capture-pane", "-p"], environment: env).stdout
            if screen.contains(until) { break }
        }
        return screen
    }

    /// A Maildir with `cur/`, `new/`, `tmp/` in `folder`, and the path a message goes to in it.
    static func maildir(in folder: URL) throws -> (maildir: URL, message: String) {
        let maildir = folder.appendingPathComponent("Mail")
        for sub in ["cur", "new", "tmp"] {
            try FileManager.default.createDirectory(at: maildir.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        return (maildir, maildir.appendingPathComponent("cur/1700000000.1.mailprep:2,S").path)
    }

    @Test("neomutt shows the compressed attachments with their Chinese names")
    func compressed() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (maildir, message) = try Self.maildir(in: folder)
        let fix = try Tool.run(["fix", "--limit", "1", "-o", message, Tool.sample("chinese-compressible-attachments.eml")])
        #expect(fix.status == 1, "over even after compression, but written")
        let screen = try Self.neomutt(maildir: maildir, folder: folder, keys: "<display-message>v", until: "sync.log.zip")
        #expect(screen.contains("客戶名單.csv.zip"), "\(screen)")
        #expect(screen.contains("sync.log.zip"))
        #expect(screen.contains("map.jpg"))
        #expect(screen.contains("zip, base64"))
    }

    @Test("neomutt shows the Big5 text with the Chinese download block, and the attachment gone")
    func linked() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (maildir, message) = try Self.maildir(in: folder)
        let fix = try Tool.run(["fix", "--strategy", "link", "--limit", "20kB", "--lang", "zh-Hant", "--share", folder.appendingPathComponent("share").path,
                                "--share-url", "https://files.example.org/m/", "-o", message, Tool.sample("chinese-big5-rfc2231.eml")],
                               environment: ["HOME": folder.path])
        #expect(fix.status == 0, "\(fix.stderr)")
        let body = try Self.neomutt(maildir: maildir, folder: folder, keys: "<display-message>", until: "SHA-256")
        #expect(body.contains("附件是本季度的財務報表"), "\(body)")
        #expect(body.contains("這個附件太大，無法以電郵寄出"))
        #expect(body.contains("https://files.example.org/m/"))
        let parts = try Self.neomutt(maildir: maildir, folder: folder, keys: "<display-message>v", until: "big5")
        #expect(parts.contains("text/plain, base64, big5"), "the attachment list is on screen: \(parts)")
        #expect(!parts.contains("財務報表.xls"), "the attachment left the message: \(parts)")
    }
    #endif
}
