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
    /// The exact sizes of the message with these parts gone and one link to an archive of this many octets in their
    /// place (`--bundle` with links).
    var bundleLinked: (Set<Int>, Int64) throws(FixError) -> EditedSize = { _, _ throws(FixError) in
        throw .internalError("no size model for a linked bundle")
    }
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
    /// `--bundle` with links: the linked parts leave together, as one archive in the share behind one link (made
    /// at `level`).
    var bundledLinks = false
}

/// Chooses the least change that makes a message fit, from a size model alone: it reads nothing and makes nothing.
///
/// "Least", in order: nothing linked beats links (the recipient has everything in the message); fewer links beat
/// more; fewer octets linked (of two single links that are enough, the smaller part leaves, and a part that compresses
/// is compressed rather than linked when another can leave instead); lossless changes before lossy ones (nothing lossy
/// exists yet: photo reduction will be the first); then fewer octets compressed; then the faster level; then fewer
/// archives. Octets are wire sizes of the parts as they came.
/// The search is exhaustive while it is small: every set of as many links while there are at most `linkSetBudget` sets
/// in all (ten attachments: every set; thirty: every set of up to two), and with each, every subset of the attachments
/// worth compressing while its share of `evaluationBudget` choices allows. Beyond, it is greedy: of each
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
        /// Only choices whose every figure is real (archives made): the executor's last word.
        var exactOnly = false
    }

    var model: SizeModel
    var policy: Policy
    var limitsFor: (_ wireBytes: Int64, _ decodedBytes: Int64) -> [AppliedLimit]

    /// Link sets measured exactly in one search, at most; beyond, the greedy set of each size.
    static let linkSetBudget = 1024
    /// Choices evaluated in one search, about: each link set with each level gets an equal share of what is left,
    /// every subset of the worthwhile attachments while that share allows, else the chain of those that save most.
    static let evaluationBudget = 1 << 20
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

    /// What compressing one attachment at one level changes, worked out once a search.
    struct Figure {
        var wireDelta: Int64
        var decodedDelta: Int64
        var exact: Bool
        var gainful: Bool
    }

    func plan() throws(FixError) -> FixPlan {
        let limits = limitsFor(0, 0)
        let maxWire = limits.filter { $0.measuredOn == .encoded }.map { $0.bytes - $0.marginBytes }.min() ?? .max
        let maxDecoded = limits.filter { $0.measuredOn == .raw }.map(\.bytes).min() ?? .max
        let fits: (Int64, Int64) -> Bool = { $0 <= maxWire && $1 <= maxDecoded }
        let candidates = model.candidates
        // Each candidate at each level: the changes as integers, so a choice is a sum.
        let figures: [[Figure]] = levels.map { level in
            candidates.map { candidate in
                guard candidate.mayCompress, policy.strategy != .link else { return Figure(wireDelta: 0, decodedDelta: 0, exact: true, gainful: false) }
                let archive = archiveWire(candidate, level: level)
                return Figure(wireDelta: archive.wire - candidate.wireBytes, decodedDelta: archive.bytes - candidate.decodedBytes,
                              exact: archive.exact, gainful: gainful(candidate, level: level))
            }
        }
        let position = Dictionary(uniqueKeysWithValues: candidates.enumerated().map { ($0.element.entity, $0.offset) })

        let pool = policy.linksAllowed ? candidates.filter { $0.linkable && !policy.forcedLinks.contains($0.entity) } : []
        var best: Evaluation?
        var evaluations = 0
        for group in linkSets(pool) {
            for linked in group {
                let set = Set(linked).union(policy.forcedLinks)
                // When even free links and every compression of the rest would not fit, the links are not measured.
                if let bound = try model.withoutParts(set), bound.wireBytes - maxSaving(excluding: set) > maxWire { continue }
                let base = try model.linked(set)
                let linkedOctets = set.reduce(Int64(0)) { $0 + candidates[position[$1]!].wireBytes }
                for (levelIndex, level) in levels.enumerated() {
                    let worthwhile = candidates.indices.filter { !set.contains(candidates[$0].entity) && figures[levelIndex][$0].gainful }
                    let share = max(1, (Self.evaluationBudget - evaluations) / max(1, group.count * levels.count))
                    func consider(_ evaluation: Evaluation) {
                        guard evaluation.fits, !model.ruledOut.contains(evaluation.choice), !policy.exactOnly || evaluation.exact else { return }
                        if best.map({ evaluation.rank.lexicographicallyPrecedes($0.rank) }) ?? true { best = evaluation }
                    }
                    if policy.bundleName == nil && worthwhile.count < 24 && 1 << worthwhile.count <= share {
                        // Every subset, summed without building it unless it fits.
                        let level = levelIndex
                        for mask in 0..<(1 << worthwhile.count) {
                            evaluations += 1
                            var wire = base.wireBytes
                            var decoded = base.decodedBytes
                            var rest = mask
                            var bit = 0
                            while rest != 0 {
                                if rest & 1 != 0 {
                                    wire += figures[level][worthwhile[bit]].wireDelta
                                    decoded += figures[level][worthwhile[bit]].decodedDelta
                                }
                                rest >>= 1
                                bit += 1
                            }
                            guard fits(wire, decoded) else { continue }
                            let members = worthwhile.indices.filter { mask & (1 << $0) != 0 }.map { worthwhile[$0] }
                            consider(sum(members, figures: figures[level], base: base, linked: set, linkedOctets: linkedOctets,
                                         level: levels[level], levelIndex: level, fits: fits))
                        }
                        continue
                    }
                    for members in compressionSets(worthwhile, figures: figures[levelIndex]) {
                        evaluations += 1
                        consider(policy.bundleName != nil && !members.isEmpty
                            ? evaluate(Choice(linked: set.sorted(), compressed: members.map { candidates[$0].entity }, level: level),
                                       base: base, fits: fits)
                            : sum(members, figures: figures[levelIndex], base: base, linked: set, linkedOctets: linkedOctets,
                                  level: level, levelIndex: levelIndex, fits: fits))
                    }
                }
            }
            // With --bundle, the parts that leave go together: one link to an archive weighs as one link. The parts that
            // must leave (--link-over) go as one from the start; when one more link is needed, every attachment goes,
            // after the single links that are enough (they move fewer octets).
            let together: [PlanCandidate]? = switch group.first?.count {
            case 0: policy.forcedLinks.count >= 2 ? [] : nil
            case 1: pool
            default: nil
            }
            if let together, let bundled = try bundledLinks(together, fits: fits),
               bundled.fits, !model.ruledOut.contains(bundled.choice), !policy.exactOnly || bundled.exact,
               best.map({ bundled.rank.lexicographicallyPrecedes($0.rank) }) ?? true {
                best = bundled
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

    /// The level a linked bundle is made at: it travels outside the message, so the fastest, unless one is given.
    var bundleLinkLevel: Int { policy.level ?? 1 }

    /// `--bundle` with links: the attachments of `pool` and those that must leave, as one archive behind one link.
    /// Nil without `--bundle`, with fewer than two such attachments, or when removing.
    func bundledLinks(_ pool: [PlanCandidate], fits: (Int64, Int64) -> Bool) throws(FixError) -> Evaluation? {
        guard let name = policy.bundleName, policy.strategy != .remove else { return nil }
        let members = Set(pool.map(\.entity)).union(policy.forcedLinks)
        guard members.count >= 2 else { return nil }
        let archive = model.archiveBytes(ArchiveKey(members: members.sorted(), level: bundleLinkLevel), name: name)
        let size = try model.bundleLinked(members, archive.bytes)
        let octets = model.candidates.filter { members.contains($0.entity) }.reduce(Int64(0)) { $0 + $1.wireBytes }
        let choice = Choice(linked: members.sorted(), compressed: [], level: bundleLinkLevel, bundledLinks: true)
        return Evaluation(choice: choice, wireBytes: size.wireBytes, decodedBytes: size.decodedBytes, exact: archive.exact,
                          fits: fits(size.wireBytes, size.decodedBytes), rank: [1, octets, 0, 0, 0, 0])
    }

    /// A choice of separate archives, measured as the sum of its members' figures.
    private func sum(_ members: [Int], figures: [Figure], base: EditedSize, linked: Set<Int>, linkedOctets: Int64, level: Int,
                     levelIndex: Int, fits: (Int64, Int64) -> Bool) -> Evaluation {
        var wire = base.wireBytes
        var decoded = base.decodedBytes
        var exact = true
        var compressedOctets: Int64 = 0
        for member in members {
            wire += figures[member].wireDelta
            decoded += figures[member].decodedDelta
            exact = exact && figures[member].exact
            compressedOctets += model.candidates[member].wireBytes
        }
        let choice = Choice(linked: linked.sorted(), compressed: members.map { model.candidates[$0].entity }, level: members.isEmpty ? 0 : level)
        return Evaluation(choice: choice, wireBytes: wire, decodedBytes: decoded, exact: exact, fits: fits(wire, decoded),
                          rank: [Int64(linked.count), linkedOctets, 0, compressedOctets, members.isEmpty ? 0 : Int64(levelIndex), Int64(members.count)])
    }

    /// The link sets to try, in groups of as many links, fewest first: every set of that many parts while there are
    /// at most `linkSetBudget` of them, else the greedy one (the parts that weigh most after the change that would apply
    /// to them).
    private func linkSets(_ pool: [PlanCandidate]) -> [[[Int]]] {
        guard !pool.isEmpty else { return [[[]]] }
        let ordered = pool.sorted { weightAfterChange($0) > weightAfterChange($1) }.map(\.entity)
        var spent = 0
        var greedy = false
        return (0...pool.count).map { count in
            let sets = Self.binomial(pool.count, count)
            greedy = greedy || spent + sets > Self.linkSetBudget
            guard !greedy else { return [Array(ordered.prefix(count))] }
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

    /// The sets of attachments (indices in `model.candidates`) to compress besides the links when not every subset is
    /// summed (`plan()` does that while its budget allows): a bundle's all or none, else the chain of those that save most.
    private func compressionSets(_ worthwhile: [Int], figures: [Figure]) -> [[Int]] {
        if worthwhile.isEmpty || policy.bundleName != nil { return worthwhile.isEmpty ? [[]] : [[], worthwhile] }
        let ordered = worthwhile.sorted { figures[$0].wireDelta < figures[$1].wireDelta }
        return (0...ordered.count).map { ordered.prefix($0).sorted() }
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
        let linkedOctets = model.candidates.filter { choice.linked.contains($0.entity) }.reduce(Int64(0)) { $0 + $1.wireBytes }
        let compressedOctets = members.reduce(Int64(0)) { $0 + $1.wireBytes }
        let rank: [Int64] = [Int64(choice.linked.count), linkedOctets, 0, compressedOctets,
                             members.isEmpty ? 0 : Int64(levels.firstIndex(of: choice.level) ?? 0), Int64(choice.compressed.count)]
        var normalised = choice
        if members.isEmpty { normalised.level = 0 }
        return Evaluation(choice: normalised, wireBytes: wire, decodedBytes: decoded, exact: exact, fits: fits(wire, decoded), rank: rank)
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
                if choice.bundledLinks, let bundle = policy.bundleName {
                    // The archive's size stands on its first member, as a compressed bundle's does.
                    action.bundled = true
                    action.archiveName = SafeFilename.make(bundle)
                    action.format = model.format
                    action.level = choice.level
                    let archive = model.archiveBytes(ArchiveKey(members: choice.linked, level: choice.level), name: bundle)
                    action.afterBytes = choice.linked.first == candidate.entity ? archive.bytes : 0
                    action.estimated = !archive.exact
                }
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
                action.reason = .smallGain(percent: max(0, Int((gain(candidate, level: choice.level) * 100).rounded())))
            }
            actions.append(action)
        }
        var plan = FixPlan(actions: actions, wireBytes: evaluation.wireBytes, decodedBytes: evaluation.decodedBytes,
                           limits: limitsFor(evaluation.wireBytes, evaluation.decodedBytes))
        plan.choice = evaluation.choice
        return plan
    }

    /// Every attachment worth compressing at `level`, as the actions that make their archives (one bundle with
    /// `--bundle`): what the executor makes at once when estimates keep changing the plan.
    func worthwhileCompressions(level: Int) throws(FixError) -> [FixAction] {
        let members = model.candidates.filter { gainful($0, level: level) }.map(\.entity)
        guard !members.isEmpty else { return [] }
        return makePlan(evaluate(Choice(linked: [], compressed: members, level: level), base: try model.linked([]), fits: { _, _ in true }))
            .compressions
    }
}
