import Foundation
import MIME

/// How `mailprep fix` may change a message.
public struct FixOptions: Sendable {
    public var format: ArchiveFormat
    /// Compression level 1-9; nil chooses the fastest level that makes the message fit.
    public var level: Int?
    /// An attachment is compressed only when it shrinks by at least this fraction.
    public var minimumGain: Double
    /// Put every attachment that compresses into one archive of this name (in place of the first of them).
    public var bundleName: String?
    public var strategy: FixStrategy
    /// With `.link`: every attachment larger than this (decoded) is linked; nil links only as many as needed.
    public var linkOver: Int64?
    /// Where linked attachments go; nil when linking is not possible.
    public var share: ShareOptions?

    public init(format: ArchiveFormat = .zip, level: Int? = nil, minimumGain: Double = 0.10, bundleName: String? = nil,
                strategy: FixStrategy = .compress, linkOver: Int64? = nil, share: ShareOptions? = nil) {
        self.format = format
        self.level = level
        self.minimumGain = minimumGain
        self.bundleName = bundleName
        self.strategy = strategy
        self.linkOver = linkOver
        self.share = share
    }
}

/// What happens to one attachment.
public struct FixAction: Sendable {
    public enum Kind: String, Sendable {
        case keep
        case compress
        /// Moved to the file share; a download link takes its place.
        case link
        /// Left out of the message (`--strategy remove`); a note of its name, size and SHA-256 takes its place.
        case remove
    }

    /// Index in `Message.entities`.
    public var entity: Int
    public var path: String
    public var filename: String?
    public var kind: Kind
    /// Why an attachment is kept.
    public var reason: KeepReason?
    public var format: ArchiveFormat?
    public var level: Int?
    /// Name of the archive that replaces the attachment (a bundle's name for bundled attachments).
    public var archiveName: String?
    /// True when the attachment goes into the shared archive `archiveName` (`--bundle`).
    public var bundled = false
    /// Octets of the attachment as a file (decoded).
    public var beforeBytes: Int64
    /// Octets of the archive (estimated in a plan; exact once written).
    public var afterBytes: Int64
    /// Octets of the part on the wire (header and body), before and after.
    public var beforeWireBytes: Int64
    public var afterWireBytes: Int64
    /// True while `afterBytes` is an estimate from samples.
    public var estimated: Bool
    /// Seconds spent compressing.
    public var seconds: Double?
    /// For a link: the share entry made for it (nil in a plan) and its address.
    public var shared: ShareEntry?
    public var url: String?
    /// For a link: when it stops working.
    public var expires: Date?

    /// Fraction of octets saved.
    public var gain: Double { beforeBytes > 0 ? 1 - Double(afterBytes) / Double(beforeBytes) : 0 }

    /// The name of the file inside the archive: the attachment's, or one made from its section.
    var fileName: String { filename ?? "attachment-\(path).bin" }

    /// The name the archive gets in the message: the file's name with the format's extension added.
    func archiveName(for format: ArchiveFormat) -> String { fileName + "." + format.fileExtension }
}

/// The least change that makes a message fit: which attachments to compress, with predicted sizes.
public struct FixPlan: Sendable {
    public var actions: [FixAction]
    /// Predicted octets on the wire after the change.
    public var wireBytes: Int64
    /// Predicted content octets before encoding after the change.
    public var decodedBytes: Int64
    /// The limits, measured against the predicted sizes.
    public var limits: [AppliedLimit]
    /// False when links were measured with a stand-in address because no share URL is configured.
    public var linkAddressKnown = true
    /// True when every size in the plan is exact (nothing estimated).
    public var isExact: Bool { !actions.contains { $0.kind == .compress && $0.estimated } && linkAddressKnown }
    public var fits: Bool { limits.allSatisfy(\.fits) }

    /// The entities to compress.
    public var compressions: [FixAction] { actions.filter { $0.kind == .compress } }
    /// The entities moved to the share.
    public var links: [FixAction] { actions.filter { $0.kind == .link } }
    /// The entities left out.
    public var removals: [FixAction] { actions.filter { $0.kind == .remove } }
}

/// Chooses which attachments to compress, from estimates: best gain first, until the message fits.
struct FixPlanner {
    var message: Message
    var source: SourceFile
    var options: FixOptions
    var limitsFor: (_ wireBytes: Int64, _ decodedBytes: Int64) -> [AppliedLimit]
    /// Entities that leave the message for links: not compressed, not reported here.
    var excluded: Set<Int> = []
    /// The message's sizes before compression (after links, when there are any).
    var baseWireBytes: Int64
    var baseDecodedBytes: Int64

