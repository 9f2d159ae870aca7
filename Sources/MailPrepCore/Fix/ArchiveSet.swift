import Dispatch
import Foundation
import MIME

/// The archives made for one fix: temporary files beside the output, compressed in parallel, removed when done.
final class ArchiveSet: @unchecked Sendable {
    struct Made {
        var path: String
        var bytes: Int64
        var level: Int
        var seconds: Double
        /// The entities whose files are in it, in message order (one, or a bundle's).
        var members: [Int]
    }

    let folder: String
    /// Every archive made, by its members and level.
    private(set) var made: [ArchiveKey: Made] = [:]
    private let lock = Lock()
    /// The first error of a parallel run.
    private var failure: (any Error)?

    init(folder: String) {
        self.folder = folder
    }

    deinit {
        for archive in made.values {
            unlink(archive.path)
            Leftovers.unregister(archive.path)
        }
    }

    /// The archives these actions need: one per attachment, or one for all bundled ones.
    static func groups(_ actions: [FixAction]) -> [[FixAction]] {
        let bundled = actions.filter(\.bundled).sorted { $0.entity < $1.entity }
        return actions.filter { !$0.bundled }.map { [$0] } + (bundled.isEmpty ? [] : [bundled])
    }

    static func key(_ group: [FixAction]) -> ArchiveKey {
        ArchiveKey(members: group.map(\.entity), level: group[0].level ?? 6)
    }

    /// Every archive `plan` needs: its compressions', and its linked bundle's (made here, then put into the share).
    static func needed(by plan: FixPlan) -> [[FixAction]] {
        let bundled = plan.links.filter(\.bundled).sorted { $0.entity < $1.entity }
        return groups(plan.compressions) + (bundled.isEmpty ? [] : [bundled])
    }

    /// The archives `plan` needs that are not made yet.
    func missing(for plan: FixPlan) -> [[FixAction]] {
        Self.needed(by: plan).filter { made[Self.key($0)] == nil }
    }

    /// The archive of `plan`'s linked bundle, once made.
    func linkedBundle(of plan: FixPlan) -> Made? {
        let bundled = plan.links.filter(\.bundled).sorted { $0.entity < $1.entity }
        return bundled.isEmpty ? nil : made[Self.key(bundled)]
    }

    /// Compresses every group not yet made at its level, on all cores.
    func make(_ groups: [[FixAction]], message: Message, source: SourceFile, format: ArchiveFormat, date: Int64) throws {
        let todo = groups.filter { made[Self.key($0)] == nil }
        failure = nil
        DispatchQueue.concurrentPerform(iterations: todo.count) { index in
            let group = todo[index]
            do {
                let archive = try makeOne(group, message: message, source: source, format: format, date: date)
                lock.withLock { made[Self.key(group)] = archive }
            } catch {
                lock.withLock { failure = failure ?? error }
            }
        }
        if let failure { throw failure }
    }

    private func makeOne(_ group: [FixAction], message: Message, source: SourceFile, format: ArchiveFormat, date: Int64) throws -> Made {
        let start = DispatchTime.now()
        guard let (descriptor, path) = Leftovers.makeFile("\(folder)/.\(Leftovers.marker)archive-") else {
            throw FileError(path: folder, errno: errno, operation: "create")
        }
        defer { close(descriptor) }
        do {
            let level = group[0].level ?? 6
            try ArchiveLibrary.withUTF8Locale {
                let writer = try ArchiveWriter(format: format, level: level, descriptor: descriptor)
                let entities = group.map { message.entities[$0.entity] }
                for (entity, name) in zip(entities, Self.memberNames(entities)) {
                    try writer.addFile(name: name, size: entity.decodedBytes, modified: Self.modified(entity) ?? date) { sink in
                        try source.decodeBody(of: entity, into: &sink)
                    }
                }
                try writer.close()
            }
            var info = stat()
            guard fstat(descriptor, &info) == 0 else { throw FileError(path: path, errno: errno, operation: "stat") }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
            return Made(path: path, bytes: Int64(info.st_size), level: level, seconds: seconds, members: group.map(\.entity))
        } catch {
            unlink(path)
            Leftovers.unregister(path)
            throw error
        }
    }

    /// The names the files of `entities` get in one archive: each attachment's made safe (no path can escape an
    /// archive), or one made from its section (as a link names it), numbered where two are the same.
    static func memberNames(_ entities: [Entity]) -> [String] {
        var used: Set<String> = []
        return entities.map { unique(fileName(of: $0), in: &used) }
    }

    /// The one rule for naming an attachment as a file, in an archive, the share and a link.
    static func fileName(of entity: Entity) -> String {
        SafeFilename.make(entity.filename ?? (entity.kind == .message ? "message-\(entity.path).eml" : "attachment-\(entity.path).bin"))
    }

    /// `name`, or "name (2).ext" when a bundle already has a file of that name.
    static func unique(_ name: String, in used: inout Set<String>) -> String {
        var candidate = name
        var number = 2
        while used.contains(candidate) {
            if let dot = name.lastIndex(of: "."), dot != name.startIndex {
                candidate = "\(name[..<dot]) (\(number))\(name[dot...])"
            } else {
                candidate = "\(name) (\(number))"
            }
            number += 1
        }
        used.insert(candidate)
        return candidate
    }

    /// The file's own time, when the sender's client gave it (RFC 2183 `modification-date`, as Outlook writes).
    static func modified(_ entity: Entity) -> Int64? {
        guard let field = entity.header["Content-Disposition"],
              let text = ContentDisposition(parsing: field.value).parameters["modification-date"],
              let date = RFC5322Date.parse(text) else { return nil }
        return Int64(date.timeIntervalSince1970)
    }

    /// Removes the archives `plan` does not use (they were made for a plan the real sizes changed).
    func discard(except plan: FixPlan) {
        let used = Set(Self.needed(by: plan).map(Self.key))
        lock.withLock {
            for (key, archive) in made where !used.contains(key) {
                unlink(archive.path)
                Leftovers.unregister(archive.path)
                made[key] = nil
            }
        }
    }

    /// The plan with the time each archive took.
    func timed(_ plan: FixPlan) -> FixPlan {
        var plan = plan
        for group in Self.groups(plan.compressions) {
            guard let archive = made[Self.key(group)], let index = plan.actions.firstIndex(where: { $0.entity == group[0].entity }) else { continue }
            plan.actions[index].seconds = archive.seconds
        }
        return plan
    }

    /// The edits that put the archives of `plan` in place of their attachments: a bundle replaces its first member,
    /// the other members leave.
    func edits(for plan: FixPlan, format: ArchiveFormat) -> MessageEdits {
        var edits = MessageEdits()
        for group in Self.groups(plan.compressions) {
            guard let archive = made[Self.key(group)] else { continue }
            edits.replacements[group[0].entity] = NewPart(mimeType: format.mimeType, filename: group[0].archiveName, size: archive.bytes,
                                                          bodyPath: archive.path)
            for member in group.dropFirst() { edits.removals.insert(member.entity) }
        }
        return edits
    }
}
