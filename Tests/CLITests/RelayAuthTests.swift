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
