import ArgumentParser
import Foundation
import MailPrepCore

struct LimitsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "limits",
        abstract: "Show the provider table: limits, domains, large-file services and sources.",
        discussion: """
            The table check and fix judge by: the built-in entries, with the configuration file's limits and any \
            --limits files merged in, and the configuration file's accounts.
            """
    )

    @Option(help: ArgumentHelp("Show only this provider's entry (an id, as in the list: icloud, gmail, ...).", valueName: "id"))
    var provider: String?

    @Option(name: .customLong("limits"), help: ArgumentHelp("Merge the entries of this JSON file or folder into the table shown, as check and fix would.", valueName: "path"))
    var limitsFile: [String] = []

    @Option(help: ArgumentHelp("The configuration file, for its limits and accounts (default: $MAILPREP_CONFIG, else ~/.config/mailprep/config.yaml).", valueName: "file"))
    var config: String?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("The margin to show, as check and fix would keep it (default 10000).", valueName: "size"))
    var margin: String?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("The limit to show for address domains not in the table, as check and fix would assume it (default 10240000).", valueName: "size"))
    var defaultLimit: String?

    @Flag(name: .long, help: "The table as one JSON object.")
    var json = false

    @Option(name: .long, help: ArgumentHelp("Language of the table: en or zh-Hant (default: from LC_ALL, LC_MESSAGES, LANG).", valueName: "code"))
    var lang: String?

    @Flag(name: .shortAndLong, help: "Show the source and notes of every figure.")
    var verbose = false

    func validate() throws {
        if let lang, Language(code: lang) == nil { throw ValidationError("--lang \(lang): use en or zh-Hant") }
        for (name, value) in [("--margin", margin), ("--default-limit", defaultLimit)] {
            if let value, ByteCount.parse(value) == nil { throw ValidationError("\(name) \(value): not a size (examples: 10MB, 10MiB, 10485760)") }
        }
    }

    func run() throws {
        let configuration = try Configuration.loadOrExit(explicit: config)
        var table = try LimitOptions.table(files: limitsFile, configuration: configuration)
        if let provider {
            guard let entry = table.entry(id: provider) else {
                throw ValidationError("--provider \(provider): unknown; known: \(table.entries.map(\.id).joined(separator: ", "))")
            }
            table = ProviderTable(entries: [entry])
        }
        let report = LimitsReport(policy: LimitPolicy(
            table: table,
            marginBytes: margin.flatMap(ByteCount.parse) ?? LimitPolicy.defaultMarginBytes,
            unknownDomainBytes: defaultLimit.flatMap(ByteCount.parse) ?? LimitPolicy.defaultUnknownDomainBytes,
            accounts: provider == nil ? configuration.accounts : [:]))
        if json {
            print(report.json().serialized())
        } else {
            let language = lang.flatMap(Language.init(code:)) ?? Language.fromEnvironment(ProcessInfo.processInfo.environment)
            print(report.text(language: language, verbose: verbose))
        }
    }
}
