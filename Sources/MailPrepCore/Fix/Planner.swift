import MIME

/// What the planner knows of one part a user sees: its sizes, whether and how well it compresses, whether it may
/// leave for a link.
struct PlanCandidate: Sendable {
    var entity: Int
    var path: String
    var filename: String?
    /// Octets on the wire of its header and body.
    var wireBytes: Int64
    /// Octets on the wire that leave with it when it is taken out: its delimiter line too.
    var removalWireBytes: Int64
    var decodedBytes: Int64
    /// Why it is not compressed; nil when it may be.
    var keepReason: KeepReason?
    /// True when a kept part is shown in the plan (a named attachment; not the message's text).
    var reported: Bool
    var linkable: Bool
    /// Compressed octets per decoded octet in samples, by level.
    var sampledRatios: [Int: Double]

    var mayCompress: Bool { keepReason == nil }
}

/// One archive: the attachments in it (one, or a bundle's in message order) and the level.
struct ArchiveKey: Hashable, Sendable {
    var members: [Int]
    var level: Int
}

/// The sizes the planner works from: exact where something was made or measured, estimated from samples elsewhere.
struct SizeModel {
    var candidates: [PlanCandidate]
    var format: ArchiveFormat
    /// Octets of archives really made.
    var made: [ArchiveKey: Int64] = [:]
    /// The exact sizes of the message with these parts linked (or removed) and nothing compressed.
    var linked: (Set<Int>) throws(FixError) -> EditedSize
    /// The sizes with these parts simply gone, no text in their place: less than any links make. Nil when the
    /// message itself is among them.
    var withoutParts: (Set<Int>) throws(FixError) -> EditedSize?
    /// Choices whose exact size did not fit though the model said they would: never chosen again.
    var ruledOut: Set<Choice> = []

    /// The file name inside an archive and the archive's name in the message.
    func archiveName(of candidate: PlanCandidate, bundle: String?) -> String {
        bundle ?? SafeFilename.make(candidate.filename ?? "attachment-\(candidate.path).bin") + "." + format.fileExtension
    }

    /// Octets of the archive of `key`, and whether the figure is exact. An archive not made is estimated from the
    /// samples, scaled by a real archive of the same attachment at another level when there is one; a bundle not
    /// made counts as its members would alone.
    func archiveBytes(_ key: ArchiveKey, name: String) -> (bytes: Int64, exact: Bool) {
        if let bytes = made[key] { return (bytes, true) }
        if key.members.count > 1 {
            let sum = key.members.reduce(Int64(0)) { total, member in
                let candidate = candidates.first { $0.entity == member }!
                return total + archiveBytes(ArchiveKey(members: [member], level: key.level), name: archiveName(of: candidate, bundle: nil)).bytes
            }
            return (sum, false)
        }
        let candidate = candidates.first { $0.entity == key.members[0] }!
        let ratio = candidate.sampledRatios[key.level] ?? candidate.sampledRatios.values.min() ?? 1
        let real = made.filter { $0.key.members == key.members }.min { abs($0.key.level - key.level) < abs($1.key.level - key.level) }
        if let real, let sampled = candidate.sampledRatios[real.key.level], sampled > 0 {
            return (Int64((Double(real.value) * ratio / sampled).rounded(.up)), false)
        }
        return (Int64((ratio * Double(candidate.decodedBytes)).rounded(.up)) + Self.overhead(format, name: name), false)
    }

    /// Octets of a part replaced by an archive of `archiveBytes`, on the wire (CRLF): header section and base64.
    static func wireBytes(archiveName: String, format: ArchiveFormat, archiveBytes: Int64) -> Int64 {
        let part = NewPart(mimeType: format.mimeType, filename: archiveName, size: archiveBytes, bodyPath: "")
        return Int64(part.header(lineBreak: "\r\n").utf8.count) + Base64EncodingSink<CountingSink>.encodedBytes(of: archiveBytes)
    }

    /// Octets an archive adds around one entry's compressed data (headers, directory), roughly.
    static func overhead(_ format: ArchiveFormat, name: String) -> Int64 {
        let nameBytes = Int64(name.utf8.count)
        switch format {
        case .zip: return 120 + 3 * nameBytes
        case .sevenZip: return 200 + 2 * nameBytes
        case .tarGzip, .tarXz: return 300 + nameBytes
        }
    }
}

