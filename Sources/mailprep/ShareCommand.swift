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
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        let state = entry.isExpired(at: now) ? "expired" : "until \(formatter.string(from: entry.expires))"
        return "\(entry.token)  \(ByteCount.human(entry.size))  \(state)  \(entry.downloads) downloads  \(entry.fileName)"
            + (entry.messageID.map { "  \($0)" } ?? "") + "\n"
    }

    static func json(_ entry: ShareEntry) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return Array((try? encoder.encode(entry)) ?? Data("{}".utf8)) + [0x0A]
    }
}
