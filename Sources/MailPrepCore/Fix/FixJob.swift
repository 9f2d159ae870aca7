import Dispatch
import Foundation
import MIME

/// Why `mailprep fix` did not write a message.
public enum FixError: Error, Sendable {
    /// The input could not be read, or is not a message.
    case input(CheckFailure)
    /// `--in-place` for a message inside an mbox or `.emlx` file: mailprep never writes inside a mailbox.
    case insideMailbox(file: String)
    /// A `.partial.emlx`: Apple Mail keeps the attachments' bodies elsewhere, so the message in it is not whole.
    case partialEMLX(file: String)
    /// Signed or encrypted content would break if changed.
    case signedOrEncrypted(file: String)
    /// An attachment that would be compressed is damaged; compressing it would hide that.
    case damagedPart(file: String, path: String, filename: String?, problem: String)
    /// The output exists and `--force` was not given.
    case outputExists(path: String)
    /// Writing failed (disk full, no permission); nothing was left behind.
    case write(FileError)
    case archive(ArchiveError)
    /// Attachments must move to the share, but no address for it can go into a message.
    case shareURL(ShareURLProblem)
    /// A file could not be put into the share; the message was not written.
    case share(ShareError)
    /// The user's link template is not valid Mustache.
    case template(String)
    /// Something that should not happen; the message says what.
    case internalError(String)
}

/// Where the fixed message goes.
public enum FixOutput: Sendable, Equatable {
    case file(String)
    case standardOutput
    /// Replace the input, keeping the original as `<input>.orig`.
    case inPlace
}

/// What `mailprep fix` did (or, with `planOnly`, would do).
public struct FixResult: Sendable {
    public var file: String
    /// Where the message was written; nil for a plan.
    public var output: String?
    public var backup: String?
    public var plan: FixPlan
    /// Octets on the wire the plan predicts.
    public var predictedWireBytes: Int64
    /// Octets on the wire of the message written, measured by parsing it again; nil for a plan.
    public var wireBytes: Int64?
    /// Octets of the file written.
    public var writtenBytes: Int64?
    public var planOnly: Bool
    /// The password shared files ask for (`--protect`), for the sender to pass on separately.
    public var password: String?
    /// The message does not fit, and linking attachments could help, but no share address is configured.
    public var linksNeedAddress = false
    /// True when the message does not fit and no change the options allow would alter it, so nothing was written.
    public var nothingWritten = false
    /// True when the message has attachments that links could take (false: only its text and the images it shows).
    public var hasAttachments = true

    public var fits: Bool { plan.fits }

    /// Deletes the share entries this fix linked to (each once; a bundle's members share one), for a message that
    /// then was not sent. Returns how many went.
    @discardableResult
    public func takeBackShared(from store: ShareStore) -> Int {
        var seen = Set<String>()
        return plan.links.compactMap(\.shared).filter { seen.insert($0.token).inserted && store.remove($0) }.count
    }
    public var binding: AppliedLimit? { plan.limits.min { $0.headroomBytes < $1.headroomBytes } }
}

/// Plans and carries out the least change that makes a message fit.
public struct FixJob: Sendable {
    public var check: MessageCheck
    public var options: FixOptions

    public init(check: MessageCheck, options: FixOptions) {
        self.check = check
        self.options = options
    }

