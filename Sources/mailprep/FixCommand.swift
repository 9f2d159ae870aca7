import ArgumentParser
import Foundation
import MailPrepCore

extension ArchiveFormat: ExpressibleByArgument {}

struct FixCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fix",
        abstract: "Make a message fit with the least change: compress attachments that gain, best gain first.",
        discussion: """
            Writes DRAFT.fixed.eml beside the input (or -o FILE, or -o - for standard output); the input is never \
            changed unless --in-place, which keeps the original as DRAFT.eml.orig. Signed or encrypted messages are \
            refused. --plan shows what would be done, with sizes estimated from samples, and writes nothing.
            """
    )

    @Argument(help: ArgumentHelp("The message, or - for standard input.", valueName: "path"))
    var path: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the result; - for standard output.", valueName: "file"))
    var output: String?

    @Flag(help: "Show the plan with predicted sizes; write nothing.")
    var plan = false

    @Flag(help: "With --plan: compress for real (temporary files, removed) so the predicted size is exact.")
    var exact = false

    @Flag(help: "Replace an existing output file.")
    var force = false

    @Flag(help: "Replace the input, keeping the original as <input>.orig.")
    var inPlace = false

    @Option(help: ArgumentHelp("Archive format: zip (default: opens everywhere), 7z, tar.gz, tar.xz.", valueName: "format"))
    var format: ArchiveFormat?

    @Option(help: ArgumentHelp("Put every attachment that compresses into one archive of this name (its extension picks the format).", valueName: "name"))
    var bundle: String?

    @Option(help: ArgumentHelp("Compression level 1 (fastest) to 9 (smallest); default: the fastest that makes it fit.", valueName: "n"))
    var level: Int?

    @Option(help: ArgumentHelp("Compress an attachment only if it shrinks by at least this many percent (default 10).", valueName: "percent"))
    var minGain: Int = 10

    @OptionGroup var limitOptions: LimitOptions
    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        if let level, !(1...9).contains(level) { throw ValidationError("--level \(level): use 1 to 9") }
        if !(0...99).contains(minGain) { throw ValidationError("--min-gain \(minGain): use 0 to 99") }
        if exact && !plan { throw ValidationError("--exact goes with --plan") }
        if inPlace && output != nil { throw ValidationError("--in-place and --output both say where to write; give one") }
        if inPlace && path == "-" { throw ValidationError("--in-place needs a file, not standard input") }
        if let bundle, let format, let named = Self.format(of: bundle), named != format {
            throw ValidationError("--bundle \(bundle) is a \(named.rawValue) name but --format is \(format.rawValue)")
        }
    }

    /// The format a bundle's name asks for, by its extension.
    static func format(of name: String) -> ArchiveFormat? {
        ArchiveFormat.allCases.sorted { $0.fileExtension.count > $1.fileExtension.count }
            .first { name.lowercased().hasSuffix("." + $0.fileExtension) }
    }

    /// The archive format: --format, else the bundle name's, else zip.
    var archiveFormat: ArchiveFormat { format ?? bundle.flatMap(Self.format(of:)) ?? .zip }

    /// The bundle's file name, with the format's extension when it has none.
    var bundleName: String? {
        bundle.map { Self.format(of: $0) == nil ? $0 + "." + archiveFormat.fileExtension : $0 }
    }

    func run() throws {
        // Past a file-size limit, write(2) then fails with EFBIG, which is reported and cleaned up like a full disk.
        signal(SIGXFSZ, SIG_IGN)
        let job = FixJob(check: MessageCheck(policy: try limitOptions.policy()),
                         options: FixOptions(format: archiveFormat, level: level, minimumGain: Double(minGain) / 100, bundleName: bundleName))
        let destination: FixOutput
        if inPlace {
            destination = .inPlace
        } else if let output {
            destination = output == "-" ? .standardOutput : .file(output)
        } else {
            destination = .file(Self.defaultOutput(for: path))
        }
        let result: FixResult
        do {
            result = try job.run(input: path, output: destination, force: force, planOnly: plan, exactPlan: exact)
        } catch {
            throw Self.exit(for: error, language: outputOptions.language)
        }
        // With the message on standard output, the report goes to standard error.
        let toStderr = destination == .standardOutput && !plan
        if outputOptions.json {
            emit(result.json.serialized(), toStderr: toStderr)
        } else {
            let report = FixReport(language: outputOptions.language, color: !toStderr && outputOptions.color)
            emit(report.render(result), toStderr: toStderr)
        }
        if !result.fits { throw ExitStatus.over.code }
    }

    private func emit(_ text: String, toStderr: Bool) {
        let handle = toStderr ? FileHandle.standardError : FileHandle.standardOutput
        handle.write(Data((text + "\n").utf8))
    }

    /// draft.eml → draft.fixed.eml; standard input → message.fixed.eml.
    static func defaultOutput(for path: String) -> String {
        guard path != "-" else { return "message.fixed.eml" }
        if path.lowercased().hasSuffix(".eml") { return String(path.dropLast(4)) + ".fixed.eml" }
        return path + ".fixed.eml"
    }

    static func exit(for error: FixError, language: Language) -> ExitCode {
        let catalog = language.catalog
        switch error {
        case .input(let failure):
            printError(catalog.failure(failure))
            return (failure.isUnreadable ? ExitStatus.unreadable : .notAMessage).code
        case .signedOrEncrypted(let file):
            printError("\(file): signed or encrypted; changing it would break the signature or the encryption, so mailprep will not")
            return ExitStatus.notAMessage.code
        case .damagedPart(let file, let path, let filename, let problem):
            printError("\(file): part \(path)\(filename.map { " (\($0))" } ?? "") is damaged (\(problem)); mailprep will not compress it")
            return ExitStatus.notAMessage.code
        case .outputExists(let path):
            printError("\(path): exists; use --force to replace it")
            return ExitStatus.cannotWrite.code
        case .write(let failure):
            printError(failure.isNoSpace ? "\(failure.path): disk full; nothing was written" : "\(failure); nothing was written")
            return ExitStatus.cannotWrite.code
        case .archive(let failure):
            printError("libarchive: \(failure.message)")
            return ExitStatus.internalError.code
        case .internalError(let message):
            printError("internal error: \(message)")
            return ExitStatus.internalError.code
        }
    }
}
