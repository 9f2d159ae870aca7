import ArgumentParser
import Foundation
import MailPrepCore

struct ShareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "share",
        abstract: "The local file share that download links point to.",
        subcommands: [List.self, Prune.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "What is shared: sizes, expiry, from which message.")

        @OptionGroup var shareOptions: ShareFolderOptions
        @Flag(help: "One JSON object per shared file.")
        var json = false

        func run() throws {
            let store = shareOptions.store(try shareOptions.configuration())
            let entries = store.list()
            var out = OutputBuffer()
            for entry in entries {
                if json {
                    out.append(ShareLines.json(entry))
                } else {
                    out.append(ShareLines.text(entry, now: Date()))
                }
            }
            if !json { out.append("\(entries.count) shared, \(ByteCount.human(entries.reduce(0) { $0 + $1.size })) in \(store.root)\n") }
            out.flush()
        }
    }

    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete what has expired.")

        @OptionGroup var shareOptions: ShareFolderOptions
        @Flag(help: "Say what would be deleted; delete nothing.")
        var dryRun = false

        func run() throws {
            let store = shareOptions.store(try shareOptions.configuration())
            let removed = store.prune(dryRun: dryRun)
            var out = OutputBuffer()
            for entry in removed { out.append((dryRun ? "would delete " : "deleted ") + ShareLines.text(entry, now: Date())) }
            out.append("\(removed.count) expired \(dryRun ? "(nothing deleted)" : "deleted")\n")
            out.flush()
        }
    }
}

/// How shared files are listed.
enum ShareLines {
    static func text(_ entry: ShareEntry, now: Date) -> String {
        let state = entry.isExpired(at: now) ? "expired" : "until \(LinkBlock.isoDate(entry.expires).prefix(10))"
        return "\(entry.token)  \(ByteCount.human(entry.size))  \(state)  \(entry.downloads) downloads"
            + (entry.isProtected ? "  password" : "") + "  " + TerminalText.escaped(entry.fileName) + (entry.messageID.map { "  " + TerminalText.escaped($0) } ?? "") + "\n"
    }

    /// One entry for tools: what the metadata says, but only whether there is a password, never its hash.
    static func json(_ entry: ShareEntry) -> [UInt8] {
        let value = JSONValue.object([
            ("token", .string(entry.token)), ("fileName", .string(entry.fileName)),
            ("originalName", entry.originalName.map(JSONValue.string) ?? .null), ("contentType", .string(entry.contentType)),
            ("size", .int(entry.size)), ("sha256", .string(entry.sha256)), ("created", .string(LinkBlock.isoDate(entry.created))),
            ("expires", .string(LinkBlock.isoDate(entry.expires))), ("messageID", entry.messageID.map(JSONValue.string) ?? .null),
            ("downloads", .int(Int64(entry.downloads))), ("protected", .bool(entry.isProtected)),
        ])
        return Array((value.serialized() + "\n").utf8)
    }
}