/// One way to change the message: which parts leave, which are compressed, at which level.
struct Choice: Hashable, Sendable {
    var linked: [Int]
    var compressed: [Int]
    var level: Int
}

/// Chooses the least change that makes a message fit, from a size model alone: it reads nothing and makes nothing.
///
/// "Least", in order: nothing linked beats links (the recipient has everything in the message); fewer links beat
/// more; lossless changes before lossy ones (nothing lossy exists yet: photo reduction will be the first); then fewer
/// octets changed (the wire size of every part compressed or linked); then the faster level; then fewer archives.
/// The search is exhaustive while it is small: every set of as many links while there are at most `linkSetBudget` sets
/// in all (ten attachments: every set; thirty: every set of up to two), and with each, every subset of the attachments
/// worth compressing while there are at most `evaluationBudget` choices in the group. Beyond, it is greedy: of each
/// size, the one link set of the parts that weigh most after the change that would apply to them, and compressions
/// chosen by the most octets saved first.
struct Planner {
    struct Policy {
        var strategy: FixStrategy
        /// Links (or removals) may be made.
        var linksAllowed: Bool
        var minimumGain: Double
        var level: Int?
        var bundleName: String?
        /// Parts that leave whatever else happens (`--strategy link --link-over`).
        var forcedLinks: Set<Int> = []
    }

    var model: SizeModel
    var policy: Policy
    var limitsFor: (_ wireBytes: Int64, _ decodedBytes: Int64) -> [AppliedLimit]

    /// Link sets measured exactly in one search, at most; beyond, the greedy set of each size.
    static let linkSetBudget = 1024
    /// Choices evaluated for one group of link sets, at most: every subset of the worthwhile attachments while it
    /// stays under this, else the chain of those that save most.
    static let evaluationBudget = 1 << 18
    /// Levels tried when none is given: zlib's level 1 runs about 2.7 times faster than 6 at a somewhat worse ratio.
    static let automaticLevels = [1, 6, 9]

    var levels: [Int] { policy.level.map { [$0] } ?? Self.automaticLevels }

    /// How a choice measures, and how it ranks.
    struct Evaluation {
        var choice: Choice
        var wireBytes: Int64
        var decodedBytes: Int64
        var exact: Bool
        var fits: Bool
        /// Smaller is a lesser change (see the type's documentation).
        var rank: [Int64]
    }

    func plan() throws(FixError) -> FixPlan {
        let limits = limitsFor(0, 0)
        let maxWire = limits.filter { $0.measuredOn == .encoded }.map { $0.bytes - $0.marginBytes }.min() ?? .max
        let maxDecoded = limits.filter { $0.measuredOn == .raw }.map(\.bytes).min() ?? .max
        let fits: (Int64, Int64) -> Bool = { $0 <= maxWire && $1 <= maxDecoded }

        let pool = policy.linksAllowed ? model.candidates.filter { $0.linkable && !policy.forcedLinks.contains($0.entity) } : []
        var best: Evaluation?
        for group in linkSets(pool) {
            let perSet = Self.evaluationBudget / max(1, group.count * levels.count)
            for linked in group {
                let set = Set(linked).union(policy.forcedLinks)
                // When even free links and every compression of the rest would not fit, the links are not measured.
                if let bound = try model.withoutParts(set), bound.wireBytes - maxSaving(excluding: set) > maxWire { continue }
                let base = try model.linked(set)
                for level in levels {
                    for compressed in compressionSets(excluding: set, level: level, budget: perSet) {
                        let evaluation = evaluate(Choice(linked: set.sorted(), compressed: compressed, level: level), base: base, fits: fits)
                        guard evaluation.fits, !model.ruledOut.contains(evaluation.choice) else { continue }
                        if best.map({ evaluation.rank.lexicographicallyPrecedes($0.rank) }) ?? true { best = evaluation }
                    }
                }
            }
            // The next group has more links: no lesser change comes after one that fits.
            if let best { return makePlan(best) }
        }
        // Nothing fits: the most the options allow, so the report can say how far over that still is.
        let everything = Set(pool.map(\.entity)).union(policy.forcedLinks)
        let base = try model.linked(everything)
        let level = levels.last ?? 6
        let compressed = model.candidates.filter { !everything.contains($0.entity) && gainful($0, level: level) }.map(\.entity)
        return makePlan(evaluate(Choice(linked: everything.sorted(), compressed: policy.strategy == .link ? [] : compressed, level: level),
                                 base: base, fits: fits))
    }

