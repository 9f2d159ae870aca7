import ArgumentParser
import Foundation
import MailPrepCore

/// How the limit is chosen; shared by every command that judges a message.
struct LimitOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Judge against this provider's sending limit only (see `mailprep limits`).", valueName: "id"))
    var provider: String?

    // Unconditional: "--limit -5" is a value that is not a size, not a missing value and an unknown flag.
    @Option(name: .long, parsing: .unconditional,
            help: ArgumentHelp("Judge against this size of the encoded message only: 10MB, 10MiB, 10485760. MB = 10^6 bytes.", valueName: "size"))
    var limit: String?

    @Option(name: .customLong("limits"), help: ArgumentHelp("Add or override provider entries from a JSON file or a folder of them (one entry or an array per file), after the configuration file's limits.", valueName: "path"))
    var limitsFile: [String] = []

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Bytes kept free for headers added in transit (default 10000).", valueName: "size"))
    var margin: String?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Limit assumed for address domains not in the table (default 10240000, Postfix's default).", valueName: "size"))
    var defaultLimit: String?

    func validate() throws {
        if provider != nil && limit != nil {
            throw ValidationError("--provider and --limit both choose the limit; give one of them.")
        }
        for (name, value) in [("--limit", limit), ("--margin", margin), ("--default-limit", defaultLimit)] {
            if let value, ByteCount.parse(value) == nil {
                throw ValidationError("\(name) \(value): not a size (examples: 10MB, 10MiB, 10485760)")
            }
        }
    }

    /// The built-in table with the configuration file's `limits` and then the `--limits` files merged in. A file
    /// that cannot be used is a configuration error: one line, exit 78.
    static func table(files: [String], configuration: Configuration) throws -> ProviderTable {
        var table = ProviderTable.builtIn
        let named = configuration.limits.map { ("\(configuration.path ?? "configuration"): limits", $0) } + files.map { ("--limits", $0) }
        for (origin, file) in named {
            do {
                try table.merge(contentsOf: file)
            } catch {
                printError("\(origin) \(error.file): \(error.reason)")
                throw ExitStatus.configuration.code
            }
        }
        for (account, id) in configuration.accounts.sorted(by: { $0.key < $1.key }) where table.entry(id: id) == nil {
            printError("\(configuration.path ?? "configuration"): accounts: \(account): unknown provider \(id); known: \(table.entries.map(\.id).joined(separator: ", "))")
            throw ExitStatus.configuration.code
        }
        return table
    }

    /// The policy these options describe, over the configuration file's limits and accounts. Throws a usage error
    /// for an unknown provider, a configuration error for unusable files.
    func policy(_ configuration: Configuration) throws -> LimitPolicy {
        let table = try Self.table(files: limitsFile, configuration: configuration)
        if let provider, table.entry(id: provider) == nil {
            throw ValidationError("--provider \(provider): unknown; known: \(table.entries.map(\.id).joined(separator: ", "))")
        }
        if let provider, let entry = table.entry(id: provider), entry.send == nil, entry.receive == nil, entry.smtpSize == nil {
            throw ValidationError("--provider \(provider): the table has no size limit for it")
        }
        var policy = LimitPolicy(
            table: table,
            providerID: provider?.lowercased(),
            userLimitBytes: limit.flatMap(ByteCount.parse),
            marginBytes: margin.flatMap(ByteCount.parse) ?? LimitPolicy.defaultMarginBytes,
            unknownDomainBytes: defaultLimit.flatMap(ByteCount.parse) ?? LimitPolicy.defaultUnknownDomainBytes,
            accounts: configuration.accounts)
        // The SIZE each sender's own server advertised, where probe --save saw it.
        let observed = ObservedSizes.standard(environment: ProcessInfo.processInfo.environment)
        for (account, server) in configuration.submission {
            if let size = observed.size(server: server) { policy.submissionSizes[account] = size }
        }
        return policy
    }
}

/// Output format and language.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Machine-readable output: one JSON object per message (JSON Lines).")
    var json = false

    @Option(name: .long, help: ArgumentHelp("Language of the report, and of the link blocks fix writes: en or zh-Hant (default: from LC_ALL, LC_MESSAGES, LANG).", valueName: "code"))
    var lang: String?

    func validate() throws {
        if let lang, Language(code: lang) == nil {
            throw ValidationError("--lang \(lang): use en or zh-Hant")
        }
    }

    var language: Language {
        lang.flatMap(Language.init(code:)) ?? Language.fromEnvironment(ProcessInfo.processInfo.environment)
    }

    /// Colour only on a terminal, and never with NO_COLOR.
    var color: Bool {
        !json && isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
    }
}
