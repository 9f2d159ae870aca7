import Foundation
import Testing
import MailPrepCore

/// `fix --strategy link` and `mailprep serve` together, over real sockets on 127.0.0.1: curl resuming a broken
/// download, headless Chromium reading the download page, and a fix killed halfway through sharing.
@Suite("mailprep serve", .serialized)
struct ServeCommandTests {
    /// A running `mailprep serve` on a free loopback port, its access log in a file.
    final class Server {
        let process = Process()
        let log: URL
        let errors: URL
        private(set) var port = 0

        /// `descriptors`: the server runs under `ulimit -n` of that many.
        init(share: String, folder: URL, standardOutput: FileHandle? = nil, extra: [String] = [], descriptors: Int? = nil) throws {
            log = folder.appendingPathComponent("access.log")
            errors = folder.appendingPathComponent("serve.err")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            FileManager.default.createFile(atPath: errors.path, contents: nil)
            // serve refuses a share folder that is not there; an empty one is what most of these tests serve.
            try FileManager.default.createDirectory(atPath: share, withIntermediateDirectories: true)
            process.executableURL = Tool.binary
            process.arguments = ["serve", "--share", share, "--listen", "127.0.0.1:0"] + extra
            if let descriptors {
                process.executableURL = URL(fileURLWithPath: "/bin/sh")
                process.arguments = ["-c", "ulimit -n \(descriptors) && exec \"$0\" \"$@\"", Tool.binary.path] + process.arguments!
            }
            process.environment = ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": folder.path]
            process.standardOutput = try standardOutput ?? FileHandle(forWritingTo: log)
            process.standardError = try FileHandle(forWritingTo: errors)
            try process.run()
            // "serving FOLDER on http://127.0.0.1:PORT/" once it listens.
            for _ in 0..<300 {
                let text = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
                if let range = text.range(of: "http://127.0.0.1:") {
                    port = Int(text[range.upperBound...].prefix { $0.isNumber }) ?? 0
                    break
                }
                usleep(50_000)
            }
        }

        func url(_ path: String) -> String { "http://127.0.0.1:\(port)" + path }

