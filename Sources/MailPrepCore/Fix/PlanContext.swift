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

    /// The next attachment to link when `plan` does not fit yet: the one not linked that weighs most on the wire
    /// after the change `plan` makes to it (a CSV that compresses to a fifth weighs a fifth), so that the fewest
    /// links do; among equals, the largest as it came.
    func nextLink(after linked: [Int], in plan: FixPlan) -> Int? {
        guard options.strategy != .compress else { return nil }
        if options.strategy != .remove {
            // auto without a share address compresses only, and says that links would need one.
            guard let share = options.share, options.strategy != .auto || share.baseURL != nil else { return nil }
        }
        var best: (index: Int, weight: Int64)?
        for index in candidates where !linked.contains(index) {
            let weight = weightOnWire(index, in: plan)
            if weight > (best?.weight ?? -1) { best = (index, weight) }
        }
        return best?.index
    }

    /// Octets on the wire of an attachment as `plan` leaves it: its archive's when the plan compresses it alone, else
    /// its own. (A bundle member counts as it came: the bundle stays whatever one member does.)
    func weightOnWire(_ index: Int, in plan: FixPlan) -> Int64 {
        if let action = plan.actions.first(where: { $0.entity == index }), action.kind == .compress, !action.bundled {
            return action.afterWireBytes
        }
        return Self.wire(message.entities[index])
    }

    /// True when `auto` could link attachments but has no address to give them.
    var linksNeedAddress: Bool {
        options.strategy == .auto && options.share != nil && options.share?.baseURL == nil && !candidates.isEmpty
    }

    /// The name a linked file is stored and served under, and the name the message shows.
    func names(of index: Int) -> (file: String, shown: String) {
        let entity = message.entities[index]
        var name = entity.filename
        if name == nil && entity.kind == .message { name = "message-\(entity.path).eml" }
        let file = SafeFilename.make(name ?? "attachment-\(entity.path).bin")
        return (file, name ?? file)
    }

    /// Links with stand-in tokens and digests of the real lengths.
    func placeholders(_ linked: [Int]) -> [LinkedPart] {
        linked.map { index in
            let names = names(of: index)
            let url = options.strategy == .remove ? "" : (options.share?.url(token: MessageLinks.placeholderToken, fileName: names.file)) ?? ""
            return LinkedPart(entity: index, link: SharedLink(name: names.shown, url: url, size: message.entities[index].decodedBytes,
                                                              sha256: MessageLinks.placeholderDigest, expires: Self.second(expires)))
        }
    }

    /// Notes for parts left out, with their real digests (hashed as they decode from the message).
    func removedParts(_ removed: [Int]) throws -> [LinkedPart] {
        try removed.map { index in
            var hashing = SHA256Sink(DiscardingSink())
            try source.decodeBody(of: message.entities[index], into: &hashing)
            let size = hashing.count
            return LinkedPart(entity: index, link: SharedLink(name: names(of: index).shown, url: "", size: size,
                                                              sha256: hashing.finish().hex, expires: Self.second(expires)))
        }
    }

    /// Links to the entries really made.
    func realLinks(_ linked: [Int], entries: [ShareEntry]) -> [LinkedPart] {
        zip(linked, entries).map { index, entry in
            let url = options.share?.url(token: entry.token, fileName: entry.fileName) ?? ""
            return LinkedPart(entity: index, link: SharedLink(name: names(of: index).shown, url: url, size: entry.size,
                                                              sha256: entry.sha256, expires: entry.expires))
        }
    }

    static func second(_ date: Date) -> Date { Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down)) }

    /// The writer with `linked` replaced by links (stand-in tokens) and nothing compressed, and the sizes it
    /// gives, both measured on what it writes.
    struct LinkEdits {
        var linked: [Int]
        var writer: MessageWriter
        var wireBytes: Int64
        var decodedBytes: Int64
    }

    func linkEdits(_ linked: [Int]) throws(FixError) -> LinkEdits {
        var writer = MessageWriter(message: message, source: source)
        guard !linked.isEmpty else { return LinkEdits(linked: [], writer: writer, wireBytes: message.wireBytes, decodedBytes: message.decodedBytes) }
        let measured: (bytes: Int64, wireBytes: Int64, decodedBytes: Int64)
        do {
            try links.apply(placeholders(linked), removed: options.strategy == .remove, to: &writer.edits)
            measured = try writer.measureParsed()
        } catch { throw FixJob.wrap(error) }
        return LinkEdits(linked: linked, writer: writer, wireBytes: measured.wireBytes, decodedBytes: measured.decodedBytes)
    }

    /// The plan with the links of `edits` and the rest compressed as the strategy allows, from estimates.
    func estimate(_ edits: LinkEdits) throws(FixError) -> FixPlan {
        let linked = edits.linked
        var plan: FixPlan
        if options.strategy == .link {
            let kept = candidates.filter { !linked.contains($0) }.sorted().map { action(for: $0, kind: .keep, reason: .notNeeded) }
            plan = FixPlan(actions: kept, wireBytes: edits.wireBytes, decodedBytes: edits.decodedBytes,
                           limits: limitsFor(edits.wireBytes, edits.decodedBytes))
        } else {
            let planner = FixPlanner(message: message, source: source, options: options, limitsFor: limitsFor, excluded: Set(linked),
                                     baseWireBytes: edits.wireBytes, baseDecodedBytes: edits.decodedBytes)
            do { plan = try planner.plan() } catch { throw FixJob.wrap(error) }
        }
        let removing = options.strategy == .remove
        for (index, url) in zip(linked, placeholders(linked).map(\.link.url)) {
            var link = action(for: index, kind: removing ? .remove : .link, reason: nil)
            link.afterBytes = 0
            link.afterWireBytes = 0
            link.url = removing ? nil : url
            link.expires = removing ? nil : Self.second(expires)
            plan.actions.append(link)
        }
        plan.actions.sort { $0.entity < $1.entity }
        plan.linkAddressKnown = linked.isEmpty || removing || options.share?.urlProblem == nil
        return plan
    }

    private func action(for index: Int, kind: FixAction.Kind, reason: KeepReason?) -> FixAction {
        let entity = message.entities[index]
        var action = FixAction(entity: index, path: entity.path, filename: entity.filename, kind: kind,
                               beforeBytes: entity.decodedBytes, afterBytes: entity.decodedBytes,
                               beforeWireBytes: Self.wire(entity), afterWireBytes: Self.wire(entity), estimated: false)
        action.reason = reason
        return action
    }

    /// Puts one attachment into the share, decoded as it streams from the message; with `dedupe`, an unexpired
    /// entry with the same bytes and name is used instead. Returns the entry and whether it is new.
    func share(_ index: Int, store: ShareStore, expires: Date, password: String?, dedupe: Bool, now: Date) throws -> (ShareEntry, Bool) {
        let entity = message.entities[index]
        let names = names(of: index)
        if dedupe && password == nil {
            var hashing = SHA256Sink(DiscardingSink())
            try source.decodeBody(of: entity, into: &hashing)
            let size = hashing.count
            if let existing = store.duplicate(sha256: hashing.finish().hex, size: size, fileName: names.file, now: now) {
                return (existing, false)
            }
        }
        let type = entity.kind == .message ? "message/rfc822" : entity.contentType.mimeType
        let messageID = message.root.header.text("Message-ID")?.trimmingCharacters(in: .whitespaces)
        let entry = try store.put(name: names.shown, contentType: type, expires: expires, messageID: messageID, password: password,
                                  now: now) { sink in
            try source.decodeBody(of: entity, into: &sink)
        }
        return (entry, true)
    }
}
