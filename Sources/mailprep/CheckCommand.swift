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
        var outcomes: [Int: CheckOutcome] = [:]
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
        let results = BatchCheck(check: check).run(files) { done in progress.update(done) }
        progress.clear()
        for (index, outcome) in results.enumerated() { outcomes[index] = outcome }

        let report = TextReport(language: output.language, color: output.color)
        for outcome in results {
            if case .failed(let failure) = outcome {
                printError(report.catalog.failure(failure))
            }
            if output.json {
                print(outcome.json.serialized())
            } else if folderMode {
                if case .checked = outcome { print(report.line(outcome)) }
            } else if case .checked(let result) = outcome {
                print(report.render(result))
            }
        }
        if folderMode && !output.json {
            print(report.summary(results))
        }
        let status = ExitStatus.of(results)
        if status != .fits { throw status.code }
    }
}

/// Writes one line to standard error, prefixed with the tool's name.
func printError(_ message: String) {
    FileHandle.standardError.write(Data(("mailprep: " + message + "\n").utf8))
}
