import Foundation
import Testing
import MailPrepCore

/// `mailprep relay` in front of a submission server that wants a login (Postfix, its AUTH checked by Dovecot, after
/// STARTTLS only): the client's login goes through to it, mailprep offers STARTTLS with a certificate it keeps, and
/// real mail clients send through it.
extension RelayCommandTests {
    static let password = "s3cret-kwun-tong"

    /// A Postfix that takes mail only from chan@example.hk with its password, after STARTTLS; and a relay in front
    /// of it, the client's login passed through, its state (the certificate it makes) in `folder`.
    static func authenticatingPair(folder: URL, limit: Int = 10_000_000, extra: [String] = []) throws -> (Postfix, Relay) {
        let postfix = try Postfix(limit: limit, tls: true, users: ["chan@example.hk": password])
        let relay = try Relay(upstream: postfix.port, folder: folder, extra: extra,
                              upstreamArguments: ["--upstream-tls", "starttls", "--ca-file", postfix.certificate])
        return (postfix, relay)
    }

    /// smtplib: STARTTLS verified against `certificate` (the relay's, for 127.0.0.1), then LOGIN with `user` and
    /// `password` (none: no AUTH), then the message. Prints "sent", or the code and text of the refusal.
    static func smtplibTLS(port: Int, certificate: String, user: String?, password: String?, message: URL,
                           from: String = "chan@example.hk", to: [String] = ["wong@example.org"]) throws -> String {
        let script = """
            import smtplib, ssl, sys
            port, cafile, user, password, path, sender, recipients = sys.argv[1:8]
            data = open(path, 'rb').read()
            try:
                with smtplib.SMTP('127.0.0.1', int(port), timeout=30) as s:
                    s.starttls(context=ssl.create_default_context(cafile=cafile))
                    if user:
                        s.login(user, password)
                    s.sendmail(sender, recipients.split(','), data)
                print('sent')
            except smtplib.SMTPResponseException as e:
                print(e.smtp_code, e.smtp_error.decode())
            except smtplib.SMTPRecipientsRefused as e:
                code, text = list(e.recipients.values())[0]
                print(code, text.decode())
            """
        let run = try Tool.exec(["/usr/bin/python3", "-c", script, String(port), certificate, user ?? "", password ?? "", message.path, from,
                                 to.joined(separator: ",")], environment: [:])
        return run.stdout + run.stderr
    }

    /// The certificate the relay made in its state folder (HOME is the test's folder).
    static func relayCertificate(_ folder: URL) -> String {
        folder.appendingPathComponent(".local/state/mailprep/relay-cert.pem").path
    }

    @Test("the client's login goes through to the upstream: the right password sends, byte for byte; a wrong one is the upstream's 535 and nothing is relayed; no login is 530")
    func loginPassesThrough() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (postfix, relay) = try Self.authenticatingPair(folder: folder)
        defer { relay.stop(); postfix.stop() }
        #expect(relay.port > 0, "\(relay.errorText)")
        #expect(relay.errorText.contains("made a certificate for STARTTLS: \(Self.relayCertificate(folder)), SHA-256 "), "\(relay.errorText)")

        let small = folder.appendingPathComponent("small.eml")
        let fits = SendmailCommandTests.message(attachment: 50_000)
        try fits.write(to: small)
        let certificate = Self.relayCertificate(folder)
        let sent = try Self.smtplibTLS(port: relay.port, certificate: certificate, user: "chan@example.hk", password: Self.password, message: small)
        #expect(sent == "sent\n", "\(sent) \(relay.errorText) \(postfix.log.suffix(2000))")
        let delivered = postfix.waitForDelivery(count: 1)
        #expect(delivered.count == 1)
        #expect(Postfix.asSent(delivered.first ?? Data()) == String(decoding: fits, as: UTF8.self), "byte for byte")
        #expect(postfix.log.contains("sasl_username=chan@example.hk"), "sent under the client's own login")

