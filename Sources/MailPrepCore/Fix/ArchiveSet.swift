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
    }

    let folder: String
    /// Entity index → the archive made for it.
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

    /// Compresses every action not yet made at its level, on all cores.
    func make(_ actions: [FixAction], message: Message, source: SourceFile, format: ArchiveFormat, date: Int64) throws {
        let todo = actions.filter { made[$0.entity]?.level != $0.level }
        failure = nil
        DispatchQueue.concurrentPerform(iterations: todo.count) { index in
            let action = todo[index]
            do {
                let archive = try makeOne(action, entity: message.entities[action.entity], source: source, format: format, date: date)
                lock.withLock {
                    if let old = made[action.entity] { unlink(old.path) }
                    made[action.entity] = archive
                }
            } catch {
                lock.withLock { failure = failure ?? error }
            }
        }
        if let failure { throw failure }
    }

    private func makeOne(_ action: FixAction, entity: Entity, source: SourceFile, format: ArchiveFormat, date: Int64) throws -> Made {
        let start = DispatchTime.now()
        var template = Array("\(folder)/.mailprep-archive-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw FileError(path: folder, errno: errno, operation: "create") }
        let path = String(cString: template)
        defer { close(descriptor) }
        do {
            let level = action.level ?? 6
            try ArchiveLibrary.withUTF8Locale {
                let writer = try ArchiveWriter(format: format, level: level, descriptor: descriptor)
                try writer.addFile(name: action.fileName, size: entity.decodedBytes, modified: Self.modified(entity) ?? date) { sink in
                    try source.decodeBody(of: entity, into: &sink)
                }
                try writer.close()
            }
            var info = stat()
            guard fstat(descriptor, &info) == 0 else { throw FileError(path: path, errno: errno, operation: "stat") }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
            return Made(path: path, bytes: Int64(info.st_size), level: level, seconds: seconds)
        } catch {
            unlink(path)
            throw error
        }
    }

    /// The file's own time, when the sender's client gave it (RFC 2183 `modification-date`, as Outlook writes).
    static func modified(_ entity: Entity) -> Int64? {
        guard let field = entity.header["Content-Disposition"],
              let text = ContentDisposition(parsing: field.value).parameters["modification-date"],
              let date = RFC5322Date.parse(text) else { return nil }
        return Int64(date.timeIntervalSince1970)
    }

    /// The plan with real archive sizes; an archive that saves too little is dropped and its attachment kept.
    func apply(to plan: FixPlan, minimumGain: Double) -> FixPlan {
        var plan = plan
        for index in plan.actions.indices where plan.actions[index].kind == .compress {
            let entity = plan.actions[index].entity
            guard let archive = made[entity] else { continue }
            var action = plan.actions[index]
            let saved = action.beforeBytes > 0 ? 1 - Double(archive.bytes) / Double(action.beforeBytes) : 0
            if saved < minimumGain {
                action.kind = .keep
                action.reason = "gains only \(Int((saved * 100).rounded()))%"
                plan.decodedBytes += action.beforeBytes - action.afterBytes
                action.afterBytes = action.beforeBytes
                action.afterWireBytes = action.beforeWireBytes
                action.estimated = false
                lock.withLock {
                    unlink(archive.path)
                    made[entity] = nil
                }
            } else {
                plan.decodedBytes += archive.bytes - action.afterBytes
                action.afterBytes = archive.bytes
                action.afterWireBytes = FixPlanner.wireBytes(archiveName: action.archiveName ?? "", format: action.format ?? .zip, archiveBytes: archive.bytes)
                action.level = archive.level
                action.estimated = false
                action.seconds = archive.seconds
            }
            plan.actions[index] = action
        }
        // Anything the plan keeps has no archive.
        for action in plan.actions where action.kind == .keep {
            if let archive = made[action.entity] {
                unlink(archive.path)
                made[action.entity] = nil
            }
        }
        return plan
    }

    /// The new parts that replace compressed attachments.
    func replacements(for plan: FixPlan, message: Message, format: ArchiveFormat) -> [Int: NewPart] {
        var parts: [Int: NewPart] = [:]
        for action in plan.actions where action.kind == .compress {
            guard let archive = made[action.entity] else { continue }
            parts[action.entity] = NewPart(mimeType: format.mimeType, filename: action.archiveName, size: archive.bytes, bodyPath: archive.path)
        }
        return parts
    }
}