        func stop() {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// A message with one attachment of `size` random octets, base64 at 76 columns, and a short text.
    static func message(attachment size: Int, name: String) -> String {
        // A random mebibyte, repeated: random enough that nothing compresses, quick to make in a debug build.
        var generator = SystemRandomNumberGenerator()
        let block = (0..<(1 << 17)).flatMap { _ in withUnsafeBytes(of: generator.next()) { Array($0) } }
        var data = Data(capacity: size)
        while data.count < size { data.append(contentsOf: block.prefix(size - data.count)) }
        return "From: chan@example.com.hk\r\nTo: wong@example.org\r\nSubject: photos\r\nMessage-ID: <serve-test@example.com.hk>\r\n"
            + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            + "相片在附件。\r\n\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=UTF-8''"
            + ShareOptions.percentEncoded(name) + "\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + data.base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed]) + "\r\n--b--\r\n"
    }

    /// Fixes a fresh message into links and returns the shared entry and the written message.
    static func linked(in folder: URL, size: Int, name: String) throws -> (entry: ShareEntry, share: String, output: String) {
        let input = folder.appendingPathComponent("draft.eml").path
        try message(attachment: size, name: name).write(toFile: input, atomically: true, encoding: .utf8)
        let share = folder.appendingPathComponent("share").path
        let output = folder.appendingPathComponent("draft.fixed.eml").path
        let fix = try Tool.run(["fix", "--strategy", "link", "--limit", "1MB", "--share", share, "--share-url", "https://files.example.org/m/",
                                "--json", input], environment: ["HOME": folder.path])
        #expect(fix.status == 0, "\(fix.stderr)")
        try Schema.validate(fix.stdout, schema: "fix-result.schema.json")
        let entry = try #require(ShareStore(root: share).list().first)
        return (entry, share, output)
    }

    @Test("curl resumes an interrupted download from where it stopped; the file is the attachment, byte for byte")
    func resume() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // Larger than loopback's socket buffers can hold (about 10 MB between both ends), so that a download cut
        // short really is short of its last byte when the server has handed over all it could.
        let size = 32_000_000
        let (entry, share, output) = try Self.linked(in: folder, size: size, name: "航拍 2026.mov")
        #expect(try String(contentsOfFile: output, encoding: .utf8).contains("https://files.example.org/m/\(entry.token)/"))
        let server = try Server(share: share, folder: folder)
        defer { server.stop() }
        #expect(server.port > 0)
        let url = server.url("/\(entry.token)/" + ShareOptions.percentEncoded(entry.fileName))
        let part = folder.appendingPathComponent("download").path
        // Cut off after a second at 1 MB/s: a small part of the file.
        let first = try Tool.exec(["/usr/bin/curl", "-sS", "--limit-rate", "1M", "--max-time", "1", "-o", part, url], environment: [:])
        #expect(first.status == 28, "curl stops at --max-time")
        let partial = try FileManager.default.attributesOfItem(atPath: part)[.size] as? Int ?? 0
        #expect(partial > 0 && partial < size)
        #expect(ShareStore(root: share).entry(token: entry.token)?.downloads == 0, "a download cut short is not counted")
        let second = try Tool.exec(["/usr/bin/curl", "-sS", "-C", "-", "-o", part, "-w", "%{http_code}", url], environment: [:])
        #expect(second.stdout == "206")
        let sum = try Tool.exec(["/usr/bin/sha256sum", part], environment: [:])
        #expect(sum.stdout.hasPrefix(entry.sha256))
        let log = try String(contentsOf: server.log, encoding: .utf8)
        #expect(log.contains("\"GET /\(entry.token)/\(ShareOptions.percentEncoded(entry.fileName)) HTTP/1.1\" 206 \(size - partial) \"-\" \"curl/"))
        // Counted once the last byte is out, off the request's path: a moment after curl has it.
        for _ in 0..<100 {
            if ShareStore(root: share).entry(token: entry.token)?.downloads != 0 { break }
            usleep(20_000)
        }
        #expect(ShareStore(root: share).entry(token: entry.token)?.downloads == 1, "the resumed download counts once, when it is complete")
    }

