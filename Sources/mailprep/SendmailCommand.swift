import ArgumentParser
import Foundation
import MailPrepCore
import MIME

/// `mailprep sendmail`: the sendmail that mail tools call. Judges the message against its envelope and hands it,
/// unchanged when it fits, to the real sender (`--via`, or `send_via` in the configuration file).
struct SendmailCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sendmail",
        abstract: "A sendmail for mail tools: judge each message against its envelope's limits before the real sender sends it.",
        discussion: """
            Reads one message on standard input, with sendmail's options (-t, -i, -oi, -f ADDR, -F NAME, -o..., -v, \
            --) and recipients. It fits: it goes, byte for byte, to the real sender with the same options and \
            recipients, and the real sender's exit status is mailprep's. Over a limit: --oversize fix (compress, \
            then links to the share; the default with a share URL), refuse (nothing is sent, exit 65, with the size, \
            the limit and whose it is), or warn (sent anyway). Options it does not know go to the real sender as \
            they are. mailprep's own: --via 'COMMAND', --oversize fix|refuse|warn, --keep MAILDIR (a copy of what \
            was sent after a fix), --last (what the latest fix did), --limit, --provider, --limits, --margin, \
            --default-limit, --share, --share-url, --expires, --templates, --protect, --lang, --config. Everything \
            can come from the configuration file (send_via, oversize), so `set sendmail="mailprep sendmail"` is \
            enough for mutt. Exit status: the real sender's; 65 refused; 64 usage; 75 temporary failure; 78 no \
            real sender configured.
            """
    )

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("sendmail's options and recipients, and mailprep's options.", valueName: "argument"))
    var arguments: [String] = []

    func run() throws {
        let status = Sendmail(environment: ProcessInfo.processInfo.environment).run(arguments)
        if status != 0 { throw ExitCode(status) }
    }
}

/// The work of `mailprep sendmail`, with its exit status.
struct Sendmail {
    var environment: [String: String]

    /// Set in the real sender's environment: a mailprep sendmail that finds it was called by itself.
    static let loopGuard = "MAILPREP_SENDMAIL"

    /// sysexits(3), as sendmail's callers read them.
    static let usage: Int32 = 64, dataError: Int32 = 65, temporaryFailure: Int32 = 75, configurationError: Int32 = 78