    /// The link sets to try, in groups of as many links, fewest first: every set of that many parts while there are
    /// at most `linkSetBudget` of them, else the greedy one (the parts that weigh most after the change that would apply
    /// to them).
    private func linkSets(_ pool: [PlanCandidate]) -> [[[Int]]] {
        guard !pool.isEmpty else { return [[[]]] }
        let ordered = pool.sorted { weightAfterChange($0) > weightAfterChange($1) }.map(\.entity)
        var spent = 0
        return (0...pool.count).map { count in
            let sets = Self.binomial(pool.count, count)
            guard spent + sets <= Self.linkSetBudget else { return [Array(ordered.prefix(count))] }
            spent += sets
            return combinations(pool.map(\.entity), choose: count)
        }
    }

    static func binomial(_ n: Int, _ k: Int) -> Int {
        guard k >= 0 && k <= n else { return 0 }
        var result = 1
        for step in 0..<min(k, n - k) {
            result = result * (n - step) / (step + 1)
            if result > 1 << 40 { return result }
        }
        return result
    }

    private func combinations(_ items: [Int], choose count: Int) -> [[Int]] {
        guard count > 0 else { return [[]] }
        guard items.count >= count else { return [] }
        var result: [[Int]] = []
        for (position, item) in items.enumerated() {
            for rest in combinations(Array(items[(position + 1)...]), choose: count - 1) { result.append([item] + rest) }
        }
        return result
    }

    /// Octets on the wire of a part after the change that would apply to it: its best archive's, else its own.
    func weightAfterChange(_ candidate: PlanCandidate) -> Int64 {
        guard policy.strategy != .link, candidate.mayCompress else { return candidate.wireBytes }
        let archives = levels.filter { gainful(candidate, level: $0) }.map { archiveWire(candidate, level: $0).wire }
        return min(candidate.wireBytes, archives.min() ?? candidate.wireBytes)
    }

    /// The most compression could save on the wire outside `linked`.
    private func maxSaving(excluding linked: Set<Int>) -> Int64 {
        guard policy.strategy != .link else { return 0 }
        return model.candidates.filter { !linked.contains($0.entity) && $0.mayCompress }.reduce(0) { total, candidate in
            total + max(0, candidate.wireBytes - weightAfterChange(candidate))
        }
    }

    /// True when compressing `candidate` at `level` saves at least `--min-gain`.
    func gainful(_ candidate: PlanCandidate, level: Int) -> Bool {
        candidate.mayCompress && gain(candidate, level: level) >= policy.minimumGain
    }

    func gain(_ candidate: PlanCandidate, level: Int) -> Double {
        guard candidate.decodedBytes > 0 else { return 0 }
        let name = model.archiveName(of: candidate, bundle: nil)
        let bytes = model.archiveBytes(ArchiveKey(members: [candidate.entity], level: level), name: name).bytes
        return 1 - Double(bytes) / Double(candidate.decodedBytes)
    }

    private func archiveWire(_ candidate: PlanCandidate, level: Int) -> (bytes: Int64, wire: Int64, exact: Bool) {
        let name = model.archiveName(of: candidate, bundle: nil)
        let archive = model.archiveBytes(ArchiveKey(members: [candidate.entity], level: level), name: name)
        return (archive.bytes, SizeModel.wireBytes(archiveName: name, format: model.format, archiveBytes: archive.bytes), archive.exact)
    }

    /// The sets of attachments to compress at `level` besides the links: every subset of the worthwhile ones when they
    /// are few (a bundle: all or none), else the chain of those that save most.
    private func compressionSets(excluding linked: Set<Int>, level: Int, budget: Int) -> [[Int]] {
        guard policy.strategy != .link else { return [[]] }
        let worthwhile = model.candidates.filter { !linked.contains($0.entity) && gainful($0, level: level) }
        if worthwhile.isEmpty || policy.bundleName != nil { return worthwhile.isEmpty ? [[]] : [[], worthwhile.map(\.entity)] }
        if worthwhile.count < 20 && 1 << worthwhile.count <= budget {
            return (0..<(1 << worthwhile.count)).map { mask in
                worthwhile.indices.filter { mask & (1 << $0) != 0 }.map { worthwhile[$0].entity }
            }
        }
        let ordered = worthwhile.sorted { ($0.wireBytes - archiveWire($0, level: level).wire) > ($1.wireBytes - archiveWire($1, level: level).wire) }
        return (0...ordered.count).map { ordered.prefix($0).map(\.entity).sorted() }
    }

