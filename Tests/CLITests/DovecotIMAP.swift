import Foundation
import Testing

/// A Dovecot IMAP server of its own for a test: Debian's dovecot-imapd, its configuration, state and Maildir in a
/// temporary folder, listening on free ports of 127.0.0.1 only: plain IMAP, and IMAP over TLS with a self-signed
/// certificate for 127.0.0.1 made here (`certificate`). One user with one password; the mail is kept as nobody.
/// Needs root (as CI is).
final class DovecotIMAP {
    let root: URL
    let port: Int
    let tlsPort: Int
    let user: String
    let password: String
    private let process = Process()

    static var available: Bool { geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/lib/dovecot/imap") }

    /// `folders`: each folder's messages, written into its Maildir `cur/` in order (so UIDs are 1, 2, ...).
    /// `drafts`: the folder marked `\Drafts` (RFC 6154), by its name (not as stored on disk).
    init(user: String = "mei.chan@icloud.com", password: String = "app-password-1234", folders: [String: [Data]],
         drafts: String? = nil) throws {
        root = try Tool.temporaryFolder()
        self.user = user
        self.password = password
        port = try ServeCommandTests.Proxy.freePort()
        tlsPort = try ServeCommandTests.Proxy.freePort()
        let path = root.path
        let fm = FileManager.default
        try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        for folder in ["state", "run", "mail"] { try fm.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true) }
        for (folder, messages) in folders {
            for sub in ["cur", "new", "tmp"] {
                try fm.createDirectory(at: root.appendingPathComponent("mail/\(folder)/\(sub)"), withIntermediateDirectories: true)
            }
            for (index, message) in messages.enumerated() {
                try message.write(to: root.appendingPathComponent("mail/\(folder)/cur/\(1_000 + index).test:2,S"))
            }
        }
        _ = try Tool.exec(["/bin/chown", "-R", "65534:65534", root.appendingPathComponent("mail").path], environment: [:])
        let made = try Tool.exec(["/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                                  "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                                  "-keyout", "\(path)/key.pem", "-out", "\(path)/cert.pem"], environment: [:])
        #expect(made.status == 0, "openssl: \(made.stderr)")
        try "\(user):{PLAIN}\(password)::::::\n".write(to: root.appendingPathComponent("users"), atomically: true, encoding: .utf8)
        let configuration = """
            base_dir = \(path)/run
            state_dir = \(path)/state
            log_path = \(path)/dovecot.log
            protocols = imap
            listen = 127.0.0.1
            ssl = yes
            ssl_cert = <\(path)/cert.pem
            ssl_key = <\(path)/key.pem
            disable_plaintext_auth = no
            auth_mechanisms = plain login
            mail_location = maildir:\(path)/mail:LAYOUT=fs
            passdb {
              driver = passwd-file
              args = scheme=PLAIN username_format=%u \(path)/users
            }
            userdb {
              driver = static
              args = uid=65534 gid=65534 home=\(path)/mail
            }
            service imap-login {
              inet_listener imap {
                address = 127.0.0.1
                port = \(port)
              }
              inet_listener imaps {
                address = 127.0.0.1
                port = \(tlsPort)
                ssl = yes
              }
            }
            service anvil {
              chroot =
            }
            namespace inbox {
              inbox = yes
              separator = /
            \(drafts.map { "  mailbox \"\($0)\" {\n    special_use = \\Drafts\n  }" } ?? "")
            }

            """
        try configuration.write(to: root.appendingPathComponent("dovecot.conf"), atomically: true, encoding: .utf8)
        // No signal blocked (see DovecotAuth): Dovecot keeps the mask it inherits and would never see SIGTERM.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])",
                             "/usr/sbin/dovecot", "-F", "-c", root.appendingPathComponent("dovecot.conf").path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<200 {
            if try Tool.exec(["/usr/bin/python3", "-c", "import socket; socket.create_connection(('127.0.0.1', \(port)), 1).close()"],
                             environment: [:]).status == 0 {
                break
            }
            usleep(50_000)
        }
    }

    /// The server's self-signed certificate (PEM), for `--ca-file`.
    var certificate: String { root.appendingPathComponent("cert.pem").path }

    /// A folder's address, user percent-encoded.
    func url(_ folder: String, secure: Bool = false) -> String {
        let encoded = user.replacingOccurrences(of: "@", with: "%40")
        return secure ? "imaps://\(encoded)@127.0.0.1:\(tlsPort)/\(folder)" : "imap://\(encoded)@127.0.0.1:\(port)/\(folder)"
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: root)
    }
}