    @Test("headless Chromium shows the page with the name, size and download link; a screenshot is kept")
    func browser() throws {
        let chromium = ["/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (entry, share, _) = try Self.linked(in: folder, size: 1_500_000, name: "維港夜景.jpg")
        let server = try Server(share: share, folder: folder)
        defer { server.stop() }
        let page = server.url("/\(entry.token)/")
        let dom = try Tool.exec(chromium + ["--accept-lang=zh-HK,zh", "--dump-dom", page], environment: ["HOME": folder.path])
        #expect(dom.stdout.contains("<html lang=\"zh-Hant\">"))
        #expect(dom.stdout.contains("<h1 id=\"name\">維港夜景.jpg</h1>"))
        #expect(dom.stdout.contains("<dd id=\"size\" data-bytes=\"1500000\">1.5 MB（1,500,000 位元組）</dd>"))
        #expect(dom.stdout.contains("<a id=\"download\" class=\"button\" href=\"\(ShareOptions.percentEncoded("維港夜景.jpg"))\" download=\"\">下載</a>"))
        #expect(dom.stdout.contains("<code id=\"sha256\">\(entry.sha256)</code>"))
        let artifacts = Tool.root.appendingPathComponent("test-artifacts")
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        let screenshot = artifacts.appendingPathComponent("download-page-zh-Hant-phone.png")
        try? FileManager.default.removeItem(at: screenshot)
        _ = try Tool.exec(chromium + ["--accept-lang=zh-HK,zh", "--window-size=390,844", "--screenshot=\(screenshot.path)", page],
                          environment: ["HOME": folder.path])
        let png = try Data(contentsOf: screenshot)
        #expect(png.count > 5_000 && png.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]))
    }

    @Test("a fix killed while copying into the share leaves no link, no output, no visible share entry; the input is intact")
    func killedMidCopy() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("big.eml").path
        try Self.message(attachment: 150_000_000, name: "big.bin").write(toFile: input, atomically: true, encoding: .utf8)
        let before = try Tool.exec(["/usr/bin/sha256sum", input], environment: [:]).stdout
        let share = folder.appendingPathComponent("share").path
        let output = folder.appendingPathComponent("big.fixed.eml").path
        let process = Process()
        process.executableURL = Tool.binary
        process.arguments = ["fix", "--strategy", "link", "--limit", "1MB", "--share", share, "--share-url", "https://files.example.org/m/", input]
        process.environment = ["PATH": "/usr/bin:/bin", "HOME": folder.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait until bytes are landing in the staging folder, then kill it without warning.
        var sawCopy = false
        let deadline = Date().addingTimeInterval(120)
        while !sawCopy && process.isRunning && Date() < deadline {
            let incoming = share + "/.incoming"
            for staging in (try? FileManager.default.contentsOfDirectory(atPath: incoming)) ?? [] {
                for file in (try? FileManager.default.contentsOfDirectory(atPath: incoming + "/" + staging)) ?? [] {
                    let size = (try? FileManager.default.attributesOfItem(atPath: incoming + "/" + staging + "/" + file)[.size] as? Int) ?? 0
                    if size > 1_000_000 { sawCopy = true }
                }
            }
            if !sawCopy { usleep(5_000) }
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(sawCopy, "the copy was caught in progress")
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(!FileManager.default.fileExists(atPath: output))
        #expect(ShareStore(root: share).list().isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: share) == [".incoming"])
        #expect(try Tool.exec(["/usr/bin/sha256sum", input], environment: [:]).stdout == before)
    }

    @Test("a share that fills up (a file-size limit) is exit 73: no message, no entry, no staging files")
    func shareFull() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("draft.eml").path
        try Self.message(attachment: 5_000_000, name: "video.mp4").write(toFile: input, atomically: true, encoding: .utf8)
        let share = folder.appendingPathComponent("share").path
        let run = try Tool.run(["fix", "--strategy", "link", "--limit", "1MB", "--share", share, "--share-url", "https://files.example.org/m/", input],
                               environment: ["HOME": folder.path], prefix: ["/usr/bin/prlimit", "--fsize=2000000"])
        #expect(run.status == 73)
        #expect(run.stderr.hasPrefix("mailprep: share: ") && run.stderr.contains("the message was not written"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("draft.fixed.eml").path))
        #expect(ShareStore(root: share).list().isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: share + "/.incoming").isEmpty)
    }

    @Test("a port already taken: one line saying so, exit 69")
    func portInUse() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let share = folder.appendingPathComponent("share").path
        let server = try Server(share: share, folder: folder)
        defer { server.stop() }
        let second = try Tool.run(["serve", "--share", share, "--listen", "127.0.0.1:\(server.port)"], environment: ["HOME": folder.path])
        #expect(second.status == 69)
        #expect(second.stderr == "mailprep: serve: cannot listen on 127.0.0.1:\(server.port): address already in use\n")
    }

    @Test("links need a public address: none configured, or a loopback one, is exit 78 and nothing is written")
    func refusedAddresses() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("draft.eml").path
        try Self.message(attachment: 100_000, name: "a.bin").write(toFile: input, atomically: true, encoding: .utf8)
        let share = folder.appendingPathComponent("share").path
        let missing = try Tool.run(["fix", "--strategy", "link", "--limit", "50kB", "--share", share, input], environment: ["HOME": folder.path])
        #expect(missing.status == 78)
        #expect(missing.stderr.contains("no share URL is configured"))
        let loopback = try Tool.run(["fix", "--strategy", "link", "--limit", "50kB", "--share", share, "--share-url", "http://localhost:8025/", input],
                                    environment: ["HOME": folder.path])
        #expect(loopback.status == 78 && loopback.stderr.contains("this machine's own address"))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("draft.fixed.eml").path))
        let plan = try Tool.run(["fix", "--plan", "--json", "--strategy", "link", "--limit", "50kB", "--share", share, input],
                                environment: ["HOME": folder.path])
        try Schema.validate(plan.stdout, schema: "fix-result.schema.json")
        #expect(plan.stdout.contains("\"shareURLConfigured\":false"))
        // auto without an address compresses what it can and says why it stops there.
        let auto = try Tool.run(["fix", "--limit", "50kB", "--share", share, input], environment: ["HOME": folder.path])
        #expect(auto.status == 1 && auto.stdout.contains("no share URL is configured"))
    }

