import Foundation
import MIME

/// What planning a fix needs at every step: the message, the options, the limits, and which attachments can
/// leave for links.
struct PlanContext {
    var message: Message
    var source: SourceFile
    var options: FixOptions
    var limitsFor: (_ wireBytes: Int64, _ decodedBytes: Int64) -> [AppliedLimit]
    /// When links made in this run stop working (the same for the plan and the real run, so the dates they
    /// show measure the same).
    var expires: Date
    var links: MessageLinks
    /// Entities that can be linked, largest on the wire first.
    var candidates: [Int]

    init(message: Message, source: SourceFile, options: FixOptions, limitsFor: @escaping (Int64, Int64) -> [AppliedLimit], expires: Date) {
        self.message = message
        self.source = source
        self.options = options
        self.limitsFor = limitsFor
        self.expires = expires
        let block = options.share?.block ?? LinkBlock(language: .english)
        links = MessageLinks(message: message, source: source, block: block, protected: options.share?.protect ?? false)
        candidates = message.entities.indices.filter { MessageLinks.canLink(message.entities[$0], in: message) }
            .sorted { Self.wire(message.entities[$0]) > Self.wire(message.entities[$1]) }
    }

    static func wire(_ entity: Entity) -> Int64 { entity.headerWireBytes + entity.bodyWireBytes }

    /// `--strategy link --link-over SIZE`: every attachment over the size, from the start.
    func initialLinks() -> [Int] {
        guard options.strategy == .link, options.share != nil, let over = options.linkOver else { return [] }
        return candidates.filter { message.entities[$0].decodedBytes > over }
    }

    /// True when `auto` could link attachments but has no address to give them.
    var linksNeedAddress: Bool {
        options.strategy == .auto && options.share != nil && options.share?.baseURL == nil && !candidates.isEmpty
    }

    /// The name a linked file is stored and served under, and the name the message shows: the same, made safe (a
    /// name with CR LF or a right-to-left override must not forge lines or disguise a file in the link block).
    func name(of index: Int) -> String {
        ArchiveSet.fileName(of: message.entities[index])
    }

    /// Links with stand-in tokens and digests of the real lengths.
    func placeholders(_ linked: [Int]) -> [LinkedPart] {
        linked.map { index in
            let name = name(of: index)
            let url = options.strategy == .remove ? "" : (options.share?.url(token: MessageLinks.placeholderToken, fileName: name)) ?? ""
            return LinkedPart(entity: index, link: SharedLink(name: name, url: url, size: message.entities[index].decodedBytes,
                                                              sha256: MessageLinks.placeholderDigest, expires: Self.second(expires)))
        }
    }

    /// The name of a linked bundle in the share and in the message (`--bundle`).
    var bundleLinkName: String { SafeFilename.make(options.bundleName ?? "attachments.zip") }

    /// One link, with stand-ins, to an archive of `members` of `bytes` octets (`--bundle` with links).
    func bundlePlaceholder(_ members: [Int], bytes: Int64) -> LinkedPart {
        let url = options.share?.url(token: MessageLinks.placeholderToken, fileName: bundleLinkName) ?? ""
        return LinkedPart(entity: members[0], link: SharedLink(name: bundleLinkName, url: url, size: bytes, sha256: MessageLinks.placeholderDigest,
                                                                expires: Self.second(expires), contents: bundleContents(members)), members: members)
    }

    /// The names of a linked bundle's files, as the archive holds them.
    func bundleContents(_ members: [Int]) -> [String] {
        ArchiveSet.memberNames(members.map { message.entities[$0] })
    }

    /// Notes for parts left out, with their real digests (hashed as they decode from the message).
    func removedParts(_ removed: [Int]) throws -> [LinkedPart] {
        try removed.map { index in
            var hashing = SHA256Sink(DiscardingSink())
            try source.decodeBody(of: message.entities[index], into: &hashing)
            let size = hashing.count
            return LinkedPart(entity: index, link: SharedLink(name: name(of: index), url: "", size: size,
                                                              sha256: hashing.finish().hex, expires: Self.second(expires)))
        }
    }

    /// Links to the entries really made.
    func realLinks(_ linked: [Int], entries: [ShareEntry]) -> [LinkedPart] {
        zip(linked, entries).map { index, entry in
            let url = options.share?.url(token: entry.token, fileName: entry.fileName) ?? ""
            return LinkedPart(entity: index, link: SharedLink(name: name(of: index), url: url, size: entry.size,
                                                              sha256: entry.sha256, expires: entry.expires))
        }
    }