    func run(_ argv: [String]) -> Int32 {
        // Ctrl-C, SIGTERM, SIGHUP: the spool and the fix's files go with the process.
        Leftovers.removeOnSignals()
        let arguments: SendmailArguments
        do { arguments = try SendmailArguments(parsing: argv) } catch {
            switch error {
            case .missingValue(let name): printError("\(name): needs a value")
            case .unexpectedValue(let name): printError("\(name): takes no value")
            }
            return Self.usage
        }
        if let lang = arguments.value("lang"), Language(code: lang) == nil {
            printError("--lang \(lang): use en or zh-Hant")
            return Self.usage
        }
        let language = arguments.value("lang").flatMap(Language.init(code:)) ?? Language.fromEnvironment(environment)
        let catalog = language.catalog
        if arguments.has("help") {
            print(SendmailCommand.helpMessage())
            return 0
        }
        let configuration: Configuration
        do { configuration = try Configuration.load(explicit: arguments.value("config"), environment: environment) } catch {
            printError(error.description)
            return Self.configurationError
        }
        if let mode = arguments.value("oversize"), !["fix", "refuse", "warn"].contains(mode) {
            printError(catalog.sendBadOversize(mode))
            return Self.usage
        }
        // Called again from what it called (a wrapper script, `env mailprep`, a sendmail that is mailprep): a loop.
        if environment[Self.loopGuard] != nil {
            printError(catalog.sendLoop(arguments.value("via") ?? configuration.realSender(address: arguments.sender) ?? "sendmail"))
            return Self.configurationError
        }
        let log = SendLog.standard(environment: environment)
        if arguments.has("last") {
            guard let last = log.last() else {
                printError(catalog.sendNoLog(log.path))
                return 1
            }
            print(arguments.has("json") ? last : SendLogText.render(last, catalog: catalog))
            return 0
        }

        // Not a message (a queue run, SMTP on standard input, newaliases): the real sender's business alone.
        guard arguments.mode == "m" && !arguments.notAMessage else {
            guard let via = realSender(arguments, configuration: configuration, sender: arguments.sender, catalog: catalog) else {
                return Self.configurationError
            }
            return exec(via, arguments.forRealSender, input: nil, catalog: catalog)
        }

        let spool: SpooledInput
        do { spool = try SpooledInput() } catch {
            printError("\(error)")
            return Self.temporaryFailure
        }
        let message: Message
        do { message = try MessageReader.parse(path: spool.path) } catch {
            printError(catalog.sendNotAMessage)
            return Self.dataError
        }
        let headerSender = Envelope.headerSender(of: message)
        let given = arguments.sender.flatMap { $0.isEmpty || $0 == "<>" ? nil : $0 }
        let sender = given.map { Mailbox(address: $0) } ?? headerSender
        var recipients = arguments.recipients.flatMap { AddressList.parse(Array($0.utf8)) }
        if arguments.recipientsFromHeader { recipients += Envelope.headerRecipients(of: message) }
        guard let via = realSender(arguments, configuration: configuration, sender: sender?.address, catalog: catalog) else {
            return Self.configurationError
        }

        // The limits, as check and fix take them, from mailprep's own options.
        var limitArguments: [String] = []
        for name in ["limit", "provider", "limits", "margin", "default-limit"] {
            for value in arguments.own[name] ?? [] { limitArguments += ["--" + name, value] }
        }
        let policy: LimitPolicy
        do { policy = try LimitOptions.parse(limitArguments).policy(configuration) } catch let code as ExitCode {
            return code.rawValue
        } catch {
            printError(LimitOptions.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)")
            return Self.usage
        }
        let check = MessageCheck(policy: policy, envelope: Envelope(sender: sender, recipients: recipients))
        guard case .checked(let result) = check.check(message, file: "-") else {
            printError(catalog.sendNotAMessage)
            return Self.dataError
        }
        if result.fits { return exec(via, arguments.forRealSender, input: spool.path, catalog: catalog) }

        let shareURL = arguments.value("share-url") ?? configuration.shareURL
        let mode = arguments.value("oversize") ?? configuration.oversize ?? (shareURL == nil ? "refuse" : "fix")
        let binding = result.binding
        let whose = Self.whose(binding, catalog: catalog)
        let over = ByteCount.human(-binding.headroomBytes)
        switch mode {
        case "warn":
            printError(catalog.sendWarned(ByteCount.human(result.wireBytes), ByteCount.human(binding.bytes), whose))
            record(log, result: result, action: "warned", fixed: nil)
            return exec(via, arguments.forRealSender, input: spool.path, catalog: catalog)
        case "refuse":
            printError(catalog.sendRefused(ByteCount.human(result.wireBytes), ByteCount.human(binding.bytes), whose, over))
            if let hint = compressionHint(spool.path, check: check, shareURL: shareURL, catalog: catalog) { printError(hint) }
            record(log, result: result, action: "refused", fixed: nil)
            return Self.dataError
        case "fix":
            return fix(spool.path, result: result, check: check, arguments: arguments, configuration: configuration, via: via,
                       log: log, language: language)
        default:
            printError(catalog.sendBadOversize(mode))
            return Self.usage
        }
    }

    /// "recipient wong@qq.com (QQ Mail)".
    static func whose(_ limit: AppliedLimit, catalog: Catalog) -> String {
        catalog.who(limit) + (limit.providerName.map { " (\($0))" } ?? "")
    }

    /// What compression alone would make of it, for a refusal.
    func compressionHint(_ path: String, check: MessageCheck, shareURL: String?, catalog: Catalog) -> String? {
        let job = FixJob(check: check, options: FixOptions(strategy: .compress))
        guard let plan = try? job.run(input: path, output: .standardOutput, force: false, planOnly: true), !plan.plan.compressions.isEmpty else {
            return shareURL == nil ? catalog.sendLinksNeedURL : nil
        }
        let size = ByteCount.human(plan.predictedWireBytes)
        return plan.fits ? catalog.sendCompressWouldFit(ArchiveFormat.zip.rawValue, size) : catalog.sendCompressNotEnough(size, shareURL != nil)
    }