    @Test("the configuration file gives the share folder, its address and the link lifetime; a bad one is exit 78")
    func configurationFile() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("draft.eml").path
        try Self.message(attachment: 100_000, name: "a.bin").write(toFile: input, atomically: true, encoding: .utf8)
        let configFolder = folder.appendingPathComponent(".config/mailprep")
        try FileManager.default.createDirectory(at: configFolder, withIntermediateDirectories: true)
        try "share: ~/shared\nshare_url: https://files.example.org/m\nexpires: 2w\n"
            .write(to: configFolder.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
        let fix = try Tool.run(["fix", "--limit", "50kB", "--json", input], environment: ["HOME": folder.path])
        #expect(fix.status == 0, "\(fix.stderr)")
        let entry = try #require(ShareStore(root: folder.appendingPathComponent("shared").path).list().first)
        #expect(abs(entry.expires.timeIntervalSince(entry.created) - 14 * 86_400) < 2)
        #expect(fix.stdout.contains("\"url\":\"https://files.example.org/m/\(entry.token)/a.bin\""))

        try "share_url: [not, a, scalar]\n".write(to: configFolder.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
        let bad = try Tool.run(["fix", "--limit", "50kB", input], environment: ["HOME": folder.path])
        #expect(bad.status == 78 && bad.stderr.contains("share_url must be a single value"))
        try "shareurl: https://x.example/\n".write(to: configFolder.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
        let typo = try Tool.run(["share", "list"], environment: ["HOME": folder.path])
        #expect(typo.status == 78 && typo.stderr.contains("unknown key shareurl"))
        try "share_url: https://files.example.org/m/\ntemplates: ~/no-such-folder\n"
            .write(to: configFolder.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
        let templates = try Tool.run(["fix", "--limit", "50kB", input], environment: ["HOME": folder.path])
        #expect(templates.status == 78 && templates.stderr == "mailprep: templates \(folder.path)/no-such-folder: no such folder\n")
    }
}

extension ServeCommandTests {
    /// `curl` asking for `count` addresses over one connection; the statuses it got, one a line.
    static func statuses(_ url: String, count: Int) throws -> [String] {
        let run = try Tool.exec(["/usr/bin/curl", "-s", "-w", "%{http_code}\\n", "--max-time", "30"]
                                    + (0..<count).flatMap { _ in ["-o", "/dev/null", url] }, environment: ["PATH": "/usr/bin:/bin"])
        return run.stdout.split(separator: "\n").map(String.init)
    }

    @Test("the access log never stops serving: a reader that never reads, or one that went away (EPIPE)",
          arguments: ["never read", "closed"])
    func accessLogReader(reader: String) throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let pipe = Pipe()
        let server = try Server(share: folder.appendingPathComponent("share").path, folder: folder, standardOutput: pipe.fileHandleForWriting)
        defer { server.stop() }
        try pipe.fileHandleForWriting.close()
        if reader == "closed" { try pipe.fileHandleForReading.close() }
        // Far more lines than a pipe holds (64 KiB, about 640 lines).
        let answers = try Self.statuses(server.url("/AAAAAAAAAAAAAAAAAAAAAA/"), count: 2_000)
        #expect(answers.count == 2_000 && answers.allSatisfy { $0 == "404" })
        #expect(server.process.isRunning)
        #expect(try Self.statuses(server.url("/AAAAAAAAAAAAAAAAAAAAAA/"), count: 1) == ["404"])
        if reader == "never read" { try pipe.fileHandleForReading.close() }
    }
}

extension ServeCommandTests {
    @Test("connections that never finish a request are closed: idle ones, and a header sent a byte at a time (slowloris)")
    func idleAndSlowClients() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try Server(share: folder.appendingPathComponent("share").path, folder: folder, extra: ["--idle-timeout", "1"])
        defer { server.stop() }
        // Twenty idle connections and twenty slow headers; each reports the seconds until the server closed it.
        let script = """
            import socket, sys, threading, time
            port = int(sys.argv[1]); results = []
            def client(slow):
                s = socket.create_connection(("127.0.0.1", port)); s.settimeout(10); start = time.time()
                try:
                    if slow:
                        s.sendall(b"GET / HTTP/1.1\\r\\nHost: x\\r\\n")
                        while True:
                            s.sendall(b"X"); time.sleep(0.2)
                    else:
                        while s.recv(1): pass
                except OSError:
                    pass
                results.append(time.time() - start)
            threads = [threading.Thread(target=client, args=(n % 2 == 0,)) for n in range(40)]
            [t.start() for t in threads]; [t.join() for t in threads]
            print(len(results), max(results))
            """
        let run = try Tool.exec(["/usr/bin/env", "python3", "-c", script, String(server.port)], environment: ProcessInfo.processInfo.environment)
        let fields = run.stdout.split(separator: " ")
        #expect(fields.first == "40", "\(run.stdout) \(run.stderr)")
        #expect((fields.last.flatMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 99) < 5)
        // The server still answers a real request at once.
        #expect(try Self.statuses(server.url("/AAAAAAAAAAAAAAAAAAAAAA/"), count: 1) == ["404"])
    }

    @Test("clients that request a file and never read cost only their own connections: a download beside forty of them finishes, and they are closed after the send time-out")
    func stalledReaders() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (entry, share, _) = try Self.linked(in: folder, size: 12_000_000, name: "video.mov")
        let server = try Server(share: share, folder: folder, extra: ["--send-timeout", "3"])
        defer { server.stop() }
        let path = "/\(entry.token)/video.mov"
        // Forty clients with a tiny receive buffer ask for the whole file and never read; once they are all
        // stalled, curl downloads it. Past the send time-out, each stalled one reads what it can: the server has
        // closed them all, with most of the file unsent.
        let script = """
            import socket, subprocess, sys, time
            port, path, target = int(sys.argv[1]), sys.argv[2], sys.argv[3]
            stalled = []
            for n in range(40):
                s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                s.connect(("127.0.0.1", port)); s.sendall(("GET %s HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n" % path).encode())
                stalled.append(s)
            time.sleep(1); start = time.time()
            curl = subprocess.run(["curl", "-s", "--max-time", "60", "-o", target, "-w", "%{http_code}", "http://127.0.0.1:%d%s" % (port, path)],
                                  capture_output=True, text=True)
            took = time.time() - start
            time.sleep(5)
            cut = 0
            for s in stalled:
                s.settimeout(10); got = 0
                try:
                    while True:
                        chunk = s.recv(1 << 16)
                        if not chunk: break
                        got += len(chunk)
                except OSError:
                    pass
                if got < 6_000_000: cut += 1
            print(curl.stdout, round(took, 1), cut)
            """
        let target = folder.appendingPathComponent("downloaded").path
        let run = try Tool.exec(["/usr/bin/env", "python3", "-c", script, String(server.port), path, target],
                                environment: ProcessInfo.processInfo.environment)
        let fields = run.stdout.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        #expect(fields.count == 3, "\(run.stdout) \(run.stderr)")
        guard fields.count == 3 else { return }
        #expect(fields[0] == "200")
        // Before the per-download budget, it got its header and then nothing for 95 s.
        #expect((Double(fields[1]) ?? 99) < 20, "the download beside stalled clients took \(fields[1]) s")
        #expect(fields[2] == "40", "stalled connections closed by the send time-out")
        let size = try FileManager.default.attributesOfItem(atPath: target)[.size] as? Int
        #expect(size == 12_000_000)
    }

