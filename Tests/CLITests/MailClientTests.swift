import Foundation
import Testing

/// A real mail client reads what `mailprep fix` writes: neomutt, driven in tmux, lists the attachments.
@Suite("Mail clients read the result")
struct MailClientTests {
    #if os(Linux)
    @Test("neomutt shows the compressed attachments with their Chinese names")
    func neomutt() throws {
        let environment = ProcessInfo.processInfo.environment
        for tool in ["/usr/bin/neomutt", "/usr/bin/tmux"] {
            try #require(FileManager.default.isExecutableFile(atPath: tool), "\(tool) is missing: ./scripts/setup --deps installs it")
        }
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let maildir = folder.appendingPathComponent("Mail")
        for sub in ["cur", "new", "tmp"] {
            try FileManager.default.createDirectory(at: maildir.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        let message = maildir.appendingPathComponent("cur/1700000000.1.mailprep:2,S").path
        let fix = try Tool.run(["fix", "--limit", "1", "-o", message, Tool.sample("chinese-compressible-attachments.eml")])
        #expect(fix.status == 1, "over even after compression, but written")
        let rc = folder.appendingPathComponent("muttrc")
        // Without a folder of its own, neomutt waits on ~/Mail; caches off, so nothing is written elsewhere.
        let settings = "set folder=\(maildir.path)\nset mbox_type=Maildir\nset charset=utf-8\nset header_cache=\"\"\nset message_cachedir=\"\"\n"
        try Data(settings.utf8).write(to: rc)
        let socket = "mailprep-test-\(getpid())"
        let command = "env LANG=C.UTF-8 TERM=xterm-256color /usr/bin/neomutt -n -R -F \(rc.path) -f \(maildir.path) -e 'push <display-message>v'"
        var env = environment
        env["LANG"] = "C.UTF-8"
        #expect(try Tool.detached(["/usr/bin/tmux", "-L", socket, "new-session", "-d", "-x", "120", "-y", "30", command], environment: env) == 0)
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
            if screen.contains("sync.log.zip") { break }
        }
        #expect(screen.contains("客戶名單.csv.zip"), "\(screen)")
        #expect(screen.contains("sync.log.zip"))
        #expect(screen.contains("map.jpg"))
        #expect(screen.contains("zip, base64"))
    }
    #endif
}
