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

    /// The name of the file inside the archive: the attachment's made safe (no path can escape an archive), or one
    /// made from its section.
    var fileName: String { SafeFilename.make(filename ?? "attachment-\(path).bin") }

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
    /// The planner's choice this plan carries out (for ruling it out when it measures over).
    var choice: Choice?
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
