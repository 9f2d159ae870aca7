import ArgumentParser
import Foundation
import MailPrepCore
import MIME
import MailPrepIMAP

extension ArchiveFormat: ExpressibleByArgument {}
extension FixStrategy: ExpressibleByArgument {}

struct FixCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fix",
        abstract: "Make a message fit with the least change: compress attachments that gain, then link as few as it can.",
        discussion: """
            Writes DRAFT.fixed.eml beside the input (Drafts-3.fixed.eml for an mbox's Drafts#3; FOLDER-UIDn.fixed.eml \
            here for an IMAP message, imaps://user@host/FOLDER/;UID=n) (or -o FILE, or -o - for standard output; a message read from \
            standard input goes to standard output, as a filter's does); the input is never \
            changed unless --in-place, which keeps the original as DRAFT.eml.orig. Signed or encrypted messages are \
            refused. --plan shows what would be done, with sizes estimated from samples, and writes nothing.

            When compression is not enough, as few attachments as can make it fit move to the file share (weighed \
            after compression) and a download link takes \
            their place (in the text and HTML bodies, and an X-Mailprep-Link header each). Links need the share's \
            public address (--share-url, or share_url in the configuration file); mailprep will not mail a link \
            that only this machine can open.
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

    @Option(help: ArgumentHelp("For FILE#N of an mbox: how its writer quoted body lines that begin with From: mboxo (default), mboxrd (as check takes it).", valueName: "quoting"))
    var mboxQuoting: MboxQuoting = .mboxo

    @Flag(help: "Replace an existing output file.")
    var force = false

    @Flag(help: "Replace the input, keeping the original as <input>.orig (in a Maildir, in the folder that holds cur/).")
    var inPlace = false

    @Option(help: ArgumentHelp("Archive format: zip (default: opens everywhere), 7z, tar.gz, tar.xz.", valueName: "format"))
    var format: ArchiveFormat?

    @Option(help: ArgumentHelp("Put every attachment that compresses into one archive of this name (its extension picks the format); when one link to one file is not enough, every attachment goes into it, in the share, behind one link.", valueName: "name"))
    var bundle: String?

    @Option(help: ArgumentHelp("Compression level 1 (fastest) to 9 (smallest); default: the fastest that makes it fit.", valueName: "n"))
    var level: Int?

    @Option(help: ArgumentHelp("Compress an attachment only if it shrinks by at least this many percent.", valueName: "percent"))
    var minGain: Int = 10

    @Option(help: ArgumentHelp("auto (compress, then link as few attachments as make it fit), compress, link, or remove (compress, then leave out as few as make it fit, with a note of each).", valueName: "strategy"))
    var strategy: FixStrategy = .auto

    @Option(help: ArgumentHelp("With --strategy link: link every attachment larger than this (10MB); default: as many as needed.", valueName: "size"))
    var linkOver: String?

    @Option(help: ArgumentHelp("The share's public address, e.g. https://files.example.org/m/ (default: share_url in the configuration file).", valueName: "url"))
    var shareURL: String?

    @Option(help: ArgumentHelp("How long links work: 30d (default), 12h, 2w.", valueName: "time"))
    var expires: String?

    @Flag(help: "Reuse an unexpired shared file with the same content and name instead of sharing it again.")
    var dedupe = false

    @Flag(help: "Downloads ask for a password, made up now and shown to you (never written into the message).")
    var protect = false

    @Option(help: ArgumentHelp("Folder with your own link.txt.mustache and link.html.mustache (default: templates in the configuration folder).", valueName: "folder"))
    var templates: String?

    @OptionGroup var imap: IMAPOptions
    @OptionGroup var shareFolder: ShareFolderOptions
    @OptionGroup var limitOptions: LimitOptions
    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        if let level, !(1...9).contains(level) { throw ValidationError("--level \(level): use 1 to 9") }
        if !(0...99).contains(minGain) { throw ValidationError("--min-gain \(minGain): use 0 to 99") }
        if exact && !plan { throw ValidationError("--exact goes with --plan") }
        if inPlace && output != nil { throw ValidationError("--in-place and --output both say where to write; give one") }
        if inPlace && path == "-" { throw ValidationError("--in-place needs a file, not standard input") }
        if let linkOver, ByteCount.parse(linkOver) == nil { throw ValidationError("--link-over \(linkOver): not a size (examples: 10MB, 5MiB)") }
        if linkOver != nil && strategy != .link { throw ValidationError("--link-over goes with --strategy link") }
        if let expires, Configuration.lifetime(expires) == nil { throw ValidationError("--expires \(expires): use a time such as 30d, 12h, 2w") }
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
        // Ctrl-C, SIGTERM, SIGHUP: the temporary files and pending shared files of this run go with it.
        Leftovers.removeOnSignals()
        let job = FixJob(check: MessageCheck(policy: try limitOptions.policy(try shareFolder.configuration())), options: try fixOptions())
        var imapDefaultOutput: String?
        // One message of an mbox (FILE#N), an .emlx file: fixed from a copy, written beside the mailbox.
        // One on an IMAP server (…/;UID=n): downloaded, fixed, written here.
        var location: MessageLocation?
        var download: SpooledInput?
        if IMAPURL.isIMAP(path) {
            let catalog = outputOptions.language.catalog
            let url: IMAPURL
            do {
                url = try IMAPURL(path)
                try url.checkTransport(allowPlain: imap.allowPlainImap)
            } catch {
                printError(catalog.imapURLProblem(path, error))
                throw ExitStatus.usage.code
            }
            guard let uid = url.uid else {
                printError(catalog.fixIMAPOne(path))
                throw ExitStatus.usage.code
            }
            if inPlace {
                throw Self.exit(for: .insideMailbox(file: path), file: path, language: outputOptions.language, json: outputOptions.json)
            }
            do {
                let connection = try imap.connect(url)
                var failure: IMAPError?
                download = try SpooledInput { write in
                    withoutActuallyEscaping(write) { write in
                        do throws(IMAPError) { try IMAPFolderCheck.download(url, on: connection, into: write) } catch { failure = error }
                    }
                }
                if let failure { throw failure }
            } catch let error as IMAPError {
                printError(catalog.imapFailure(url.folderName, error))
                throw CheckCommand.status(for: error).code
            } catch {
                // The temporary copy could not be written (a full disk): nothing was left behind.
                throw Self.exit(for: .write(error as? FileError ?? FileError(path: path, errno: EIO, operation: "write")), file: path,
                                language: outputOptions.language, json: outputOptions.json)
            }
            location = download.map { MessageLocation.file($0.path) }
            imapDefaultOutput = "\(url.folder.isEmpty ? "INBOX" : url.folder.split(separator: "/").last.map(String.init) ?? "INBOX")-UID\(uid).fixed.eml"
        } else if path != "-" {
            let found = MessageFinder.resolve(path, quoting: mboxQuoting.quoting)
            switch found.first {
            case .failed(let failure):
                throw Self.exit(for: .input(failure), file: path, language: outputOptions.language, json: outputOptions.json)
            case .message(let one) where found.count == 1:
                location = one
            default:
                if MessageFinder.isDirectory(path) {
                    throw Self.exit(for: .input(CheckFailure(file: path, kind: .isDirectory)), file: path,
                                    language: outputOptions.language, json: outputOptions.json)
                }
                printError(outputOptions.language.catalog.fixOneOf(path, found.count))
                throw ExitStatus.usage.code
            }
        }
        let destination: FixOutput
        if inPlace {
            destination = .inPlace
        } else if let output {
            destination = output == "-" ? .standardOutput : .file(output)
        } else if path == "-" {
            // Nothing to be beside: a filter, as `fix - -o -`.
            destination = .standardOutput
        } else {
            destination = .file(imapDefaultOutput ?? Self.defaultOutput(for: path, location: location))
        }
        let result: FixResult
        do {
            result = try job.run(input: path, location: location, output: destination, force: force, planOnly: plan, exactPlan: exact)
        } catch {
            // With the message on standard output, the JSON goes to standard error, as a report does.
            throw Self.exit(for: error, file: path, language: outputOptions.language, json: outputOptions.json,
                            toStderr: destination == .standardOutput && !plan)
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

    /// The options, with the share's settings from flags, else the configuration file.
    func fixOptions() throws -> FixOptions {
        let configuration = try shareFolder.configuration()
        let environment = ProcessInfo.processInfo.environment
        var lifetime: TimeInterval = 30 * 86_400
        if let text = expires ?? configuration.expires {
            guard let value = Configuration.lifetime(text) else {
                printError("\(configuration.path ?? "configuration"): expires \(text): use a time such as 30d, 12h, 2w")
                throw ExitStatus.configuration.code
            }
            lifetime = value
        }
        // A folder named by a flag or the configuration must exist: a typo should not quietly give the built-in texts.
        if let named = templates ?? configuration.templates {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: named, isDirectory: &isFolder), isFolder.boolValue else {
                printError("templates \(named): no such folder")
                throw ExitStatus.configuration.code
            }
        }
        let templatesFolder = templates ?? configuration.templates ?? Configuration.defaultFolder(environment: environment) + "/templates"
        let share = MailPrepCore.ShareOptions(
            store: shareFolder.store(configuration), baseURL: shareURL ?? configuration.shareURL, lifetime: lifetime, dedupe: dedupe,
            protect: protect, block: LinkBlock(language: outputOptions.language, templatesFolder: templatesFolder))
        return FixOptions(format: archiveFormat, level: level, minimumGain: Double(minGain) / 100, bundleName: bundleName,
                          strategy: strategy, linkOver: linkOver.flatMap(ByteCount.parse), share: share)
    }

    /// draft.eml → draft.fixed.eml, beside it; Drafts#3 (an mbox's third) → Drafts-3.fixed.eml; 12.emlx → 12.fixed.eml.
    static func defaultOutput(for path: String, location: MessageLocation? = nil) -> String {
        if let location, location.format == .mbox, let index = location.index { return "\(location.path)-\(index).fixed.eml" }
        if let location, location.format == .emlx {
            let name = location.path
            for suffix in [".partial.emlx", ".emlx"] where name.lowercased().hasSuffix(suffix) {
                return String(name.dropLast(suffix.count)) + ".fixed.eml"
            }
        }
        if path.lowercased().hasSuffix(".eml") { return String(path.dropLast(4)) + ".fixed.eml" }
        return path + ".fixed.eml"
    }

    /// Prints the one-line error (and, with `--json`, the run's object on standard output) and gives the exit status.
    static func exit(for error: FixError, file: String, language: Language, json: Bool, toStderr: Bool = false) -> ExitCode {
        let failure = describe(error, catalog: language.catalog)
        printError(failure.message)
        if json {
            let english = language == .english ? failure : describe(error, catalog: Language.english.catalog)
            let object: JSONValue
            if case .input(let checkFailure) = error {
                object = checkFailure.json
            } else {
                object = .object([("file", .string(file)),
                                  ("error", .object([("code", .string(failure.code)), ("message", .string(english.message))]))])
            }
            (toStderr ? FileHandle.standardError : FileHandle.standardOutput).write(Data((object.serialized() + "\n").utf8))
        }
        return failure.status.code
    }

    /// What went wrong: a stable code for JSON, the line for people (from the catalogue), and the exit status.
    static func describe(_ error: FixError, catalog: Catalog) -> (code: String, message: String, status: ExitStatus) {
        let (code, status): (String, ExitStatus)
        switch error {
        case .input(let failure): (code, status) = (failure.kind.rawValue, failure.isUnreadable ? .unreadable : .notAMessage)
        case .signedOrEncrypted: (code, status) = ("signed-or-encrypted", .notAMessage)
        case .insideMailbox: (code, status) = ("inside-mailbox", .usage)
        case .partialEMLX: (code, status) = ("partial-emlx", .notAMessage)
        case .damagedPart: (code, status) = ("damaged-part", .notAMessage)
        case .outputExists: (code, status) = ("output-exists", .cannotWrite)
        case .write(let failure): (code, status) = (failure.isNoSpace ? "disk-full" : "cannot-write", .cannotWrite)
        case .archive: (code, status) = ("archive-failed", .internalError)
        case .shareURL(.missing): (code, status) = ("share-url-missing", .configuration)
        case .shareURL(.invalid): (code, status) = ("share-url-invalid", .configuration)
        case .shareURL(.loopback): (code, status) = ("share-url-loopback", .configuration)
        case .share(.write): (code, status) = ("share-write-failed", .cannotWrite)
        case .share(.verificationFailed): (code, status) = ("share-verification-failed", .cannotWrite)
        case .share(.unreadableMetadata): (code, status) = ("share-metadata-unreadable", .cannotWrite)
        case .template: (code, status) = ("template-invalid", .configuration)
        case .internalError: (code, status) = ("internal-error", .internalError)
        }
        return (code, catalog.fixError(error, catalog), status)
    }
}