    /// Plans and, unless `planOnly`, writes. An `exactPlan` compresses for real (into temporary files, removed) and
    /// measures the result with the writer, so its prediction is the size a real run writes.
    ///
    /// Links: attachments chosen to leave are measured with stand-in tokens and digests of the real lengths; only
    /// when the message is written are they put into the share (durable and verified), and the message is written
    /// after that. If writing fails, the entries made for it are removed again.
    ///
    /// `location` names a message inside a mailbox file (an mbox's `FILE#N`, an `.emlx` file): it is copied out and
    /// fixed from the copy; the mailbox itself is never written (`.inPlace` is refused).
    public func run(input: String, location: MessageLocation? = nil, output: FixOutput, force: Bool, planOnly: Bool,
                    exactPlan: Bool = false, now: Date = Date()) throws(FixError) -> FixResult {
        let stored = location.flatMap { $0.isWholeFile ? nil : $0 }
        if let stored {
            if stored.format == .emlx && stored.path.lowercased().hasSuffix(".partial.emlx") { throw .partialEMLX(file: input) }
            // A .eml that kept an mbox separator line is a file of its own (no index): it may be replaced whole.
            if output == .inPlace && (stored.index != nil || stored.format == .emlx) { throw .insideMailbox(file: input) }
        }
        let spool: SpooledInput?
        do {
            if let stored { spool = try SpooledInput(location: stored) } else { spool = input == "-" ? try SpooledInput() : nil }
        } catch let error as MessageReadError {
            throw .input(MessageCheck.failure(for: error, file: input))
        } catch {
            throw .write(error as? FileError ?? FileError(path: input, errno: EIO, operation: "read"))
        }
        // A whole file under another name than the one reported (a message downloaded from a server).
        let path = spool?.path ?? location.flatMap { $0.isWholeFile ? $0.path : nil } ?? input
        let message: Message
        do {
            message = try MessageReader.parse(path: path, limits: check.parserLimits)
        } catch {
            throw .input(MessageCheck.failure(for: error, file: input))
        }
        let checked: CheckResult
        switch check.check(message, file: input) {
        case .checked(let result): checked = result
        case .failed(let failure): throw .input(failure)
        }
        if message.isSignedOrEncrypted { throw .signedOrEncrypted(file: input) }
        let source: SourceFile
        do { source = try SourceFile(path: path) } catch { throw .write(error as? FileError ?? FileError(path: path, errno: EIO, operation: "open")) }

        let policy = check.policy
        let limitsFor: (Int64, Int64) -> [AppliedLimit] = { wire, decoded in
            policy.limits(sender: checked.sender, recipients: checked.recipients, wireBytes: wire, decodedBytes: decoded)
        }
        let expires = now.addingTimeInterval(options.share?.lifetime ?? 0)
        let context = PlanContext(message: message, source: source, options: options, limitsFor: limitsFor, expires: expires)

        // Plan: from the parse tree and samples, the least change that fits.
        var planner = Planner(model: try context.sizeModel(levels: options.level.map { [$0] } ?? Planner.automaticLevels),
                              policy: Planner.Policy(strategy: options.strategy, linksAllowed: context.linksAllowed,
                                                     minimumGain: options.minimumGain, level: options.level, bundleName: options.bundleName,
                                                     forcedLinks: Set(context.initialLinks())),
                              limitsFor: limitsFor)
        var plan = context.withLinks(try planner.plan())
        try refuseDamaged(plan, in: message, file: input)
        func planResult() -> FixResult {
            var result = FixResult(file: input, plan: plan, predictedWireBytes: plan.wireBytes, planOnly: true)
            result.linksNeedAddress = !plan.fits && context.linksNeedAddress
            result.hasAttachments = !context.candidates.isEmpty
            return result
        }
        if planOnly && !exactPlan { return planResult() }
        // No change would alter the message: a copy would only look like a fix. Write nothing and say why.
        func unchanged() -> FixResult? {
            guard !plan.fits && plan.compressions.isEmpty && plan.links.isEmpty && plan.removals.isEmpty else { return nil }
            var result = planResult()
            result.planOnly = planOnly
            result.nothingWritten = !planOnly
            return result
        }
        if let result = unchanged() { return result }

        let outputPath: String?
        switch output {
        case .file(let file): outputPath = file
        case .inPlace: outputPath = input
        case .standardOutput: outputPath = nil
        }
        if let outputPath, !planOnly, !force, output != .inPlace, FileManager.default.fileExists(atPath: outputPath) {
            throw .outputExists(path: outputPath)
        }
        let backup = output == .inPlace ? Self.backupPath(for: input) : nil
        if let backup, !planOnly, !force, FileManager.default.fileExists(atPath: backup) { throw .outputExists(path: backup) }
        if !planOnly, !plan.links.isEmpty, let problem = options.share?.urlProblem { throw .shareURL(problem) }
        let temporaryFolder = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        let scratch = planOnly ? temporaryFolder : Self.folder(of: outputPath ?? temporaryFolder + "/x")

        // Execute: make the archives the plan needs (in parallel); where a real archive differs from its estimate,
        // the planner is asked again with the real figure, until the plan it gives is made of real figures only.
        // Then the edits are measured from the tree; a plan that measures over (the model was wrong) is ruled out.
        // What killed runs left here (archives, half-written messages) goes first.
        Leftovers.sweep(folder: scratch)
        if let outputPath { Leftovers.sweep(folder: Self.folder(of: outputPath)) }
        let archives = ArchiveSet(folder: scratch)
        var linkEdits = MessageEdits()
        var size = EditedSize(bytes: 0, wireBytes: 0, decodedBytes: 0)
        var levelsUsed = Set<Int>()
        for round in 0... {
            levelsUsed.formUnion(plan.compressions.compactMap(\.level))
            let missing = archives.missing(for: plan)
            if !missing.isEmpty {
                do {
                    try archives.make(missing, message: message, source: source, format: options.format, date: Self.date(of: message))
                    // Estimates that keep changing the plan: every worthwhile archive at the levels tried is made at
                    // once, and only real figures are chosen from then on.
                    if round + 1 >= Self.exactAfterRounds && !planner.policy.exactOnly {
                        for level in levelsUsed.sorted() {
                            let all = ArchiveSet.groups(try planner.worthwhileCompressions(level: level))
                            try archives.make(all, message: message, source: source, format: options.format, date: Self.date(of: message))
                        }
                        planner.policy.exactOnly = true
                    }
                } catch { throw Self.wrap(error) }
                for (key, archive) in archives.made { planner.model.made[key] = archive.bytes }
                if round < Self.maximumRounds {
                    plan = context.withLinks(try planner.plan())
                    try refuseDamaged(plan, in: message, file: input)
                    continue
                }
            }
            linkEdits = try context.linkEdits(for: plan)
            do { size = try linkEdits.merging(archives.edits(for: plan, format: options.format)).size(of: message, source: source) } catch {
                throw Self.wrap(error)
            }
            let fitted = plan.fits
            plan.wireBytes = size.wireBytes
            plan.decodedBytes = size.decodedBytes
            plan.limits = limitsFor(size.wireBytes, size.decodedBytes)
            guard fitted && !plan.fits && round < Self.maximumRounds, let choice = plan.choice else { break }
            planner.model.ruledOut.insert(choice)
            plan = context.withLinks(try planner.plan())
            try refuseDamaged(plan, in: message, file: input)
        }
        archives.discard(except: plan)
        plan = archives.timed(plan)
        // Real compression can drop what the estimate chose (it gained too little): the same question again.
        if let result = unchanged() { return result }
        if planOnly {
            // An exact plan is confirmed by the one serializer, as a real run's write is.
            let writer = MessageWriter(message: message, source: source, edits: linkEdits.merging(archives.edits(for: plan, format: options.format)))
            do { plan.wireBytes = try writer.measure().wireBytes } catch { throw Self.wrap(error) }
            return planResult()
        }
        let bundled = plan.links.filter(\.bundled).map(\.entity)
        let linked = (plan.links + plan.removals).filter { !$0.bundled }.map(\.entity)

        // Share the linked attachments (each durable and verified), then write the message that links to them.
        var made: [ShareEntry] = []
        var password: String?
        // The same edits with the real tokens and digests (stand-ins of their lengths were measured): the same size,
        // unless a decoded size surprised.
        func writer(with parts: [LinkedPart], removed: Bool) throws -> MessageWriter {
            var edits = MessageEdits()
            try context.links.apply(parts, removed: removed, to: &edits)
            let writer = MessageWriter(message: message, source: source, edits: edits.merging(archives.edits(for: plan, format: options.format)))
            size = try writer.size()
            plan.wireBytes = size.wireBytes
            plan.decodedBytes = size.decodedBytes
            plan.limits = limitsFor(plan.wireBytes, plan.decodedBytes)
            return writer
        }
        var messageWriter = MessageWriter(message: message, source: source, edits: archives.edits(for: plan, format: options.format))
        if !bundled.isEmpty, let share = options.share {
            // --bundle with links: the archive made beside the output goes into the share, one link in the message.
            password = share.protect ? ShareStore.newPassword() : nil
            let entry: ShareEntry
            do {
                guard let archive = archives.linkedBundle(of: plan) else { throw FixError.internalError("the linked bundle was not made") }
                entry = try context.shareBundle(archive: archive.path, store: share.store, expires: expires, password: password, now: now)
                made.append(entry)
                let url = share.url(token: entry.token, fileName: entry.fileName)
                let link = LinkedPart(entity: bundled[0], link: SharedLink(name: context.bundleLinkName, url: url, size: entry.size,
                                                                            sha256: entry.sha256, expires: entry.expires,
                                                                            contents: context.bundleContents(bundled)), members: bundled)
                messageWriter = try writer(with: [link], removed: false)
            } catch {
                made.forEach { share.store.remove($0) }
                throw Self.wrap(error)
            }
            for index in plan.actions.indices where plan.actions[index].bundled && plan.actions[index].kind == .link {
                plan.actions[index].shared = entry
                plan.actions[index].url = share.url(token: entry.token, fileName: entry.fileName)
            }
        } else if !linked.isEmpty && options.strategy == .remove {
            do { messageWriter = try writer(with: context.removedParts(linked), removed: true) } catch { throw Self.wrap(error) }
        } else if !linked.isEmpty, let share = options.share {
            password = share.protect ? ShareStore.newPassword() : nil
            var shared: [ShareEntry] = []
            do {
                for index in linked {
                    let (entry, isNew) = try context.share(index, store: share.store, expires: expires, password: password,
                                                           dedupe: share.dedupe, now: now)
                    shared.append(entry)
                    if isNew { made.append(entry) }
                }
                messageWriter = try writer(with: context.realLinks(linked, entries: shared), removed: false)
            } catch {
                made.forEach { share.store.remove($0) }
                throw Self.wrap(error)
            }
            for (index, entry) in zip(linked, shared) {
                if let at = plan.actions.firstIndex(where: { $0.entity == index }) {
                    plan.actions[at].shared = entry
                    plan.actions[at].url = share.url(token: entry.token, fileName: entry.fileName)
                    plan.actions[at].afterBytes = 0
                }
            }
        } else {
            do { size = try messageWriter.size() } catch { throw Self.wrap(error) }
        }
        let measured = (bytes: size.bytes, wireBytes: size.wireBytes)
        let writer = messageWriter
        let result: (written: Int64, wire: Int64)
        do {
            result = try write(writer, predicted: measured, to: outputPath, replace: force || output == .inPlace, backup: backup,
                               mode: Self.mode(of: path)) {
                for entry in made { try options.share?.store.publish(entry) }
            }
        } catch {
            made.forEach { options.share?.store.remove($0) }
            throw Self.wrap(error)
        }
        var fixed = FixResult(file: input, output: outputPath ?? "-", backup: backup, plan: plan, predictedWireBytes: plan.wireBytes,
                              wireBytes: result.wire, writtenBytes: result.written, planOnly: false, password: password)
        fixed.linksNeedAddress = !plan.fits && context.linksNeedAddress
        fixed.hasAttachments = !context.candidates.isEmpty
        return fixed
    }