        let wrong = try Self.smtplibTLS(port: relay.port, certificate: certificate, user: "chan@example.hk", password: "guess", message: small)
        #expect(wrong.hasPrefix("535 5.7.8"), "\(wrong)")
        let none = try Self.smtplibTLS(port: relay.port, certificate: certificate, user: nil, password: nil, message: small)
        #expect(none.hasPrefix("530 5.7.0 Authentication required"), "\(none)")
        usleep(500_000)
        #expect(postfix.delivered.count == 1, "nothing relayed without the right login")
        let logged = relay.logText + relay.errorText
        #expect(!logged.contains(Self.password) && !logged.contains("guess") && !logged.contains("AUTH"), "no credentials in the log: \(logged)")
        #expect(relay.logText.contains("from=<chan@example.hk> recipients=1 bytes=\(fits.count) relayed 250"), "\(relay.logText)")
    }
}

extension RelayCommandTests {
    @Test("real clients send through it with STARTTLS and their login: curl (a password typed in Chinese), msmtp, swaks and git send-email; a message over the limit is refused in each with mailprep's reason")
    func realClients() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let postfix = try Postfix(limit: 10_000_000, tls: true, users: ["chan@example.hk": Self.password, "wong@example.hk": "九龍灣-2026"])
        defer { postfix.stop() }
        let relay = try Relay(upstream: postfix.port, folder: folder, extra: ["--limit", "1MB"],
                              upstreamArguments: ["--upstream-tls", "starttls", "--ca-file", postfix.certificate])
        defer { relay.stop() }
        #expect(relay.port > 0, "\(relay.errorText)")
        let certificate = Self.relayCertificate(folder)
        let environment = ["HOME": folder.path, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"]
        let small = folder.appendingPathComponent("small.eml")
        let big = folder.appendingPathComponent("big.eml")
        try SendmailCommandTests.message(attachment: 1_500_000).write(to: big)
        var expected: [String] = []
        func fits(_ number: Int, from: String = "chan@example.hk") throws {
            let message = SendmailCommandTests.message(attachment: 40_000 + number)
            try message.write(to: small)
            expected.append(String(decoding: message, as: UTF8.self))
        }

        // curl verifies the relay's certificate (made for 127.0.0.1) and logs in with a password typed in Chinese.
        try fits(1)
        let curl = ["/usr/bin/curl", "-sS", "--url", "smtp://127.0.0.1:\(relay.port)", "--ssl-reqd", "--cacert", certificate,
                    "--user", "wong@example.hk:九龍灣-2026", "--mail-from", "chan@example.hk", "--mail-rcpt", "wong@example.org"]
        let curled = try Tool.exec(curl + ["--upload-file", small.path], environment: environment)
        #expect(curled.status == 0, "curl: \(curled.stderr)")
        // curl 7.88 calls every reply to the data but 250 "Weird server reply" (exit 8); with -v the server's
        // text is there to read.
        let curlRefused = try Tool.exec(curl + ["-v", "--upload-file", big.path], environment: environment)
        #expect(curlRefused.status == 8 && curlRefused.stderr.contains("< 552-5.3.4 not sent: the message is 2.1 MB, over the 1.0 MB limit of --limit"),
                "curl: \(curlRefused.stderr.split(separator: "\n").filter { $0.hasPrefix("< ") || $0.hasPrefix("curl:") })")

        // msmtp, as a user would configure it for the relay.
        try fits(2)
        let rc = folder.appendingPathComponent("msmtprc")
        try """
            account relay
            host 127.0.0.1
            port \(relay.port)
            from chan@example.hk
            tls on
            tls_starttls on
            tls_trust_file \(certificate)
            auth plain
            user chan@example.hk
            password \(Self.password)
            account default : relay

            """.write(to: rc, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: rc.path)
        let msmtp = try Tool.exec(["/usr/bin/msmtp", "-C", rc.path, "wong@example.org"], stdin: try Data(contentsOf: small), environment: environment)
        #expect(msmtp.status == 0, "msmtp: \(msmtp.stderr)")
        let msmtpRefused = try Tool.exec(["/usr/bin/msmtp", "-C", rc.path, "wong@example.org"], stdin: try Data(contentsOf: big), environment: environment)
        #expect(msmtpRefused.status != 0 && msmtpRefused.stderr.contains("over the 1.0 MB limit of --limit"), "msmtp: \(msmtpRefused.stderr)")