    @Test("more connections than descriptors: the server caps them, does not spin, and answers once idle ones time out")
    func descriptorExhaustion() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // 128 descriptors allow 48 connections; 200 idle ones, closed after a second each.
        let server = try Server(share: folder.appendingPathComponent("share").path, folder: folder,
                                extra: ["--idle-timeout", "1"], descriptors: 128)
        defer { server.stop() }
        let script = """
            import os, socket, sys, time
            port, pid = int(sys.argv[1]), int(sys.argv[2])
            def cpu():
                fields = open("/proc/%d/stat" % pid).read().split(")")[1].split()
                return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(200)]
            before, start = cpu(), time.time()
            s = socket.create_connection(("127.0.0.1", port)); s.settimeout(30)
            s.sendall(b"GET /AAAAAAAAAAAAAAAAAAAAAA/ HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
            answer = s.recv(12).decode()
            print(answer.split()[-1], round(time.time() - start, 1), round(cpu() - before, 2))
            """
        let run = try Tool.exec(["/usr/bin/env", "python3", "-c", script, String(server.port), String(server.process.processIdentifier)],
                                environment: ProcessInfo.processInfo.environment)
        let fields = run.stdout.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        #expect(fields.count == 3, "\(run.stdout) \(run.stderr)")
        guard fields.count == 3 else { return }
        #expect(fields[0] == "404")
        // 200 idle connections in rounds of 48, a second each: about five seconds.
        #expect((Double(fields[1]) ?? 99) < 15)
        // Waiting for descriptors costs no processor time (it was a whole core before the cap).
        #expect((Double(fields[2]) ?? 99) < 1.5)
    }

    @Test("a request the parser refuses is answered 400 and logged")
    func badRequestLogged() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try Server(share: folder.appendingPathComponent("share").path, folder: folder)
        defer { server.stop() }
        let script = """
            import socket, sys
            s = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); s.settimeout(10)
            s.sendall(b"GARBAGE\\r\\n\\r\\n"); print(s.recv(12).decode())
            """
        let run = try Tool.exec(["/usr/bin/env", "python3", "-c", script, String(server.port)], environment: ProcessInfo.processInfo.environment)
        #expect(run.stdout.hasPrefix("HTTP/1.1 400"), "\(run.stdout) \(run.stderr)")
        var log = ""
        for _ in 0..<50 where !log.contains("\"-\" 400 0") {
            usleep(100_000)
            log = (try? String(contentsOf: server.log, encoding: .utf8)) ?? ""
        }
        #expect(log.contains("127.0.0.1 - - [") && log.contains("] \"-\" 400 0 \"-\" \"-\""), "\(log)")
    }
}