    /// The sizes of a choice from the model, and its rank.
    func evaluate(_ choice: Choice, base: EditedSize, fits: (Int64, Int64) -> Bool) -> Evaluation {
        var wire = base.wireBytes
        var decoded = base.decodedBytes
        var exact = true
        let members = model.candidates.filter { choice.compressed.contains($0.entity) }
        if let bundle = policy.bundleName, !members.isEmpty {
            let archive = model.archiveBytes(ArchiveKey(members: members.map(\.entity), level: choice.level), name: bundle)
            exact = archive.exact
            wire += SizeModel.wireBytes(archiveName: bundle, format: model.format, archiveBytes: archive.bytes) - members[0].wireBytes
            wire -= members.dropFirst().reduce(0) { $0 + $1.removalWireBytes }
            decoded += archive.bytes - members.reduce(0) { $0 + $1.decodedBytes }
        } else {
            for member in members {
                let archive = archiveWire(member, level: choice.level)
                exact = exact && archive.exact
                wire += archive.wire - member.wireBytes
                decoded += archive.bytes - member.decodedBytes
            }
        }
        let changed = model.candidates.filter { choice.linked.contains($0.entity) || choice.compressed.contains($0.entity) }
            .reduce(Int64(0)) { $0 + $1.wireBytes }
        let rank: [Int64] = [Int64(choice.linked.count), 0, changed, Int64(levels.firstIndex(of: choice.level) ?? 0),
                             Int64(choice.compressed.count)]
        return Evaluation(choice: choice, wireBytes: wire, decodedBytes: decoded, exact: exact, fits: fits(wire, decoded), rank: rank)
    }

    /// The plan of a choice: an action for every attachment shown.
    func makePlan(_ evaluation: Evaluation) -> FixPlan {
        let choice = evaluation.choice
        var actions: [FixAction] = []
        let bundled = policy.bundleName != nil && !choice.compressed.isEmpty
        let members = model.candidates.filter { choice.compressed.contains($0.entity) }
        let bundleBytes = bundled
            ? model.archiveBytes(ArchiveKey(members: members.map(\.entity), level: choice.level), name: policy.bundleName ?? "") : nil
        for candidate in model.candidates {
            var action = FixAction(entity: candidate.entity, path: candidate.path, filename: candidate.filename, kind: .keep,
                                   beforeBytes: candidate.decodedBytes, afterBytes: candidate.decodedBytes,
                                   beforeWireBytes: candidate.wireBytes, afterWireBytes: candidate.wireBytes, estimated: false)
            if choice.linked.contains(candidate.entity) {
                action.kind = policy.strategy == .remove ? .remove : .link
                action.afterBytes = 0
                action.afterWireBytes = 0
            } else if choice.compressed.contains(candidate.entity) {
                action.kind = .compress
                action.format = model.format
                action.level = choice.level
                if let bundle = policy.bundleName, let bundleBytes {
                    let first = members.first?.entity == candidate.entity
                    action.bundled = true
                    action.archiveName = bundle
                    action.afterBytes = first ? bundleBytes.bytes : 0
                    action.afterWireBytes = first ? SizeModel.wireBytes(archiveName: bundle, format: model.format, archiveBytes: bundleBytes.bytes) : 0
                    action.estimated = !bundleBytes.exact
                } else {
                    let archive = archiveWire(candidate, level: choice.level)
                    action.archiveName = model.archiveName(of: candidate, bundle: nil)
                    action.afterBytes = archive.bytes
                    action.afterWireBytes = archive.wire
                    action.estimated = !archive.exact
                }
            } else if policy.strategy == .link {
                guard candidate.linkable else { continue }
                action.reason = .notNeeded
            } else if let reason = candidate.keepReason {
                guard candidate.reported else { continue }
                action.reason = reason
            } else if gainful(candidate, level: choice.level) {
                action.reason = .notNeeded
            } else {
                action.reason = .smallGain(percent: Int((gain(candidate, level: choice.level) * 100).rounded()))
            }
            actions.append(action)
        }
        return FixPlan(actions: actions, wireBytes: evaluation.wireBytes, decodedBytes: evaluation.decodedBytes,
                       limits: limitsFor(evaluation.wireBytes, evaluation.decodedBytes))
    }
}