        // swaks, with AUTH LOGIN and the certificate checked.
        try fits(3)
        let swaks = ["/usr/bin/swaks", "--server", "127.0.0.1", "--port", String(relay.port), "--tls", "--tls-verify", "--tls-ca-path", certificate,
                     "--auth", "LOGIN", "--auth-user", "chan@example.hk", "--auth-password", Self.password,
                     "--from", "chan@example.hk", "--to", "wong@example.org"]
        let swaked = try Tool.exec(swaks + ["--data", "@" + small.path], environment: environment)
        #expect(swaked.status == 0, "swaks: \(swaked.stdout)\(swaked.stderr)")
        let swaksRefused = try Tool.exec(swaks + ["--data", "@" + big.path], environment: environment)
        #expect(swaksRefused.stdout.contains("552-5.3.4 not sent: the message is 2.1 MB, over the 1.0 MB limit of --limit"),
                "swaks: \(swaksRefused.stdout.split(separator: "\n").filter { !$0.hasPrefix(" -> ") }.joined(separator: "\n"))")

        #expect(postfix.waitForDelivery(count: 3).count == 3)
        let delivered = postfix.delivered.map(Postfix.asSent)
        // In the order sent, byte for byte; swaks ends the data with a line end of its own (as it does straight
        // to Postfix), so its copy has one CRLF more.
        expected[2] += "\r\n"
        #expect(delivered.count == 3 && zip(delivered, expected).allSatisfy { $0 == $1 }, "each arrived byte for byte")

        // git send-email's own SMTP client, STARTTLS with the certificate checked, and its login.
        let (repository, patches) = try SendmailCommandTests.series(in: folder, big: 1_500_000)
        for (key, value) in [("sendemail.to", "wong@example.org"), ("sendemail.from", "Chan Tai Man <chan@example.hk>"),
                             ("sendemail.smtpServer", "127.0.0.1"), ("sendemail.smtpServerPort", String(relay.port)),
                             ("sendemail.smtpEncryption", "tls"), ("sendemail.smtpSSLCertPath", certificate),
                             ("sendemail.smtpUser", "chan@example.hk"), ("sendemail.smtpPass", Self.password),
                             ("sendemail.confirm", "never"), ("sendemail.suppresscc", "all")] {
            _ = try Tool.exec(["/usr/bin/git", "-C", repository.path, "config", key, value], environment: environment.merging(["GIT_CONFIG_NOSYSTEM": "1"]) { $1 })
        }
        let git = try Tool.exec(["/usr/bin/git", "-C", repository.path, "send-email", "--no-annotate", patches[0]],
                                environment: environment.merging(["GIT_CONFIG_NOSYSTEM": "1"]) { $1 })
        #expect(git.status == 0, "git send-email: \(git.stdout)\(git.stderr)")
        let gitRefused = try Tool.exec(["/usr/bin/git", "-C", repository.path, "send-email", "--no-annotate", patches[1]],
                                       environment: environment.merging(["GIT_CONFIG_NOSYSTEM": "1"]) { $1 })
        #expect(gitRefused.status != 0 && (gitRefused.stdout + gitRefused.stderr).contains("over the 1.0 MB limit of --limit"), "git send-email: \(gitRefused.stdout)\(gitRefused.stderr)")
        #expect(postfix.waitForDelivery(count: 4).count == 4)
        usleep(300_000)
        #expect(postfix.delivered.count == 4, "no refused message went upstream")
    }
}

extension RelayCommandTests {
    @Test("taking mail from the network (--allow-network, here on 127.0.0.2): AUTH is offered only after STARTTLS, and no message is taken before a login")
    func networkNeedsTLSAndLogin() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let postfix = try Postfix(limit: 10_000_000, tls: true, users: ["chan@example.hk": Self.password])
        defer { postfix.stop() }
        let relay = try Relay(upstream: postfix.port, folder: folder, extra: ["--allow-network", "--listen", "127.0.0.2:0"],
                              upstreamArguments: ["--upstream-tls", "starttls", "--ca-file", postfix.certificate])
        defer { relay.stop() }
        #expect(relay.port > 0, "\(relay.errorText)")
        let script = """
            import smtplib, ssl, sys
            port, cafile, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
            s = smtplib.SMTP('127.0.0.2', port, timeout=30)
            s.ehlo()
            print('auth before tls:', s.has_extn('auth'), s.has_extn('starttls'))
            print('mail before tls:', s.docmd('MAIL FROM:<chan@example.hk>'))
            print('auth before tls:', s.docmd('AUTH PLAIN AGNoYW5AZXhhbXBsZS5oawBub3BlCg=='))
            context = ssl.create_default_context(cafile=cafile)
            context.check_hostname = False
            s.starttls(context=context)
            s.ehlo()
            print('auth after tls:', s.has_extn('auth'))
            print('mail before login:', s.docmd('MAIL FROM:<chan@example.hk>'))
            s.login('chan@example.hk', password)
            print('mail after login:', s.docmd('MAIL FROM:<chan@example.hk>')[0])
            s.quit()
            """
        let run = try Tool.exec(["/usr/bin/python3", "-c", script, String(relay.port), Self.relayCertificate(folder), Self.password], environment: [:])
        #expect(run.stdout == """
            auth before tls: False True
            mail before tls: (530, b'5.7.0 Must issue a STARTTLS command first')
            auth before tls: (530, b'5.7.0 Must issue a STARTTLS command first')
            auth after tls: True
            mail before login: (530, b'5.7.0 Authentication required')
            mail after login: 250