extension ServeCommandTests {
    /// nginx from Debian on a free loopback port, in front of `mailprep serve`, with the README's own `location`
    /// block (its port made the server's). Stopped by `stop()`.
    final class Proxy {
        let process = Process()
        let port: Int

        init(folder: URL, upstream: Int) throws {
            let readme = try String(contentsOf: Tool.root.appendingPathComponent("README.md"), encoding: .utf8)
            let start = try #require(readme.range(of: "```nginx\n"))
            let end = try #require(readme[start.upperBound...].range(of: "```"))
            let location = readme[start.upperBound..<end.lowerBound].replacingOccurrences(of: "127.0.0.1:8025", with: "127.0.0.1:\(upstream)")
            port = try Self.freePort()
            let root = folder.appendingPathComponent("nginx")
            try FileManager.default.createDirectory(at: root.appendingPathComponent("logs"), withIntermediateDirectories: true)
            let configuration = """
                daemon off;
                worker_processes 1;
                pid \(root.path)/nginx.pid;
                error_log \(root.path)/logs/error.log warn;
                events { worker_connections 64; }
                http {
                    access_log off;
                    client_body_temp_path \(root.path)/body;
                    proxy_temp_path \(root.path)/proxy;
                    server {
                        listen 127.0.0.1:\(port);
                \(location)
                    }
                }
                """
            try configuration.write(to: root.appendingPathComponent("nginx.conf"), atomically: true, encoding: .utf8)
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
            process.arguments = ["-p", root.path, "-c", root.appendingPathComponent("nginx.conf").path]
            let errors = root.appendingPathComponent("nginx.err")
            FileManager.default.createFile(atPath: errors.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: errors)
            try process.run()
            for _ in 0..<100 {
                if try Tool.exec(["/usr/bin/curl", "-s", "-o", "/dev/null", "http://127.0.0.1:\(port)/"], environment: [:]).status == 0 { break }
                usleep(50_000)
            }
        }

