import ArgumentParser
import Foundation
import MailPrepCore

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Measure messages exactly and judge them against the limits of the sender's and recipients' providers.",
        discussion: """
            Give files, folders (every .eml below them, and Maildir cur/ and new/), or - for standard input.
            One message gets a full report; several get one line each and a summary.
            """
    )

    @Argument(help: ArgumentHelp("Message files, folders, or - for standard input.", valueName: "path"))
    var paths: [String]

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
        var files: [String] = []
        var folderMode = paths.count > 1
        for path in paths {
            if path != "-" && MessageFinder.isDirectory(path) {
                folderMode = true
                let found = MessageFinder.messages(under: path)
                if found.isEmpty {
                    printError("\(path): no messages in this folder (looked for *.eml and Maildir cur/, new/)")
                    throw ExitStatus.unreadable.code
                }
                files += found
            } else {
                files.append(path)
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
