import ArgumentParser
import Foundation
import MailPrepCore

struct ShareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "share",
        abstract: "The local file share that download links point to.",
        subcommands: [List.self, Remove.self, Prune.self]
    )

    /// `--lang`, for the share's listings.
    struct LanguageOption: ParsableArguments {
        @Option(name: .long, help: ArgumentHelp("Language of the listing: en or zh-Hant (default: from LC_ALL, LC_MESSAGES, LANG).", valueName: "code"))
        var lang: String?

        func validate() throws {
            if let lang, Language(code: lang) == nil { throw ValidationError("--lang \(lang): use en or zh-Hant") }
        }

        var catalog: Catalog {
            (lang.flatMap(Language.init(code:)) ?? Language.fromEnvironment(ProcessInfo.processInfo.environment)).catalog
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "What is shared: sizes, expiry, downloads, from which message, and each file's address.")

        @OptionGroup var shareOptions: ShareFolderOptions
        @Option(help: ArgumentHelp("The share's public address, for each file's link (default: share_url in the configuration file).", valueName: "url"))
        var shareURL: String?
        @Flag(help: "One JSON object per shared file.")
        var json = false
        @OptionGroup var language: LanguageOption

        func run() throws {
            let configuration = try shareOptions.configuration()
            let store = shareOptions.store(configuration)
            let base = (shareURL ?? configuration.shareURL).map { ShareOptions(store: store, baseURL: $0, block: LinkBlock(language: .english)) }
            let entries = store.list()
            let catalog = language.catalog
            var out = OutputBuffer()
            for entry in entries {
                let url = base.map { $0.url(token: entry.token, fileName: entry.fileName) }
                if json {
                    out.append(ShareLines.json(entry, url: url))
                } else {
                    out.append(ShareLines.text(entry, now: Date(), catalog: catalog))
                    if let url { out.append("    " + TerminalText.escaped(url) + "\n") }
                }
            }
            if !json { out.append(catalog.shareSummary(entries.count, ByteCount.human(entries.reduce(0) { $0 + $1.size }), store.root) + "\n") }
            out.flush()
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete shared files now: by token, or every file that came from a message.",
            discussion: "Their links stop working at once (404). A token that is not in the share is an error (exit 66), one that cannot be deleted too (exit 73); the others are still removed.")

        @Argument(help: ArgumentHelp("Tokens, as share list shows them.", valueName: "token"))
        var tokens: [String] = []
        @Option(help: ArgumentHelp("Remove every file shared from the message with this Message-ID (with or without the angle brackets).", valueName: "id"))
        var messageID: [String] = []
        @Flag(help: "Say what would be removed; remove nothing.")
        var dryRun = false
        @OptionGroup var shareOptions: ShareFolderOptions
        @OptionGroup var language: LanguageOption

        func validate() throws {
            if tokens.isEmpty && messageID.isEmpty { throw ValidationError("give the tokens to remove, or --message-id") }
        }

        func run() throws {
            let store = shareOptions.store(try shareOptions.configuration())
            let catalog = language.catalog
            let entries = store.list()
            var chosen: [ShareEntry] = []
            var missing: [String] = []
            for token in tokens {
                if let entry = entries.first(where: { $0.token == token }) {
                    if !chosen.contains(entry) { chosen.append(entry) }
                } else {
                    missing.append(catalog.shareUnknownToken(TerminalText.escaped(token)))
                }
            }
            for id in messageID {
                let matching = entries.filter { $0.messageID.map(Self.bare) == Self.bare(id) }
                if matching.isEmpty { missing.append(catalog.shareNoneFromMessage(TerminalText.escaped(id))) }
                for entry in matching where !chosen.contains(entry) { chosen.append(entry) }
            }
            var out = OutputBuffer()
            var failed: [String] = []
            var removed = 0
            for entry in chosen {
                if !dryRun && !store.remove(entry) {
                    failed.append(catalog.shareCannotRemove(entry.token, store.root))
                    continue
                }
                removed += 1
                out.append(catalog.shareRemoving(dryRun) + ShareLines.text(entry, now: Date(), catalog: catalog))
            }
            out.append(catalog.shareRemoved(removed, dryRun) + "\n")
            out.flush()
            for line in missing + failed { printError(line) }
            if !failed.isEmpty { throw ExitStatus.cannotWrite.code }
            if !missing.isEmpty { throw ExitStatus.unreadable.code }
        }

        /// A Message-ID as compared: without angle brackets and surrounding space.
        static func bare(_ id: String) -> String {
            var text = id.trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("<") && text.hasSuffix(">") && text.count >= 2 { text = String(text.dropFirst().dropLast()) }
            return text
        }
    }

    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete what has expired.")

        @OptionGroup var shareOptions: ShareFolderOptions
        @Flag(help: "Say what would be deleted; delete nothing.")
        var dryRun = false
        @OptionGroup var language: LanguageOption

        func run() throws {
            let store = shareOptions.store(try shareOptions.configuration())
            let catalog = language.catalog
            let removed = store.prune(dryRun: dryRun)
            var out = OutputBuffer()
            for entry in removed { out.append(catalog.sharePruning(dryRun) + ShareLines.text(entry, now: Date(), catalog: catalog)) }
            out.append(catalog.sharePruned(removed.count, dryRun) + "\n")
            out.flush()
        }
    }
}

/// How shared files are listed.
enum ShareLines {
    static func text(_ entry: ShareEntry, now: Date, catalog: Catalog) -> String {
        let state = entry.isExpired(at: now) ? catalog.shareExpired : catalog.shareUntil(String(LinkBlock.isoDate(entry.expires).prefix(10)))
        return "\(entry.token)  \(ByteCount.human(entry.size))  \(state)  \(catalog.shareDownloads(entry.downloads))"
            + (entry.isProtected ? "  " + catalog.sharePassword : "") + "  " + TerminalText.escaped(entry.fileName)
            + (entry.messageID.map { "  " + TerminalText.escaped($0) } ?? "") + "\n"
    }

    /// One entry for tools: what the metadata says, but only whether there is a password, never its hash; `url`
    /// when the share's address is known.
    static func json(_ entry: ShareEntry, url: String?) -> [UInt8] {
        let value = JSONValue.object([
            ("token", .string(entry.token)), ("fileName", .string(entry.fileName)),
            ("originalName", entry.originalName.map(JSONValue.string) ?? .null), ("contentType", .string(entry.contentType)),
            ("size", .int(entry.size)), ("sha256", .string(entry.sha256)), ("created", .string(LinkBlock.isoDate(entry.created))),
            ("expires", .string(LinkBlock.isoDate(entry.expires))), ("messageID", entry.messageID.map(JSONValue.string) ?? .null),
            ("downloads", .int(Int64(entry.downloads))), ("protected", .bool(entry.isProtected)),
            ("url", url.map(JSONValue.string) ?? .null),
        ])
        return Array((value.serialized() + "\n").utf8)
    }
}
