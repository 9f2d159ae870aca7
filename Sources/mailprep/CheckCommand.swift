import ArgumentParser
import Foundation
import MailPrepCore
import MIME
import MailPrepIMAP

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Measure messages exactly and judge them against the limits of the sender's and recipients' providers.",
        discussion: """
            Give message files, mbox files (every message in them, or FILE#N for the Nth), Apple Mail .emlx files, \
            folders (every .eml, .emlx, mbox, MH message and Maildir cur/ and new/ below them), IMAP folders \
            (imaps://user@host/Folder, or /;UID=n for one message; the password from $MAILPREP_IMAP_PASSWORD or a \
            netrc file), or - for standard input. One message gets a full report; several get one line each and a \
            summary.
            """
    )

    @Argument(help: ArgumentHelp("Message files, mbox files (FILE#N for one message), folders, or - for standard input.", valueName: "path"))
    var paths: [String]

    @Option(help: ArgumentHelp("How the mbox files' writer quoted body lines that begin with From: mboxo (default: Python's mailbox, mutt, Thunderbird), mboxrd. Files framed by Content-Length (mboxcl2) are read as they are.", valueName: "quoting"))
    var mboxQuoting: MboxQuoting = .mboxo

    @Flag(help: "IMAP: download every message and count it, instead of the server's RFC822.SIZE and BODYSTRUCTURE figures.")
    var exact = false

    @OptionGroup var imap: IMAPOptions

    @OptionGroup var limitOptions: LimitOptions
    @OptionGroup var output: OutputOptions

    @Option(help: ArgumentHelp("The configuration file, for its limits and accounts (default: $MAILPREP_CONFIG, else ~/.config/mailprep/config.yaml).", valueName: "file"))
    var config: String?

    func validate() throws {
        if paths.filter({ $0 == "-" }).count > 1 {
            throw ValidationError("standard input (-) can be given once")
        }
    }

    func run() throws {
        let check = MessageCheck(policy: try limitOptions.policy(try Configuration.loadOrExit(explicit: config)))
        var files: [MessageLocation] = []
        var unresolved: [CheckFailure] = []
        var folderMode = paths.count > 1
        // IMAP addresses are checked for what they ask (TLS, no password in them) before anything is done.
        var servers: [IMAPURL] = []
        for path in paths where IMAPURL.isIMAP(path) {
            do {
                let url = try IMAPURL(path)
                try url.checkTransport(allowPlain: imap.allowPlainImap)
                servers.append(url)
                if url.uid == nil { folderMode = true }
            } catch {
                printError(output.language.catalog.imapURLProblem(path, error))
                throw ExitStatus.usage.code
            }
        }
        for path in paths where !IMAPURL.isIMAP(path) {
            let found = MessageFinder.resolve(path, quoting: mboxQuoting.quoting)
            if found.isEmpty {
                printError(output.language.catalog.noMessagesIn(path))
                throw ExitStatus.unreadable.code
            }
            if MessageFinder.isDirectory(path) || found.count > 1 { folderMode = true }
            for item in found {
                switch item {
                case .message(let location): files.append(location)
                case .failed(let failure): unresolved.append(failure)
                }
            }
        }
        let progress = ProgressLine(total: files.count, catalog: output.language.catalog,
                                    enabled: folderMode && !output.json && isatty(STDOUT_FILENO) == 1 && isatty(STDERR_FILENO) == 1)
        // Each outcome is rendered on its worker and written in order as soon as the ones before it are:
        // memory stays small however many messages there are.
        let json = output.json
        let single = !folderMode
        let summarize = folderMode && !json
        let report = TextReport(language: output.language, color: output.color)
        let state = StreamState()
        for failure in unresolved {
            state.write(Rendered(item: CheckSummaryItem(.failed(failure)),
                                 stdout: json ? CheckOutcome.failed(failure).json.bytes() + [0x0A] : [],
                                 stderr: report.catalog.failure(failure)), keepingItem: summarize)
        }
        let render = { @Sendable (outcome: CheckOutcome) -> Rendered in
            var text: [UInt8] = []
            if json {
                text = outcome.json.bytes() + [0x0A]
            } else if case .checked(let result) = outcome {
                text = Array(((single ? report.render(result) : report.line(outcome)) + "\n").utf8)
            }
            var error: String?
            if case .failed(let failure) = outcome { error = report.catalog.failure(failure) }
            return Rendered(item: CheckSummaryItem(outcome), stdout: text, stderr: error)
        }
        BatchCheck(check: check).run(files, progress: { progress.update($0) }, transform: render, emit: { rendered in
            state.write(rendered, keepingItem: summarize)
        })
        progress.clear()
        for url in servers {
            let folderProgress = ProgressLine(total: 0, catalog: output.language.catalog,
                                              enabled: folderMode && !json && isatty(STDOUT_FILENO) == 1 && isatty(STDERR_FILENO) == 1)
            do {
                let connection = try imap.connect(url)
                var count = 0
                try IMAPFolderCheck(check: check, exact: exact).run(url, on: connection, progress: { folderProgress.update($0, of: $1) }) {
                    count += 1
                    state.write(render($0), keepingItem: summarize)
                }
                folderProgress.clear()
                if count == 0 {
                    // As for an empty local folder.
                    state.out.flush()
                    printError(output.language.catalog.imapEmpty(url.folderName))
                    state.status = state.status.worst(.unreadable)
                }
                if !exact && !json && !single { state.serverSized = true }
            } catch {
                folderProgress.clear()
                state.out.flush()
                printError(output.language.catalog.imapFailure(url.folderName, error))
                state.status = state.status.worst(Self.status(for: error))
            }
        }
        if summarize && !state.items.isEmpty {
            state.out.append(report.summary(state.items) + "\n")
            if state.serverSized { state.out.append(report.catalog.serverSizesNote + "\n") }
        }
        state.out.flush()
        if state.status != .fits { throw state.status.code }
    }
}

/// One outcome, rendered for standard output and standard error.
struct Rendered: Sendable {
    var item: CheckSummaryItem
    var stdout: [UInt8]
    var stderr: String?
}

/// What the ordered writer keeps while a folder streams out: the output buffer, the status so far, and the small
/// per-message facts the summary needs.
final class StreamState: @unchecked Sendable {
    var out = OutputBuffer()
    var items: [CheckSummaryItem] = []
    var status = ExitStatus.fits
    /// Some results are an IMAP server's figures (said once under the summary).
    var serverSized = false

    /// Called in order, one at a time (BatchCheck serialises the calls).
    func write(_ rendered: Rendered, keepingItem: Bool) {
        if let error = rendered.stderr {
            out.flush()
            printError(error)
        }
        out.append(rendered.stdout)
        status = status.worst(ExitStatus.of(rendered.item))
        if keepingItem { items.append(rendered.item) }
    }
}

extension CheckCommand {
    static func status(for error: IMAPError) -> ExitStatus {
        switch error {
        case .unreachable: .unavailable
        case .tls, .protocolError: .protocolFailure
        case .login: .noPermission
        case .refused, .noDraftsFolder, .noSuchUID: .unreadable
        case .noStartTLS: .protocolFailure
        case .tooLarge: .protocolFailure
        }
    }
}

/// The `--mbox-quoting` choices.
enum MboxQuoting: String, ExpressibleByArgument, CaseIterable {
    case mboxo, mboxrd

    var quoting: FromQuoting { self == .mboxo ? .mboxo : .mboxrd }
}
