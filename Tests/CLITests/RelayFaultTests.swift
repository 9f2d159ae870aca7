import Foundation
import Testing

/// The upstream fails: the client hears the right code, nothing is half-sent, no spooled file stays.
extension RelayCommandTests {
    /// An upstream that fails on purpose, in Python: `mode` is "drop" (closes the connection halfway through the
    /// data), "452" (refuses the recipient for now), "552" (refuses the data at its end) or "ok". It counts each
    /// message it took in `taken`.
    final class FaultyUpstream {
        let process = Process()
        let port: Int
        let taken: URL

        static let script = """
            import socket, sys, threading
            port, mode, taken = int(sys.argv[1]), sys.argv[2], sys.argv[3]
            server = socket.socket(); server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            server.bind(('127.0.0.1', port)); server.listen(16)
            def serve(c):
                f = c.makefile('rb')
                c.sendall(b'220 faulty ESMTP\\r\\n')
                while True:
                    line = f.readline()
                    if not line: return
                    verb = line[:4].upper()
                    if verb == b'EHLO': c.sendall(b'250-faulty\\r\\n250-PIPELINING\\r\\n250 SIZE 50000000\\r\\n')
                    elif verb == b'MAIL': c.sendall(b'250 2.1.0 Ok\\r\\n')
                    elif verb == b'RCPT':
                        c.sendall(b'452 4.5.3 mailbox full, try later\\r\\n' if mode == '452' else b'250 2.1.5 Ok\\r\\n')
                    elif verb == b'DATA':
                        c.sendall(b'354 go on\\r\\n'); got = 0
                        while True:
                            data = f.readline()
                            if not data: return
                            got += len(data)
                            if mode == 'drop' and got > 20000: c.close(); return
                            if data == b'.\\r\\n': break
                        if mode == '552': c.sendall(b'552 5.3.4 too big for this mailbox\\r\\n')
                        else:
                            open(taken, 'a').write('message\\n'); c.sendall(b'250 2.0.0 queued\\r\\n')
                    elif verb == b'RSET': c.sendall(b'250 2.0.0 Ok\\r\\n')
                    elif verb == b'QUIT': c.sendall(b'221 bye\\r\\n'); return
                    else: c.sendall(b'500 what\\r\\n')
            while True:
                c, _ = server.accept()
                threading.Thread(target=serve, args=(c,), daemon=True).start()
            """

        init(mode: String, folder: URL, name: String? = nil) throws {
            port = try ServeCommandTests.Proxy.freePort()
            taken = folder.appendingPathComponent("taken-\(name ?? mode)")
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = ["-c", Self.script, String(port), mode, taken.path]
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            for _ in 0..<100 {
                if try Tool.exec(["/usr/bin/python3", "-c", "import socket; socket.create_connection(('127.0.0.1', \(port)), 1).close()"],
                                 environment: [:]).status == 0 { break }
                usleep(50_000)
            }
        }

        var count: Int { ((try? String(contentsOf: taken, encoding: .utf8)) ?? "").split(separator: "\n").count }