    /// Rounds of planning again with real figures before the plan is taken as it stands.
    static let maximumRounds = 12
    /// Rounds after which every worthwhile archive is made and only real figures are chosen.
    static let exactAfterRounds = 3

    /// Writes the message (to an atomic file or standard output) and measures what was written.
    /// `publish` runs when the message is whole and checked, just before it appears: the shared files it links to
    /// come into sight only then.
    private func write(_ writer: MessageWriter, predicted: (bytes: Int64, wireBytes: Int64), to outputPath: String?, replace: Bool,
                       backup: String?, mode: mode_t, publish: () throws -> Void) throws -> (written: Int64, wire: Int64) {
        guard let outputPath else {
            // Standard output cannot be taken back: the entries appear once all of it is written, so a fix killed
            // halfway leaves nothing shared (and exits non-zero, so whatever reads the pipe does not send it).
            var sink = FileSink(descriptor: 1, path: "-")
            try writer.write(into: &sink)
            try sink.flush()
            try Leftovers.step { try publish() }
            return (sink.written, predicted.wireBytes)
        }
        let file = try AtomicFile(path: outputPath, mode: mode)
        var sink = FileSink(descriptor: file.descriptor, path: outputPath)
        try writer.write(into: &sink)
        try sink.flush()
        guard sink.written == predicted.bytes else {
            throw FileError(path: outputPath, errno: EIO, operation: "write (size differs from the prediction)")
        }
        // One step for a signal: the shared files and the message appear together, or neither does.
        try Leftovers.step {
            try publish()
            if let backup {
                guard link(outputPath, backup) == 0 else { throw FileError(path: backup, errno: errno, operation: "create backup") }
            }
            try file.commit(replace: replace)
        }
        let written = try MessageReader.parse(path: outputPath, limits: check.parserLimits)
        return (sink.written, written.wireBytes)
    }