    /// Levels tried when none is given: zlib's level 1 runs about 2.7 times faster than 6 at a somewhat worse ratio.
    static let automaticLevels = [1, 6, 9]

    func plan() throws -> FixPlan {
        let levels = options.level.map { [$0] } ?? [1, 6]
        var candidates: [(action: FixAction, estimate: CompressionEstimate)] = []
        var kept: [FixAction] = []
        for (index, entity) in message.entities.enumerated() where entity.isLeaf && index != 0 && !excluded.contains(index) {
            var action = FixAction(entity: index, path: entity.path, filename: entity.filename, kind: .keep,
                                   beforeBytes: entity.decodedBytes, afterBytes: entity.decodedBytes,
                                   beforeWireBytes: entity.headerWireBytes + entity.bodyWireBytes,
                                   afterWireBytes: entity.headerWireBytes + entity.bodyWireBytes, estimated: false)
            if let reason = CompressionPolicy.reasonToSkip(entity, in: message) {
                action.reason = reason
                if entity.filename != nil || entity.disposition == "attachment" { kept.append(action) }
                continue
            }
            candidates.append((action, try CompressionEstimate.estimate(entity, source: source, levels: levels)))
        }
        var best: FixPlan?
        for level in levels {
            let plan = planAt(level: level, candidates: candidates, kept: kept)
            if plan.fits { return plan }
            best = plan
        }
        return best ?? planAt(level: 6, candidates: candidates, kept: kept)
    }

    /// The plan at one level: candidates by gain, added until the message fits.
    private func planAt(level: Int, candidates: [(action: FixAction, estimate: CompressionEstimate)], kept: [FixAction]) -> FixPlan {
        var worthwhile: [FixAction] = []
        var actions = kept
        for (candidate, estimate) in candidates {
            var action = candidate
            let ratio = estimate.ratios[level] ?? estimate.ratios.values.min() ?? 1
            let archiveName = action.archiveName(for: options.format)
            let archiveBytes = Int64((ratio * Double(action.beforeBytes)).rounded(.up)) + Self.overhead(options.format, name: archiveName)
            action.afterBytes = archiveBytes
            action.afterWireBytes = Self.wireBytes(archiveName: archiveName, format: options.format, archiveBytes: archiveBytes)
            if action.gain < options.minimumGain {
                action.reason = .smallGain(percent: Int((action.gain * 100).rounded()))
                actions.append(action)
                continue
            }
            action.kind = .compress
            action.format = options.format
            action.level = level
            action.archiveName = archiveName
            action.estimated = true
            worthwhile.append(action)
        }
        if let bundle = options.bundleName, !worthwhile.isEmpty {
            return bundlePlan(bundle, worthwhile: worthwhile.sorted { $0.entity < $1.entity }, others: actions)
        }
        worthwhile.sort { ($0.beforeWireBytes - $0.afterWireBytes) > ($1.beforeWireBytes - $1.afterWireBytes) }
        var wire = baseWireBytes
        var decoded = baseDecodedBytes
        var limits = limitsFor(wire, decoded)
        for var action in worthwhile {
            if limits.allSatisfy(\.fits) {
                action.kind = .keep
                action.reason = .notNeeded
                action.afterBytes = action.beforeBytes
                action.afterWireBytes = action.beforeWireBytes
                action.estimated = false
                action.format = nil
                action.level = nil
                action.archiveName = nil
                actions.append(action)
                continue
            }
            wire += action.afterWireBytes - action.beforeWireBytes
            decoded += action.afterBytes - action.beforeBytes
            limits = limitsFor(wire, decoded)
            actions.append(action)
        }
        actions.sort { $0.entity < $1.entity }
        return FixPlan(actions: actions, wireBytes: wire, decodedBytes: decoded, limits: limits)
    }

    /// Every worthwhile attachment in one archive, which takes the place of the first; the others leave.
    private func bundlePlan(_ bundle: String, worthwhile: [FixAction], others: [FixAction]) -> FixPlan {
        let total = worthwhile.reduce(Int64(0)) { $0 + $1.afterBytes }
        var actions = others
        var wire = baseWireBytes
        var decoded = baseDecodedBytes
        for (position, var action) in worthwhile.enumerated() {
            action.archiveName = bundle
            action.bundled = true
            action.afterBytes = position == 0 ? total : 0
            action.afterWireBytes = position == 0 ? Self.wireBytes(archiveName: bundle, format: options.format, archiveBytes: total) : 0
            wire += action.afterWireBytes - action.beforeWireBytes
            decoded += action.afterBytes - action.beforeBytes
            actions.append(action)
        }
        actions.sort { $0.entity < $1.entity }
        return FixPlan(actions: actions, wireBytes: wire, decodedBytes: decoded, limits: limitsFor(wire, decoded))
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