        func stop() {
            // SIGKILL: Python keeps the signal mask it inherits from the test process, where SIGTERM is blocked.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    @Test("the upstream drops the connection halfway through the data, refuses the recipient (452) or the message (552), or is not there: the client hears 451, 452, 552 or 421, and no spooled file stays",
          arguments: [("drop", "451 4.4.2"), ("452", "452 4.5.3 mailbox full"), ("552", "552 5.3.4 too big for this mailbox"), ("absent", "421 4.4.1")])
    func upstreamFaults(mode: String, heard: String) throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let upstream = mode == "absent" ? nil : try FaultyUpstream(mode: mode, folder: folder)
        defer { upstream?.stop() }
        let port = try upstream?.port ?? ServeCommandTests.Proxy.freePort()
        let relay = try Relay(upstream: port, folder: folder, extra: ["--limit", "10MB"])
        defer { relay.stop() }
        let message = folder.appendingPathComponent("message.eml")
        try SendmailCommandTests.message(attachment: 200_000).write(to: message)
        let script = """
            import smtplib, sys
            try:
                with smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=30) as s:
                    s.sendmail('chan@example.hk', ['wong@example.org'], open(sys.argv[2], 'rb').read())
                print('sent')
            except smtplib.SMTPRecipientsRefused as e:
                code, text = list(e.recipients.values())[0]
                print(code, text.decode())
            except smtplib.SMTPResponseException as e:
                print(e.smtp_code, e.smtp_error.decode())
            except smtplib.SMTPServerDisconnected:
                # EHLO answered 421 and the relay closed: smtplib tries HELO on a closed connection.
                print(last)
            """
        // smtplib keeps no reply it did not like; the last one it read is kept here.
        let prelude = """
            import smtplib
            last = ''
            _getreply = smtplib.SMTP.getreply
            def getreply(self):
                global last
                code, text = _getreply(self)
                last = '%d %s' % (code, text.decode().replace('\\n', ' '))
                return code, text
            smtplib.SMTP.getreply = getreply

            """
        let outcome = try Tool.exec(["/usr/bin/python3", "-c", prelude + script, String(relay.port), message.path], environment: [:]).stdout
        #expect(outcome.hasPrefix(heard), "\(mode): \(outcome)")
        #expect(upstream?.count ?? 0 == 0, "nothing was taken upstream")
        usleep(200_000)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("mailprep-p") }.isEmpty, "no spooled file stays")
        let decision = ["drop": "relayed 451", "452": "relayed 452", "552": "relayed 552", "absent": nil][mode] ?? nil
        if let decision { #expect(relay.logText.contains(decision), "\(relay.logText)") }
    }
}

extension RelayCommandTests {
    @Test("hostile clients: commands sent in the clear after STARTTLS are dropped, a web page's HTTP POST ends the session, so do twenty bad commands, and a line too long is one refusal; 8BITMIME only when the upstream has it; the certificate made on the first run is kept for the next")
    func hostileClients() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let upstream = try FaultyUpstream(mode: "ok", folder: folder)
        defer { upstream.stop() }
        let relay = try Relay(upstream: upstream.port, folder: folder, extra: [])
        let certificate = Self.relayCertificate(folder)
        let script = """
            import socket, ssl, sys, time
            port, cafile = int(sys.argv[1]), sys.argv[2]
            def connect():
                s = socket.create_connection(('127.0.0.1', port), 10)
                f = s.makefile('rb')
                f.readline()
                return s, f
            def reply(f):
                lines = []
                while True:
                    line = f.readline().decode()
                    if not line: return ' | '.join(lines) + ' | closed'
                    lines.append(line.strip())
                    if line[3:4] != '-': return ' | '.join(lines)
            # RSET pipelined in the clear behind STARTTLS must not be answered under TLS.
            s, f = connect()
            s.sendall(b'EHLO client\\r\\n'); reply(f)
            s.sendall(b'STARTTLS\\r\\nRSET\\r\\n')
            print('starttls:', reply(f))
            t = ssl.create_default_context(cafile=cafile).wrap_socket(s, server_hostname='127.0.0.1')
            tf = t.makefile('rb')
            t.sendall(b'EHLO client\\r\\n')
            print('after tls:', reply(tf).split(' | ')[0])
            t.close()
            # A browser's cross-protocol POST, SMTP in its body.
            s, f = connect()
            s.sendall(b'POST / HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nContent-Length: 80\\r\\n\\r\\nEHLO x\\r\\nMAIL FROM:<a@example.org>\\r\\nRCPT TO:<b@example.org>\\r\\nDATA\\r\\nx\\r\\n.\\r\\n')
            print('http:', reply(f), '|', reply(f))
            s.close()
            # Twenty commands it does not know.
            s, f = connect()
            s.sendall(b'XYZZY\\r\\n' * 20)
            print('junk:', [reply(f)[:3] for _ in range(20)], reply(f))
            s.close()
            # A line too long, in two reads: one refusal, and its rest is not taken for a command of its own.
            s, f = connect()
            s.sendall(b'A' * 1500); time.sleep(0.3); s.sendall(b'AAAA\\r\\nNOOP\\r\\n')
            print('long:', reply(f), '/', reply(f))
            s.close()
            # This upstream offers no 8BITMIME: neither does the relay, and it refuses BODY=8BITMIME.
            s, f = connect()
            s.sendall(b'EHLO client\\r\\n')
            print('8bitmime offered:', '8BITMIME' in reply(f))
            s.sendall(b'MAIL FROM:<chan@example.hk> BODY=8BITMIME\\r\\n')
            print('body:', reply(f))
            s.close()
            """
        let run = try Tool.exec(["/usr/bin/python3", "-c", script, String(relay.port), certificate], environment: [:])
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "starttls: 220 2.0.0 Ready to start TLS", "\(run.stdout)\(run.stderr)")
        #expect(lines.count > 1 && lines[1] == "after tls: 250-mailprep", "the RSET sent in the clear got no answer under TLS: \(lines)")
        #expect(lines.count > 2 && lines[2] == "http: 421 4.7.0 mailprep this is SMTP, not HTTP; closing |  | closed", "\(lines)")
        #expect(lines.count > 3 && lines[3].hasPrefix("junk: [" + Array(repeating: "'500'", count: 19).joined(separator: ", ") + ", '421']"), "\(lines)")
        #expect(lines.count > 4 && lines[4] == "long: 500 5.5.2 Line too long / 250 2.0.0 Ok", "\(lines)")
        #expect(lines.count > 6 && lines[5] == "8bitmime offered: False" && lines[6] == "body: 555 5.5.4 BODY=8BITMIME is not offered here", "\(lines)")
        #expect(upstream.count == 0, "nothing was relayed")
        let first = relay.errorText
        relay.stop()
        #expect(first.contains("made a certificate for STARTTLS: \(certificate), SHA-256 "))

        let again = try Relay(upstream: upstream.port, folder: folder, extra: [])
        again.stop()
        let fingerprint = { (text: String) in text.range(of: "SHA-256 ").map { String(text[$0.upperBound...].prefix(95)) } ?? "" }
        #expect(again.errorText.contains("STARTTLS certificate: \(certificate), SHA-256 ") && fingerprint(again.errorText) == fingerprint(first),
                "the same certificate the next time: \(again.errorText)")
    }
}

