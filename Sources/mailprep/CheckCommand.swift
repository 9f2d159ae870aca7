import ArgumentParser
import Foundation
import MailPrepCore
import MIME

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Measure messages exactly and judge them against the limits of the sender's and recipients' providers.",
        discussion: """
            Give message files, mbox files (every message in them, or FILE#N for the Nth), Apple Mail .emlx files, \
            folders (every .eml, .emlx, mbox, MH message and Maildir cur/ and new/ below them), or - for standard \
            input. One message gets a full report; several get one line each and a summary.
            """
    )

    @Argument(help: ArgumentHelp("Message files, mbox files (FILE#N for one message), folders, or - for standard input.", valueName: "path"))
    var paths: [String]

    @Option(help: ArgumentHelp("How the mbox files' writer quoted body lines that begin with From: mboxo (default: Python's mailbox, mutt, Thunderbird), mboxrd. Files framed by Content-Length (mboxcl2) are read as they are.", valueName: "quoting"))
    var mboxQuoting: MboxQuoting = .mboxo

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
        for path in paths {
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
        BatchCheck(check: check).run(files, progress: { progress.update($0) }, transform: { outcome -> Rendered in
            var text: [UInt8] = []
            if json {
                text = outcome.json.bytes() + [0x0A]
            } else if case .checked(let result) = outcome {
                text = Array(((single ? report.render(result) : report.line(outcome)) + "\n").utf8)
            }
            var error: String?
            if case .failed(let failure) = outcome { error = report.catalog.failure(failure) }
            return Rendered(item: CheckSummaryItem(outcome), stdout: text, stderr: error)
        }, emit: { rendered in
            state.write(rendered, keepingItem: summarize)
        })
        progress.clear()
        if summarize {
            state.out.append(report.summary(state.items) + "\n")
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

/// The `--mbox-quoting` choices.
enum MboxQuoting: String, ExpressibleByArgument, CaseIterable {
    case mboxo, mboxrd

    var quoting: FromQuoting { self == .mboxo ? .mboxo : .mboxrd }
}