        /// A port nothing listens on now (the kernel's choice for port 0).
        static func freePort() throws -> Int {
            let run = try Tool.exec(["/usr/bin/python3", "-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"],
                                    environment: [:])
            return try #require(Int(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        }

        func stop() {
            process.terminate()
            process.waitUntilExit()
        }
    }

    @Test("behind nginx with a /m/ prefix (the README's block): a protected link goes to the form and, after the password as a person types it, to the file")
    func protectedLinkBehindPrefix() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let share = folder.appendingPathComponent("share").path
        let server = try Server(share: share, folder: folder)
        defer { server.stop() }
        let proxy = try Proxy(folder: folder, upstream: server.port)
        defer { proxy.stop() }

        let input = folder.appendingPathComponent("draft.eml").path
        try Self.message(attachment: 1_500_000, name: "合約 2026.pdf").write(toFile: input, atomically: true, encoding: .utf8)
        // The README's public address; curl reaches it at the proxy (--connect-to), so the message's link is
        // exactly what a recipient opens.
        let fix = try Tool.run(["fix", "--strategy", "link", "--protect", "--limit", "1MB", "--share", share,
                                "--share-url", "http://files.example.org/m/", "--json", input], environment: ["HOME": folder.path])
        #expect(fix.status == 0, "\(fix.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(fix.stdout.utf8)) as? [String: Any])
        let password = try #require(result["password"] as? String)
        let entry = try #require(ShareStore(root: share).list().first)
        let site = "http://files.example.org/m/\(entry.token)/"
        let link = site + ShareOptions.percentEncoded(entry.fileName)
        #expect(try String(contentsOfFile: folder.appendingPathComponent("draft.fixed.eml").path, encoding: .utf8).contains(link))

        let jar = folder.appendingPathComponent("cookies").path
        let curl = ["/usr/bin/curl", "-sS", "-L", "-b", jar, "-c", jar, "-w", "%{http_code} %{url_effective}",
                    "--connect-to", "files.example.org:80:127.0.0.1:\(proxy.port)"]
        // The link as it is in the message: the form, reached under the prefix.
        let form = try Tool.exec(curl + ["-o", folder.appendingPathComponent("form.html").path, link], environment: [:])
        #expect(form.stdout == "200 " + site + "?file")
        #expect(try String(contentsOfFile: folder.appendingPathComponent("form.html").path, encoding: .utf8).contains("name=\"next\" value=\"file\""))
        // The form sent as a browser sends it (to the page's address with its query), the password read off a phone.
        let typed = password.uppercased().replacingOccurrences(of: "-", with: " ")
        let download = folder.appendingPathComponent("download").path
        let sent = try Tool.exec(curl + ["-o", download, "--data-urlencode", "password=\(typed)", "-d", "next=file",
                                         site + "?file"], environment: [:])
        #expect(sent.stdout == "200 " + link, "after the password, the file itself at the link's address")
        #expect(try Tool.exec(["/usr/bin/sha256sum", download], environment: [:]).stdout.hasPrefix(entry.sha256))
        // The same cookie opens the link directly now; the token without its slash comes back under the prefix.
        #expect(try Tool.exec(curl + ["-o", "/dev/null", link], environment: [:]).stdout == "200 " + link)
        let bare = try Tool.exec(curl + ["-o", "/dev/null", String(site.dropLast())], environment: [:])
        #expect(bare.stdout == "200 " + site)
    }
}

extension ServeCommandTests {
    @Test("serve --share of a folder that is not there is one line and exit 66, not an empty share of 404s")
    func missingShare() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = folder.appendingPathComponent("Shaer").path
        let run = try Tool.run(["serve", "--share", missing, "--listen", "127.0.0.1:0"], environment: ["HOME": folder.path])
        #expect(run.status == 66)
        #expect(run.stderr == "mailprep: \(missing): no such share folder (check --share or share in the configuration file; mailprep fix makes the folder when it first shares a file)\n")
        #expect(!FileManager.default.fileExists(atPath: missing))
    }
}