    static func second(_ date: Date) -> Date { Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down)) }

    /// The edits that replace `linked` by links with stand-in tokens (or, removing, by notes), nothing compressed.
    func linkEdits(_ linked: [Int]) throws(FixError) -> MessageEdits {
        try linkEdits(placeholders(linked))
    }

    /// The edits of a plan's links and removals, with stand-ins: a linked bundle as its one link.
    func linkEdits(for plan: FixPlan) throws(FixError) -> MessageEdits {
        var parts = placeholders(plan.links.filter { !$0.bundled }.map(\.entity) + plan.removals.map(\.entity))
        let bundled = plan.links.filter(\.bundled)
        if let first = bundled.first { parts.append(bundlePlaceholder(bundled.map(\.entity), bytes: first.afterBytes)) }
        return try linkEdits(parts)
    }

    func linkEdits(_ parts: [LinkedPart]) throws(FixError) -> MessageEdits {
        var edits = MessageEdits()
        guard !parts.isEmpty else { return edits }
        do { try links.apply(parts, removed: options.strategy == .remove, to: &edits) } catch { throw FixJob.wrap(error) }
        return edits
    }

    /// Whether links (or removals) may be made at all in this run.
    var linksAllowed: Bool {
        switch options.strategy {
        case .compress: false
        case .remove: true
        // auto without a share address compresses only, and says that links would need one.
        case .auto: options.share?.baseURL != nil
        case .link: options.share != nil
        }
    }

    /// What the planner knows of every part a user sees, with compression sampled at `levels`; and the exact sizes of
    /// the message with any set of them linked, computed from the parse tree (and remembered).
    func sizeModel(levels: [Int]) throws(FixError) -> SizeModel {
        var candidates: [PlanCandidate] = []
        for (index, entity) in message.entities.enumerated() where entity.isLeaf {
            let linkable = MessageLinks.canLink(entity, in: message)
            // A message that is itself the attachment is compressed or linked as any attachment is; a message that is
            // only text is neither.
            let reason = index == 0 && !linkable ? KeepReason.messageText : CompressionPolicy.reasonToSkip(entity, in: message)
            let reported = entity.filename != nil || entity.disposition == "attachment"
            guard reason == nil || reported || linkable else { continue }
            var ratios: [Int: Double] = [:]
            if reason == nil && options.strategy != .link {
                do { ratios = try CompressionEstimate.estimate(entity, source: source, levels: levels).ratios } catch { throw FixJob.wrap(error) }
            }
            let removal = entity.parent == nil ? entity.bodyWireBytes : entity.bodyWireEnd - entity.delimiterWireStart
            candidates.append(PlanCandidate(entity: index, path: entity.path, filename: entity.filename, wireBytes: Self.wire(entity),
                                            removalWireBytes: removal, decodedBytes: entity.decodedBytes, keepReason: reason,
                                            reported: reported, linkable: linkable, sampledRatios: ratios))
        }
        let cache = SizeCache()
        let context = self
        var model = SizeModel(candidates: candidates, format: options.format, linked: { (set: Set<Int>) throws(FixError) -> EditedSize in
            if let known = cache.linked[set] { return known }
            let size: EditedSize
            do { size = try context.linkEdits(set.sorted()).size(of: context.message, source: context.source) } catch { throw FixJob.wrap(error) }
            cache.linked[set] = size
            return size
        }, withoutParts: { (set: Set<Int>) throws(FixError) -> EditedSize? in
            guard !set.contains(0) else { return nil }
            var edits = MessageEdits()
            edits.removals = set
            // Every part gone is no message: no bound then (the links keep a text part).
            guard (try? edits.validate(in: context.message)) != nil else { return nil }
            do { return try edits.size(of: context.message, source: context.source) } catch { throw FixJob.wrap(error) }
        })
        model.bundleLinked = { (set: Set<Int>, bytes: Int64) throws(FixError) -> EditedSize in
            do { return try context.linkEdits([context.bundlePlaceholder(set.sorted(), bytes: bytes)]).size(of: context.message, source: context.source) } catch {
                throw FixJob.wrap(error)
            }
        }
        return model
    }

    /// Sizes already computed in one run.
    final class SizeCache: @unchecked Sendable {
        var linked: [Set<Int>: EditedSize] = [:]
    }

    /// The plan's links made concrete: stand-in addresses (or none, removing), expiry, whether the address is known.
    func withLinks(_ plan: FixPlan) -> FixPlan {
        var plan = plan
        let removing = options.strategy == .remove
        for index in plan.actions.indices where plan.actions[index].kind == .link || plan.actions[index].kind == .remove {
            let entity = plan.actions[index].entity
            let name = plan.actions[index].bundled ? bundleLinkName : name(of: entity)
            plan.actions[index].url = removing ? nil : options.share?.url(token: MessageLinks.placeholderToken, fileName: name)
            plan.actions[index].expires = removing ? nil : Self.second(expires)
        }
        plan.linkAddressKnown = plan.links.isEmpty || removing || options.share?.urlProblem == nil
        return plan
    }

    /// Puts a linked bundle's archive (made beside the output) into the share, pending, as `share` does a part.
    func shareBundle(archive path: String, store: ShareStore, expires: Date, password: String?, now: Date) throws -> ShareEntry {
        let messageID = message.root.header.text("Message-ID")?.trimmingCharacters(in: .whitespaces)
        let file = try SourceFile(path: path)
        var info = stat()
        guard stat(path, &info) == 0 else { throw FileError(path: path, errno: errno, operation: "stat") }
        return try store.put(name: bundleLinkName, contentType: options.format.mimeType, expires: expires, messageID: messageID,
                             password: password, now: now, pending: true) { sink in
            try file.copy(ByteSpan(start: 0, end: Int64(info.st_size)), into: &sink)
        }
    }

    /// Puts one attachment into the share, decoded as it streams from the message, pending (out of sight until the
    /// message is written); with `dedupe`, an unexpired entry with the same bytes and name is used instead. Returns
    /// the entry and whether it is new (and pending).
    func share(_ index: Int, store: ShareStore, expires: Date, password: String?, dedupe: Bool, now: Date) throws -> (ShareEntry, Bool) {
        let entity = message.entities[index]
        let name = name(of: index)
        if dedupe && password == nil {
            var hashing = SHA256Sink(DiscardingSink())
            try source.decodeBody(of: entity, into: &hashing)
            let size = hashing.count
            if let existing = store.duplicate(sha256: hashing.finish().hex, size: size, fileName: name, now: now) {
                return (existing, false)
            }
        }
        let type = entity.kind == .message ? "message/rfc822" : entity.contentType.mimeType
        let messageID = message.root.header.text("Message-ID")?.trimmingCharacters(in: .whitespaces)
        let entry = try store.put(name: name, contentType: type, expires: expires, messageID: messageID, password: password,
                                  now: now, pending: true) { sink in
            try source.decodeBody(of: entity, into: &sink)
        }
        return (entry, true)
    }
}