            """, "\(run.stdout)\(run.stderr)")
    }
}

/// `mailprep relay` refuses a setup that would be unsafe, in one line and exit 78, before it listens.
@Suite("mailprep relay: unsafe setups")
struct RelaySetupExamples {
    @Test("a network address without --allow-network, a network relay without the client's login, a login over a plain upstream: each is exit 78 with its reason",
          arguments: [
              (["--listen", "192.0.2.1:2587"], "not a loopback address; add --allow-network"),
              (["--listen", "192.0.2.1:2587", "--allow-network", "--upstream-auth", "none"], "listening beyond this machine needs --upstream-auth passthrough"),
              (["--upstream-tls", "none"], "--upstream-auth passthrough needs --upstream-tls starttls or tls"),
          ])
    func unsafe(arguments: [String], reason: String) throws {
        let home = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: home) }
        let run = try Tool.run(["relay", "--upstream", "127.0.0.1:9"] + arguments, environment: ["HOME": home.path])
        #expect(run.status == 78)
        #expect(run.stderr.contains(reason), "\(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1)
    }
}

extension RelayCommandTests {
    @Test("neomutt with smtp_url pointing at the relay (STARTTLS, its login): an over-limit message is refused and stays in the compose menu; a fitting one is delivered")
    func neomuttSMTP() throws {
        for tool in ["/usr/bin/neomutt", "/usr/bin/tmux"] {
            try #require(FileManager.default.isExecutableFile(atPath: tool), "\(tool) is missing: ./scripts/setup --deps installs it")
        }
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (postfix, relay) = try Self.authenticatingPair(folder: folder, extra: ["--limit", "100kB"])
        defer { relay.stop(); postfix.stop() }
        #expect(relay.port > 0, "\(relay.errorText)")
        let (draft, big, small) = try SendmailCommandTests.neomuttFiles(in: folder)
        // The relay's certificate is one neomutt has accepted before (its certificate_file).
        let settings = """
            set smtp_url="smtp://chan@example.hk@127.0.0.1:\(relay.port)/"
            set smtp_pass="\(Self.password)"
            set ssl_starttls=yes
            set ssl_force_tls=yes
            set certificate_file="\(Self.relayCertificate(folder))"
            """
        let refused = try SendmailCommandTests.neomuttSends(draft: draft, attachment: big, settings: settings, home: folder,
                                                            until: ["SMTP session failed", "Mail sent"])
        // neomutt (2022-04-29, Debian 12) stays in its compose menu, the message unsent; the refusal's text does not
        // stay on its screen long enough to be read back from tmux, so the relay's log says what happened.
        #expect(refused.contains("NeoMutt: Compose") && !refused.contains("Mail sent"), "\(refused)")
        #expect(relay.logText.contains("from=<chan@example.hk> recipients=1") && relay.logText.contains(" refused 552"), "\(relay.logText)")
        usleep(300_000)
        #expect(postfix.delivered.isEmpty)
        let sent = try SendmailCommandTests.neomuttSends(draft: draft, attachment: small, settings: settings, home: folder,
                                                         until: ["Mail sent", "SMTP session failed"])
        #expect(sent.contains("Mail sent"), "\(sent)")
        let delivered = postfix.waitForDelivery(count: 1)
        #expect(delivered.count == 1 && String(decoding: delivered.first ?? Data(), as: UTF8.self).contains("note.bin"), "the attachment arrived")
    }
}

extension RelayCommandTests {
    /// An OAuth 2.0 token introspection endpoint (RFC 7662) for Dovecot to ask: "good-token" is chan@example.hk's,
    /// every other token is not active. A Python http.server on the loopback; it stands for the provider.
    final class Introspection {
        let process = Process()
        let port: Int

        init() throws {
            port = try ServeCommandTests.Proxy.freePort()
            let script = """
                import http.server, json, sys, urllib.parse
                class Handler(http.server.BaseHTTPRequestHandler):
                    def do_POST(self):
                        form = urllib.parse.parse_qs(self.rfile.read(int(self.headers.get('Content-Length', 0))).decode())
                        active = form.get('token', [''])[0] == 'good-token'
                        body = json.dumps({'active': True, 'email': 'chan@example.hk'} if active else {'active': False}).encode()
                        self.send_response(200)
                        self.send_header('Content-Type', 'application/json')
                        self.send_header('Content-Length', str(len(body)))
                        self.end_headers()
                        self.wfile.write(body)
                    def log_message(self, *arguments):
                        pass
                http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), Handler).serve_forever()
                """
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = ["-c", script, String(port)]
            try process.run()
            for _ in 0..<100 {
                if try Tool.exec(["/usr/bin/python3", "-c", "import socket; socket.create_connection(('127.0.0.1', \(port)), 1).close()"],
                                 environment: [:]).status == 0 { break }
                usleep(50_000)
            }
        }

        func stop() {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    @Test("XOAUTH2 goes through as it came: a good token sends; a bad one gets the upstream's 334 error challenge, the client's empty answer goes on, and the upstream's 535 comes back")
    func xoauth2PassesThrough() throws {
        let folder = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let introspection = try Introspection()
        defer { introspection.stop() }
        let postfix = try Postfix(limit: 10_000_000, tls: true, users: ["chan@example.hk": Self.password], oauth: introspection.port)
        defer { postfix.stop() }
        let relay = try Relay(upstream: postfix.port, folder: folder, extra: [],
                              upstreamArguments: ["--upstream-tls", "starttls", "--ca-file", postfix.certificate])
        defer { relay.stop() }
        let message = folder.appendingPathComponent("message.eml")
        try SendmailCommandTests.message(attachment: 20_000).write(to: message)
        let script = """
            import smtplib, ssl, sys
            port, cafile, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
            for token in ['good-token', 'stolen-token']:
                s = smtplib.SMTP('127.0.0.1', port, timeout=30)
                s.starttls(context=ssl.create_default_context(cafile=cafile))
                s.ehlo()
                print('offered:', 'XOAUTH2' in s.esmtp_features.get('auth', '').upper().split())
                answers = ['user=chan@example.hk\\x01auth=Bearer ' + token + '\\x01\\x01', '']
                try:
                    code, text = s.auth('XOAUTH2', lambda challenge=None: answers.pop(0))
                    s.sendmail('chan@example.hk', ['wong@example.org'], open(path, 'rb').read())
                    print(token, code, 'sent')
                except smtplib.SMTPAuthenticationError as e:
                    print(token, e.smtp_code)
                s.close()
            """
        let run = try Tool.exec(["/usr/bin/python3", "-c", script, String(relay.port), Self.relayCertificate(folder), message.path], environment: [:])
        #expect(run.stdout == "offered: True\ngood-token 235 sent\noffered: True\nstolen-token 535\n", "\(run.stdout)\(run.stderr)")
        #expect(postfix.waitForDelivery(count: 1).count == 1)
        usleep(300_000)
        #expect(postfix.delivered.count == 1, "nothing sent with the bad token")
        #expect(!(relay.logText + relay.errorText).contains("token"), "no token in the log")
    }
}

extension RelaySetupExamples {
    @Test("a fix setting that cannot work (expires: in the configuration file) is exit 78 when the relay starts, not a refusal of every message later")
    func badFixSettingAtStart() throws {
        let home = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: home) }
        let config = home.appendingPathComponent("config.yaml")
        try "expires: soon\n".write(to: config, atomically: true, encoding: .utf8)
        let run = try Tool.run(["relay", "--upstream", "127.0.0.1:9", "--upstream-auth", "none", "--upstream-tls", "none", "--config", config.path],
                               environment: ["HOME": home.path])
        #expect(run.status == 78)
        #expect(run.stderr.contains("expires soon: use a time such as 30d"), "\(run.stderr)")
        #expect(!run.stderr.contains("relaying on"))
    }
}
