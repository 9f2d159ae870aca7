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

    func validate() throws {
        if paths.filter({ $0 == "-" }).count > 1 {
            throw ValidationError("standard input (-) can be given once")
        }
    }

    func run() throws {
        let check = MessageCheck(policy: try limitOptions.policy())
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
        let json = output.json
        // JSON is rendered on the workers; the main thread only writes.
        let checked = BatchCheck(check: check).run(files, progress: { progress.update($0) }) { outcome in
            (outcome: outcome, json: json ? outcome.json.bytes() + [0x0A] : [])
        }
        progress.clear()
        let results = checked.map(\.outcome)

        let report = TextReport(language: output.language, color: output.color)
        var out = OutputBuffer()
        for (outcome, line) in checked {
            if case .failed(let failure) = outcome {
                out.flush()
                printError(report.catalog.failure(failure))
            }
            if json {
                out.append(line)
            } else if folderMode {
                if case .checked = outcome { out.append(report.line(outcome) + "\n") }
            } else if case .checked(let result) = outcome {
                out.append(report.render(result) + "\n")
            }
        }
        if folderMode && !json {
            out.append(report.summary(results) + "\n")
        }
        out.flush()
        let status = ExitStatus.of(results)
        if status != .fits { throw status.code }
    }
}
