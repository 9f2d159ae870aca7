import ArgumentParser
import Foundation
import MailPrepCore
import MailPrepIMAP

/// How `check` and `fix` reach an IMAP server: the CA to trust, where the password is, and whether plain IMAP may
/// cross the network.
struct IMAPOptions: ParsableArguments {
    @Option(help: ArgumentHelp("IMAP: trust this CA bundle (a private server's certificate) instead of the system's.", valueName: "file"))
    var caFile: String?

    @Option(help: ArgumentHelp("IMAP: the netrc file with the password (default: ~/.netrc); $MAILPREP_IMAP_PASSWORD comes first.", valueName: "file"))
    var netrcFile: String?

    @Flag(help: "IMAP: let imap:// to a host other than this machine go on without TLS when the server offers no STARTTLS (the password would cross the network in the clear).")
    var allowPlainImap = false

    /// Logs in to `url`'s server: the password from $MAILPREP_IMAP_PASSWORD, else the netrc file.
    func connect(_ url: IMAPURL) throws(IMAPError) -> IMAPConnection {
        try IMAPConnection(server: url.server, user: url.user, password: ProcessInfo.processInfo.environment["MAILPREP_IMAP_PASSWORD"],
                           netrcFile: netrcFile, caFile: caFile,
                           startTLS: url.isLoopback ? .never : (allowPlainImap ? .ifOffered : .required))
    }
}