    /// `--oversize fix`: what `mailprep fix` does, into a private temporary file, then that goes to the real sender.
    /// When it cannot be made to fit, or the real sender fails, nothing has gone out and the files put into the share
    /// for it are removed again.
    func fix(_ path: String, result: CheckResult, check: MessageCheck, arguments: SendmailArguments, configuration: Configuration,
             via: [String], log: SendLog, language: Language) -> Int32 {
        let catalog = language.catalog
        var fixArguments = ["--strategy", "auto", "--lang", language.rawValue]
        for name in ["share", "share-url", "expires", "templates", "config"] {
            if let value = arguments.value(name) { fixArguments += ["--" + name, value] }
        }
        if arguments.has("protect") { fixArguments.append("--protect") }
        let temporary = environment["TMPDIR"] ?? "/tmp"
        guard let folder = Leftovers.makeFolder(in: temporary, purpose: "sendmail") else {
            printError("\(temporary): \(String(cString: strerror(errno)))")
            return Self.temporaryFailure
        }
        defer { Leftovers.removeFolder(folder) }
        let output = folder + "/message.eml"
        let fixed: FixResult
        let command: FixCommand
        do {
            command = try FixCommand.parse(fixArguments + [path])
            fixed = try FixJob(check: check, options: try command.fixOptions()).run(input: path, output: .file(output), force: true, planOnly: false)
        } catch let error as FixError {
            let failure = FixCommand.describe(error, catalog: catalog)
            printError(failure.message)
            // A full disk or a share that cannot be written may pass: 75 keeps the message in the client's outbox.
            switch failure.status {
            case .configuration: return Self.configurationError
            case .cannotWrite, .unreadable: return Self.temporaryFailure
            case .internalError: return ExitStatus.internalError.rawValue
            default: return Self.dataError
            }
        } catch let code as ExitCode {
            return code.rawValue == ExitStatus.configuration.rawValue ? Self.configurationError : code.rawValue
        } catch {
            printError("\(error)")
            return Self.usage
        }
        let store = command.shareFolder.store(configuration)
        guard fixed.fits, fixed.output != nil else {
            printError(catalog.sendFixNotEnough(ByteCount.human(fixed.wireBytes ?? fixed.predictedWireBytes)))
            fixed.takeBackShared(from: store)
            record(log, result: result, action: "refused", fixed: fixed)
            return Self.dataError
        }
        let status = exec(via, arguments.forRealSender, input: output, catalog: catalog)
        guard status == 0 else {
            printError(catalog.sendRealSenderFailed(status, fixed.takeBackShared(from: store)))
            return status
        }
        if let keep = arguments.value("keep") {
            do { try Maildir.deliver(file: output, into: keep) } catch { printError("--keep \(keep): \(error)") }
        }
        record(log, result: result, action: "fixed", fixed: fixed)
        let linked = Set(fixed.plan.links.map { $0.shared?.token ?? $0.path }).count
        printError(catalog.sendFixed(ByteCount.human(result.wireBytes), ByteCount.human(fixed.wireBytes ?? fixed.predictedWireBytes),
                                     Set(fixed.plan.compressions.map { $0.archiveName ?? $0.path }).count, linked))
        return 0
    }

    /// One log line: when, which message, to whom, what was decided, and after a fix what changed, the links and
    /// the password.
    func record(_ log: SendLog, result: CheckResult, action: String, fixed: FixResult?) {
        var fields: [(String, JSONValue)] = [
            ("time", .string(LinkBlock.isoDate(Date()))), ("action", .string(action)),
            ("subject", .optional(result.subject)), ("from", .optional(result.sender?.address)),
            ("recipients", .array(result.recipients.map { .string($0.address) })),
            ("wireBytes", .int(result.wireBytes)), ("limit", result.binding.json),
        ]
        if let fixed {
            fields.append(("fixedWireBytes", fixed.wireBytes.map(JSONValue.int) ?? .null))
            fields.append(("actions", .array(fixed.plan.actions.filter { $0.kind != .keep }.map(\.json))))
            var seen = Set<String>()
            fields.append(("links", .array(fixed.plan.links.compactMap(\.url).filter { seen.insert($0).inserted }.map(JSONValue.string))))
            fields.append(("password", .optional(fixed.password)))
        }
        do { try log.append(.object(fields)) } catch { printError("\(log.path): \(error)") }
    }

