import ArgumentParser
import Foundation
import MailPrepCore
import MIME

/// git send-email's `sendemail-validate` hook: each patch judged against its recipients' limits (a mailing list's
/// above all) before anything of the series is sent.
struct GitValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "git-validate",
        abstract: "git send-email's sendemail-validate hook: stop a series before a patch goes over a recipient's limit.",
        discussion: """
            git runs the hook with the patch file (and, from git 2.41, a file of the SMTP headers it will send). The \
            recipients are those headers' To, Cc and Bcc when git gives them; else the patch's own To and Cc and \
            git's sendemail.to, sendemail.cc and sendemail.bcc (and sendemail.<identity>.* of sendemail.identity), \
            and each line says which were judged. A patch over a limit exits 1, and git send-email sends nothing. \
            --install writes the hook where git looks for it (core.hooksPath respected).
            """
    )

    @Argument(help: ArgumentHelp("The patch git is about to send, and the file of its SMTP headers when git gives one.", valueName: "file"))
    var files: [String] = []

    @Flag(help: "Install mailprep as this repository's sendemail-validate hook (where git rev-parse --git-path hooks says).")
    var install = false

    @Flag(help: "With --install: replace a sendemail-validate hook that is not mailprep's.")
    var force = false

    @OptionGroup var limitOptions: LimitOptions
    @OptionGroup var output: OutputOptions

    @Option(help: ArgumentHelp("The configuration file, for its limits and accounts (default: $MAILPREP_CONFIG, else ~/.config/mailprep/config.yaml).", valueName: "file"))
    var config: String?

    func validate() throws {
        if !install && !(1...2).contains(files.count) { throw ValidationError("give the patch file (and the SMTP headers file git passes), or --install") }
    }

    func run() throws {
        let catalog = output.language.catalog
        if install { return try installHook(catalog: catalog) }
        let configuration = try Configuration.loadOrExit(explicit: config)
        let policy = try limitOptions.policy(configuration)
        let patch = files[0]
        let message: Message
        do { message = try MessageReader.parse(path: patch) } catch {
            printError(catalog.failure(MessageCheck.failure(for: error, file: patch)))
            throw ExitStatus.unreadable.code
        }
        // Who it goes to: git's own header file when there is one, else the patch and git's configuration.
        var sender = Envelope.headerSender(of: message)
        var recipients: [Mailbox]
        var from: String
        let git = GitConfiguration()
        if files.count == 2, let headers = try? MessageReader.parse(path: files[1]) {
            // Bcc is never a header git sends: its configured Bcc recipients are judged all the same.
            recipients = Envelope.headerRecipients(of: headers)
            for value in git.values("sendemail.bcc") { recipients += AddressList.parse(Array(value.utf8)) }
            sender = Envelope.headerSender(of: headers) ?? sender
            from = catalog.gitRecipientsFromGit
        } else {
            recipients = Envelope.headerRecipients(of: message)
            let identity = git.values("sendemail.identity").last
            for key in ["to", "cc", "bcc"] {
                let values = git.values("sendemail." + key) + (identity.map { git.values("sendemail.\($0).\(key)") } ?? [])
                for value in values { recipients += AddressList.parse(Array(value.utf8)) }
            }
            if sender == nil, let configured = (identity.map { git.values("sendemail.\($0).from") } ?? []).last ?? git.values("sendemail.from").last {
                sender = AddressList.parse(Array(configured.utf8)).first
            }
            from = catalog.gitRecipientsFromPatch
        }
        var seen = Set<String>()
        recipients = recipients.filter { seen.insert($0.address.lowercased()).inserted }
        let check = MessageCheck(policy: policy, envelope: Envelope(sender: sender, recipients: recipients))
        guard case .checked(let result) = check.check(message, file: patch) else {
            printError(catalog.sendNotAMessage)
            throw ExitStatus.notAMessage.code
        }
        let name = URL(fileURLWithPath: patch).lastPathComponent
        let judged = recipients.isEmpty ? catalog.gitNoRecipients : recipients.map(\.address).joined(separator: ", ")
        let binding = result.binding
        if output.json {
            print(result.json.serialized())
        }
        if result.fits {
            printError(catalog.gitFits(name, ByteCount.human(result.wireBytes), judged, from))
            return
        }
        printError(catalog.gitOver(name, ByteCount.human(result.wireBytes), Sendmail.whose(binding, catalog: catalog),
                                   ByteCount.human(binding.bytes), ByteCount.human(-binding.headroomBytes)))
        printError(catalog.gitJudged(judged, from))
        throw ExitStatus.over.code
    }

    /// Writes `sendemail-validate` into the hooks folder git uses (core.hooksPath, else .git/hooks), calling this
    /// binary by its full path.
    func installHook(catalog: Catalog) throws {
        let git = GitConfiguration()
        guard let folder = git.run(["rev-parse", "--git-path", "hooks"])?.trimmingCharacters(in: .whitespacesAndNewlines), !folder.isEmpty else {
            printError(catalog.gitNotARepository)
            throw ExitStatus.unreadable.code
        }
        let hook = folder + "/sendemail-validate"
        let marker = "mailprep git-validate"
        if let existing = try? String(contentsOfFile: hook, encoding: .utf8), !existing.contains(marker), !force {
            printError(catalog.gitHookExists(hook))
            throw ExitStatus.cannotWrite.code
        }
        let binary = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
        let script = """
            #!/bin/sh
            # \(marker): installed by `mailprep git-validate --install`. Stops git send-email before a patch goes
            # over a recipient's size limit (a mailing list's above all).
            exec '\(binary.replacingOccurrences(of: "'", with: "'\\''"))' git-validate "$@"

            """
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try script.write(toFile: hook, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: hook)
        } catch {
            printError("\(hook): \(error.localizedDescription)")
            throw ExitStatus.cannotWrite.code
        }
        print(catalog.gitHookInstalled(hook))
    }
}

/// `git config` and `git rev-parse` of the repository the command runs in.
struct GitConfiguration {
    func run(_ arguments: [String]) -> String? {
        guard let git = CommandWords.resolve("git", path: ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: git)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
    }

    /// Every value of a multi-valued key, in order.
    func values(_ key: String) -> [String] {
        (run(["config", "--get-all", key]) ?? "").split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }
}