    /// A damaged attachment (truncated or invalid base64, truncated uuencode) the plan would compress or share is
    /// refused: an archive or a download would hide the damage from the recipient. Left in the message, or left out
    /// with a note, it shows as it is.
    private func refuseDamaged(_ plan: FixPlan, in message: Message, file: String) throws(FixError) {
        let damage: Set<Defect.Code> = [.truncatedBase64, .invalidBase64Characters, .truncatedUuencode]
        for action in plan.compressions + plan.links {
            let entity = message.entities[action.entity]
            if let defect = message.defects.first(where: { $0.path == (entity.path.isEmpty ? nil : entity.path) && damage.contains($0.code) }) {
                throw .damagedPart(file: file, path: entity.path, filename: entity.filename, problem: defect.code.rawValue)
            }
        }
    }

    static func wrap(_ error: any Error) -> FixError {
        switch error {
        case let error as FixError: error
        case let error as FileError: .write(error)
        case let error as ArchiveError: .archive(error)
        case let error as MessageReadError: .input(MessageCheck.failure(for: error, file: error.path))
        case let error as ShareError: .share(error)
        case let error as LinkBlock.TemplateError: .template(error.description)
        default: .internalError("\(error)")
        }
    }

    /// Where `--in-place` keeps the original: `DRAFT.orig` beside it, except in a Maildir's `cur/` or `new/`, where
    /// every file is read as a message: there it goes into the Maildir folder itself, which mail stores do not read.
    public static func backupPath(for input: String) -> String {
        let name = input.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? input
        var folder = folder(of: input)
        if folder == "." { folder = FileManager.default.currentDirectoryPath }
        guard folder.hasSuffix("/cur") || folder.hasSuffix("/new") || folder == "cur" || folder == "new" else { return input + ".orig" }
        let maildir = Self.folder(of: folder)
        let isMaildir = ["cur", "new", "tmp"].allSatisfy { child in
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: maildir + "/" + child, isDirectory: &isFolder) && isFolder.boolValue
        }
        return isMaildir ? maildir + "/" + name + ".orig" : input + ".orig"
    }

    static func folder(of path: String) -> String {
        path.lastIndex(of: "/").map { String(path[..<$0]) }.map { $0.isEmpty ? "/" : $0 } ?? "."
    }

    static func mode(of path: String) -> mode_t {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_mode : 0o600
    }

    /// The time archived files get when their part gives none: the message's Date, else now.
    static func date(of message: Message) -> Int64 {
        if let text = message.root.header.text("Date"), let date = RFC5322Date.parse(text) {
            return Int64(date.timeIntervalSince1970)
        }
        return Int64(Date().timeIntervalSince1970)
    }
}
