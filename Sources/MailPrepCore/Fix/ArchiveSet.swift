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
    /// First member's entity index → the archive made for that group.
    private(set) var made: [Int: Made] = [:]
    private let lock = Lock()
    /// The first error of a parallel run.
    private var failure: (any Error)?

    init(folder: String) {
        self.folder = folder
    }

    deinit {
        for archive in made.values { unlink(archive.path) }
    }

    /// The archives these actions need: one per attachment, or one for all bundled ones.
    static func groups(_ actions: [FixAction]) -> [[FixAction]] {
        let bundled = actions.filter(\.bundled).sorted { $0.entity < $1.entity }
        return actions.filter { !$0.bundled }.map { [$0] } + (bundled.isEmpty ? [] : [bundled])
    }

    /// Compresses every group not yet made at its level, on all cores.
    func make(_ actions: [FixAction], message: Message, source: SourceFile, format: ArchiveFormat, date: Int64) throws {
        let todo = Self.groups(actions).filter { group in
            made[group[0].entity].map { $0.level != group[0].level || $0.members != group.map(\.entity) } ?? true
        }
        failure = nil
        DispatchQueue.concurrentPerform(iterations: todo.count) { index in
            let group = todo[index]
            do {
                let archive = try makeOne(group, message: message, source: source, format: format, date: date)
                lock.withLock {
                    if let old = made[group[0].entity] { unlink(old.path) }
                    made[group[0].entity] = archive
                }
            } catch {
                lock.withLock { failure = failure ?? error }
            }
        }
        if let failure { throw failure }
    }

    private func makeOne(_ group: [FixAction], message: Message, source: SourceFile, format: ArchiveFormat, date: Int64) throws -> Made {
        let start = DispatchTime.now()
        guard let (descriptor, path) = temporaryFile("\(folder)/.mailprep-archive-") else {
            throw FileError(path: folder, errno: errno, operation: "create")
        }
        defer { close(descriptor) }
        do {
            let level = group[0].level ?? 6
            try ArchiveLibrary.withUTF8Locale {
                let writer = try ArchiveWriter(format: format, level: level, descriptor: descriptor)
                var used: Set<String> = []
                for action in group {
                    let entity = message.entities[action.entity]
                    let name = Self.unique(action.fileName, in: &used)
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
            throw error
        }
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

    /// The plan with real archive sizes; an archive that saves too little is dropped and its attachments kept.
    func apply(to plan: FixPlan, minimumGain: Double) -> FixPlan {
        var plan = plan
        for group in Self.groups(plan.compressions) {
            guard let archive = made[group[0].entity] else { continue }
            let before = group.reduce(Int64(0)) { $0 + $1.beforeBytes }
            let saved = before > 0 ? 1 - Double(archive.bytes) / Double(before) : 0
            for (position, member) in group.enumerated() {
                guard let index = plan.actions.firstIndex(where: { $0.entity == member.entity }) else { continue }
                var action = plan.actions[index]
                action.estimated = false
                if saved < minimumGain {
                    action.kind = .keep
                    action.bundled = false
                    action.reason = .smallGain(percent: Int((saved * 100).rounded()))
                    action.afterBytes = action.beforeBytes
                    action.afterWireBytes = action.beforeWireBytes
                } else {
                    action.afterBytes = position == 0 ? archive.bytes : 0
                    action.afterWireBytes = position == 0
                        ? FixPlanner.wireBytes(archiveName: action.archiveName ?? "", format: action.format ?? .zip, archiveBytes: archive.bytes)
                        : 0
                    action.level = archive.level
                    action.seconds = position == 0 ? archive.seconds : nil
                }
                plan.actions[index] = action
            }
            if saved < minimumGain {
                lock.withLock {
                    unlink(archive.path)
                    made[group[0].entity] = nil
                }
            }
        }
        // Anything the plan keeps has no archive of its own.
        for action in plan.actions where action.kind == .keep {
            if let archive = made[action.entity] {
                unlink(archive.path)
                made[action.entity] = nil
            }
        }
        return plan
    }

    /// The new parts that replace compressed attachments (a bundle replaces its first member).
    func replacements(for plan: FixPlan, format: ArchiveFormat) -> [Int: NewPart] {
        var parts: [Int: NewPart] = [:]
        for action in plan.compressions {
            guard let archive = made[action.entity] else { continue }
            parts[action.entity] = NewPart(mimeType: format.mimeType, filename: action.archiveName, size: archive.bytes, bodyPath: archive.path)
        }
        return parts
    }

    /// The bundled attachments other than the first, which leave the message.
    func removals(for plan: FixPlan) -> Set<Int> {
        Set(made.values.flatMap { $0.members.dropFirst() }.filter { member in plan.compressions.contains { $0.entity == member } })
    }
}
