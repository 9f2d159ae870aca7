import Foundation
import Testing

/// A Postfix of its own for a test: Debian's postfix, with its configuration, queue and Maildir in a temporary
/// folder, listening on a free port of 127.0.0.1 only, with `message_size_limit` set and every address of
/// `domains` delivered into one Maildir. Started in the foreground (`postfix start-fg`), stopped by `stop()`.
/// Postfix runs as root and hands its work to its own user, so this needs root (as CI is).
final class Postfix {
    let root: URL
    let port: Int
    let limit: Int
    private let process = Process()
    private var dovecot: DovecotAuth?

    static var available: Bool { geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/postfix") }

    /// `tls`: STARTTLS offered, with a self-signed certificate for "localhost" (and 127.0.0.1) made here, at
    /// `certificate`. `users`: AUTH (PLAIN, LOGIN, after STARTTLS only) checked by a Dovecot of its own against
    /// these names and passwords, and required for every message, as a provider's submission port does.
    /// `extra`: more main.cf lines.
    init(limit: Int, domains: [String] = ["example.org", "example.com", "example.hk", "icloud.com", "gmail.com", "qq.com"],
         tls: Bool = false, users: [String: String] = [:], oauth: Int? = nil, extra: [String] = []) throws {
        root = try Tool.temporaryFolder()
        self.limit = limit
        port = try ServeCommandTests.Proxy.freePort()
        let path = root.path
        for folder in ["etc", "queue", "data", "mail"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        // Postfix's own user must reach its folders; the Maildir is written as nobody (virtual_uid_maps).
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        _ = try Tool.exec(["/bin/chown", "postfix", root.appendingPathComponent("data").path], environment: [:])
        _ = try Tool.exec(["/bin/chown", "65534:65534", root.appendingPathComponent("mail").path], environment: [:])
        var tlsLines: [String] = []
        if tls {
            let made = try Tool.exec(["/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                                      "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                                      "-keyout", root.appendingPathComponent("etc/key.pem").path,
                                      "-out", root.appendingPathComponent("etc/cert.pem").path], environment: [:])
            #expect(made.status == 0, "openssl: \(made.stderr)")
            tlsLines = ["smtpd_tls_cert_file = \(path)/etc/cert.pem", "smtpd_tls_key_file = \(path)/etc/key.pem", "smtpd_tls_security_level = may"]
        }
        var authLines: [String] = []
        if !users.isEmpty {
            dovecot = try DovecotAuth(folder: root.appendingPathComponent("dovecot"), users: users, oauth: oauth)
            authLines = ["smtpd_sasl_auth_enable = yes", "smtpd_sasl_type = dovecot", "smtpd_sasl_path = \(dovecot!.socket)",
                         "smtpd_tls_auth_only = yes", "smtpd_recipient_restrictions = permit_sasl_authenticated, reject"]
        }
        let main = """
            compatibility_level = 3.6
            queue_directory = \(path)/queue
            data_directory = \(path)/data
            mail_owner = postfix
            setgid_group = postdrop
            syslog_name = postfix-mailprep-test
            maillog_file = /dev/stdout
            inet_interfaces = 127.0.0.1
            inet_protocols = ipv4
            myhostname = mailprep-test.localdomain
            mydestination =
            mynetworks = 127.0.0.0/8
            relay_domains =
            smtpd_relay_restrictions = permit_mynetworks, reject
            message_size_limit = \(limit)
            virtual_mailbox_domains = \(domains.joined(separator: ", "))
            virtual_mailbox_base = \(path)/mail
            virtual_mailbox_maps = static:inbox/
            virtual_uid_maps = static:65534
            virtual_gid_maps = static:65534
            virtual_minimum_uid = 1
            # Postfix will not deliver past a mailbox limit smaller than the message limit: none here.
            virtual_mailbox_limit = 0
            mailbox_size_limit = 0
            smtputf8_enable = no

            """ + (tlsLines + authLines + extra).map { $0 + "\n" }.joined()
        try main.write(to: root.appendingPathComponent("etc/main.cf"), atomically: true, encoding: .utf8)
        // Debian's master.cf, its smtp service moved to our port on the loopback.
        let master = try String(contentsOfFile: "/etc/postfix/master.cf", encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("smtp      inet") ? "127.0.0.1:\(port) inet n - n - - smtpd" : String($0) }.joined(separator: "\n")
        try master.write(to: root.appendingPathComponent("etc/master.cf"), atomically: true, encoding: .utf8)
        let log = root.appendingPathComponent("maillog")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/postfix")
        process.arguments = ["-c", root.appendingPathComponent("etc").path, "start-fg"]
        process.standardOutput = try FileHandle(forWritingTo: log)
        process.standardError = process.standardOutput
        try process.run()
        for _ in 0..<200 {
            if (try? String(contentsOf: log, encoding: .utf8))?.contains("daemon started") == true,
               try Tool.exec(["/usr/bin/python3", "-c", "import socket; socket.create_connection(('127.0.0.1', \(port)), 1).close()"],
                             environment: [:]).status == 0 {
                break
            }
            usleep(50_000)
        }
    }

    /// The self-signed certificate of a `tls` Postfix (PEM).
    var certificate: String { root.appendingPathComponent("etc/cert.pem").path }

    /// An msmtp configuration that sends to this Postfix, without TLS or AUTH (the loopback).
    func msmtpConfiguration(from: String = "chan@example.hk") throws -> String {
        let file = root.appendingPathComponent("msmtprc")
        try "defaults\naccount test\nhost 127.0.0.1\nport \(port)\nfrom \(from)\nauth off\ntls off\naccount default : test\n"
            .write(to: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        return file.path
    }

    /// The messages delivered so far, oldest first.
    var delivered: [Data] {
        let folder = root.appendingPathComponent("mail/inbox/new")
        // In the order delivered: by the time each file was written, to the nanosecond. Postfix's Maildir names
        // (seconds, then device and inode) sort two messages of the same second by inode, which is no order.
        func written(_ name: String) -> (Int, Int, String) {
            var info = stat()
            guard stat(folder.appendingPathComponent(name).path, &info) == 0 else { return (0, 0, name) }
            return (info.st_mtim.tv_sec, info.st_mtim.tv_nsec, name)
        }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).map(written).sorted { $0 < $1 }.map(\.2)
        return names.compactMap { FileManager.default.contents(atPath: folder.appendingPathComponent($0).path) }
    }

    /// Waits until `count` messages have been delivered (or `seconds` have passed) and returns them.
    func waitForDelivery(count: Int, seconds: Double = 20) -> [Data] {
        let deadline = Date().addingTimeInterval(seconds)
        while delivered.count < count && Date() < deadline { usleep(50_000) }
        return delivered
    }

    var log: String { (try? String(contentsOf: root.appendingPathComponent("maillog"), encoding: .utf8)) ?? "" }

    func stop() {
        _ = try? Tool.exec(["/usr/sbin/postfix", "-c", root.appendingPathComponent("etc").path, "stop"], environment: [:])
        process.waitUntilExit()
        dovecot?.stop()
        try? FileManager.default.removeItem(at: root)
    }

    /// A delivered message as the sender wrote it: without the header fields Postfix adds (Return-Path,
    /// Delivered-To, Received), with CRLF line ends (the Maildir file has LF).
    static func asSent(_ delivered: Data) -> String {
        var text = String(decoding: delivered, as: UTF8.self)
        for name in ["Return-Path", "X-Original-To", "Delivered-To", "Received"] {
            while let range = text.range(of: "^\(name): [^\n]*\n([ \t][^\n]*\n)*", options: .regularExpression) {
                text.removeSubrange(range)
            }
        }
        return text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n")
    }
}

/// Dovecot as an authentication service only (no IMAP, no POP3): a passwd-file of the given users, its socket for
/// Postfix's SASL. Debian's dovecot-core, started in the foreground with a configuration of its own.
final class DovecotAuth {
    let folder: URL
    let socket: String
    private let process = Process()

    /// `oauth`: XOAUTH2 and OAUTHBEARER too, the token checked by the OAuth 2.0 introspection endpoint (RFC 7662)
    /// on that loopback port.
    init(folder: URL, users: [String: String], oauth: Int? = nil) throws {
        self.folder = folder
        socket = folder.appendingPathComponent("auth").path
        let path = folder.path
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("state"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("run"), withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        try users.sorted { $0.key < $1.key }.map { "\($0.key):{PLAIN}\($0.value)::::::\n" }.joined()
            .write(to: folder.appendingPathComponent("users"), atomically: true, encoding: .utf8)
        let configuration = """
            base_dir = \(path)/run
            state_dir = \(path)/state
            log_path = \(path)/dovecot.log
            protocols =
            ssl = no
            disable_plaintext_auth = no
            auth_mechanisms = plain login\(oauth == nil ? "" : " xoauth2 oauthbearer")
            passdb {
              driver = passwd-file
              args = scheme=PLAIN username_format=%u \(path)/users
              mechanisms = plain login
            }
            \(oauth == nil ? "" : """
            passdb {
              driver = oauth2
              mechanisms = xoauth2 oauthbearer
              args = \(path)/oauth2.conf.ext
            }
            """)
            userdb {
              driver = static
              args = uid=65534 gid=65534 home=/nonexistent
            }
            service auth {
              unix_listener \(socket) {
                mode = 0666
              }
            }

            """
        try configuration.write(to: folder.appendingPathComponent("dovecot.conf"), atomically: true, encoding: .utf8)
        if let oauth {
            try """
                introspection_mode = post
                introspection_url = http://127.0.0.1:\(oauth)/introspect
                username_attribute = email
                active_attribute = active
                active_value = true

                """.write(to: folder.appendingPathComponent("oauth2.conf.ext"), atomically: true, encoding: .utf8)
        }
        // Started with no signal blocked: a child inherits the test process's mask, and Dovecot, which does not
        // clear it, would never see the SIGTERM that stops it.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])",
                             "/usr/sbin/dovecot", "-F", "-c", folder.appendingPathComponent("dovecot.conf").path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<100 {
            if FileManager.default.fileExists(atPath: socket) { break }
            usleep(50_000)
        }
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}