    /// The real sender's command words: `--via`, else the configuration's for this sender. Nil (and said why) when
    /// there is none, or it is mailprep itself.
    func realSender(_ arguments: SendmailArguments, configuration: Configuration, sender: String?, catalog: Catalog) -> [String]? {
        guard let text = arguments.value("via") ?? configuration.realSender(address: sender), let words = CommandWords.split(text), !words.isEmpty else {
            printError(catalog.sendNoRealSender)
            return nil
        }
        guard let program = CommandWords.resolve(words[0], path: environment["PATH"] ?? "/usr/bin:/bin") else {
            printError(catalog.sendCannotRun(text, "not found"))
            return nil
        }
        if CommandWords.isThisProgram(program) {
            printError(catalog.sendLoop(text))
            return nil
        }
        return [program] + words.dropFirst()
    }

    /// Runs the real sender with `input` (a file) as standard input, its outputs this process's, and gives its exit
    /// status; killed by a signal, 75, so the client keeps the message.
    func exec(_ command: [String], _ arguments: [String], input: String?, catalog: Catalog) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst()) + arguments
        var childEnvironment = environment
        childEnvironment[Self.loopGuard] = "1"
        process.environment = childEnvironment
        if let input {
            guard let handle = FileHandle(forReadingAtPath: input) else {
                printError(catalog.sendCannotRun(command[0], "cannot read \(input)"))
                return Self.temporaryFailure
            }
            process.standardInput = handle
        }
        do { try process.run() } catch {
            printError(catalog.sendCannotRun(command[0], "\(error.localizedDescription)"))
            return Self.configurationError
        }
        process.waitUntilExit()
        return process.terminationReason == .exit ? process.terminationStatus : Self.temporaryFailure
    }
}

/// A command in one string, as `--via` and `send_via` give it: words split on spaces, with '...' and "..." quoting
/// and backslash escapes, as a shell would for a simple command (nothing else is expanded).
enum CommandWords {
    static func split(_ text: String) -> [String]? {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
                continue
            }
            if let open = quote {
                if character == open { quote = nil } else if character == "\\" && open == "\"" { escaped = true } else { current.append(character) }
                continue
            }
            switch character {
            case "\\": escaped = true; inWord = true
            case "'", "\"": quote = character; inWord = true
            case " ", "\t", "\n":
                if inWord { words.append(current) }
                current = ""
                inWord = false
            default:
                current.append(character)
                inWord = true
            }
        }
        guard quote == nil, !escaped else { return nil }
        if inWord { words.append(current) }
        return words
    }

    /// The program's path: as given when it has a slash, else the first executable of that name on `path`.
    static func resolve(_ name: String, path: String) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        for folder in path.split(separator: ":") where !folder.isEmpty {
            let candidate = folder + "/" + name
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// True when `program` (through any links) is the running binary: a `--via` that would call mailprep again.
    static func isThisProgram(_ program: String) -> Bool {
        guard let target = realpath(program, nil) else { return false }
        defer { free(target) }
        let own = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
        #if os(Linux)
        let running = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? own
        #else
        let running = own
        #endif
        return String(cString: target) == running
    }
}

/// `--last` for people: the latest log record in words.
enum SendLogText {
    static func render(_ line: String, catalog: Catalog) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return line }
        var lines: [String] = []
        let time = object["time"] as? String ?? "?"
        let action = object["action"] as? String ?? "?"
        lines.append("\(time)  \(action)  \(object["subject"] as? String ?? "")")
        if let from = object["from"] as? String {
            lines.append("  " + catalog.sendLogFromTo(from, ((object["recipients"] as? [String]) ?? []).joined(separator: ", ")))
        }
        let before = (object["wireBytes"] as? Int).map { ByteCount.human(Int64($0)) } ?? "?"
        let after = (object["fixedWireBytes"] as? Int).map { " → " + ByteCount.human(Int64($0)) } ?? ""
        lines.append("  \(before)\(after)")
        for action in object["actions"] as? [[String: Any]] ?? [] {
            lines.append("  \(action["action"] as? String ?? "")  \(action["filename"] as? String ?? action["path"] as? String ?? "")")
        }
        for link in object["links"] as? [String] ?? [] { lines.append("  " + link) }
        if let password = object["password"] as? String { lines.append("  " + catalog.fixPassword(password)) }
        return lines.map(TerminalText.escaped).joined(separator: "\n")
    }
}
