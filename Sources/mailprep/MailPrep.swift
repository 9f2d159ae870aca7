import ArgumentParser
import MailPrepCore

@main
struct MailPrep: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mailprep",
        abstract: "Tells you, before you send, whether a message will be accepted, and why; makes it fit.",
        discussion: """
            Sizes are measured as mail servers measure them: after MIME encoding, with CRLF line endings \
            (RFC 1870). Exit status: 0 fits, 1 over a limit, 64 usage, 65 not a message (or refused), 66 unreadable, 69 cannot listen, 70 internal, 73 cannot write, 78 configuration.
            """,
        version: "mailprep 0.1.0 (\(ArchiveLibrary.version); zlib \(ZlibLibrary.version))",
        subcommands: [CheckCommand.self, FixCommand.self, LimitsCommand.self, ShareCommand.self, ServeCommand.self, SendmailCommand.self, GitValidateCommand.self, ProbeCommand.self, RelayCommand.self, WatchCommand.self]
    )
}