extension RelayCommandTests {
    @Test("the configuration file's relay: gives one listener per real server; a relay: entry without its upstream is exit 78")
    func configuredListeners() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try FaultyUpstream(mode: "ok", folder: folder, name: "first")
        defer { first.stop() }
        let second = try FaultyUpstream(mode: "ok", folder: folder, name: "second")
        defer { second.stop() }
        let config = folder.appendingPathComponent("config.yaml")
        try """
            relay:
              - { listen: "127.0.0.1:0", upstream: "127.0.0.1:\(first.port)", upstream_tls: none, upstream_auth: none }
              - listen: "127.0.0.1:0"
                upstream: "127.0.0.1:\(second.port)"
                upstream_tls: none
                upstream_auth: none

            """.write(to: config, atomically: true, encoding: .utf8)
        let relay = try Relay(arguments: ["--config", config.path], folder: folder, listeners: 2)
        defer { relay.stop() }
        #expect(relay.ports.count == 2, "\(relay.errorText)")
        let message = folder.appendingPathComponent("message.eml")
        try SendmailCommandTests.message(attachment: 10_000).write(to: message)
        for port in relay.ports {
            #expect(try Self.smtplib(port: port, message: message) == "sent\n")
        }
        #expect(first.count == 1 && second.count == 1, "one message to each real server")

        try "relay:\n  - { listen: \"127.0.0.1:0\" }\n".write(to: config, atomically: true, encoding: .utf8)
        let bad = try Tool.run(["relay", "--config", config.path], environment: ["HOME": folder.path])
        #expect(bad.status == 78 && bad.stderr.contains("relay: each entry needs upstream: host:port"), "\(bad.stderr)")
        let none = try Tool.run(["relay"], environment: ["HOME": folder.path])
        #expect(none.status == 78 && none.stderr.contains("no real server to relay to"), "\(none.stderr)")
    }
}
