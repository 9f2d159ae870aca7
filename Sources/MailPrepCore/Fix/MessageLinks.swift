import Foundation
import MIME

/// How `fix` chooses its change.
public enum FixStrategy: String, Sendable, CaseIterable {
    /// Compress first; when that is not enough, move the largest attachments to the share.
    case auto
    /// Compress only.
    case compress
    /// Move attachments to the share: those over `linkOver`, else the largest until the message fits.
    case link
    /// Compress first; when that is not enough, take the heaviest attachments out of the message, leaving a note of
    /// each (name, size, SHA-256) in its text. Nothing is shared; `auto` never does this.
    case remove
}

/// Where shared files go and how their links look.
public struct ShareOptions: Sendable {
    public var store: ShareStore
    /// The public address of the share's root, ending in "/"; nil when none is configured.
    public var baseURL: String?
    /// How long a link works.
    public var lifetime: TimeInterval
    /// Reuse an unexpired entry with the same bytes and name instead of sharing a file again.
    public var dedupe: Bool
    /// Ask for a password on download; one is made up per message and shown to the sender only.
    public var protect: Bool
    public var block: LinkBlock

    public init(store: ShareStore, baseURL: String?, lifetime: TimeInterval = 30 * 86_400, dedupe: Bool = false,
                protect: Bool = false, block: LinkBlock) {
        self.store = store
        self.baseURL = baseURL.map { $0.hasSuffix("/") ? $0 : $0 + "/" }
        self.lifetime = lifetime
        self.dedupe = dedupe
        self.protect = protect
        self.block = block
    }

    /// Why `baseURL` cannot go into a message: missing, not http(s), or a loopback address only this machine reaches.
    public var urlProblem: ShareURLProblem? {
        guard let baseURL else { return .missing }
        guard let url = URL(string: baseURL), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host?.lowercased(), !host.isEmpty else { return .invalid(baseURL) }
        return Self.isLoopback(host) ? .loopback(baseURL) : nil
    }

    /// `localhost` (and names below it), an address in 127.0.0.0/8, ::1, or the unspecified 0.0.0.0 and ::, judged
    /// as addresses: `127.0.0.1.example.org` is a name like any other.
    static func isLoopback(_ host: String) -> Bool {
        let name = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if name == "localhost" || name.hasSuffix(".localhost") { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, name, &v4) == 1 {
            let address = UInt32(bigEndian: v4.s_addr)
            return address >> 24 == 127 || address == 0
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, name, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { bytes in bytes.dropLast().allSatisfy { $0 == 0 } && (bytes.last == 1 || bytes.last == 0) }
        }
        return false
    }

    /// The address of a shared file: base, token, file name percent-encoded.
    public func url(token: String, fileName: String) -> String {
        (baseURL ?? ShareOptions.placeholderBase) + token + "/" + ShareOptions.percentEncoded(fileName)
    }

    /// Stands in for a missing base URL in a plan, so that the plan can still be measured.
    static let placeholderBase = "https://share.invalid/"

    /// A path segment with everything but unreserved characters (RFC 3986 section 2.3) percent-encoded.
    public static func percentEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}

public enum ShareURLProblem: Sendable, Equatable {
    case missing
    case invalid(String)
    case loopback(String)
}

/// One attachment moved to the share: the part that leaves and the file the link points at. A linked bundle is
/// one link for several parts: `members` all leave, the first (`entity`) where the link is counted.
struct LinkedPart {
    var entity: Int
    var link: SharedLink
    var members: [Int]

    init(entity: Int, link: SharedLink, members: [Int]? = nil) {
        self.entity = entity
        self.link = link
        self.members = members ?? [entity]
    }
}

/// The edits that replace attachments by links: parts removed, a block added to the message's text (plain and
/// HTML; a new text part when there is none), and one `X-Mailprep-Link` header per link on the message.
struct MessageLinks {
    var message: Message
    var source: SourceFile
    var block: LinkBlock
    var protected: Bool

    /// Stand-ins of the same lengths as real tokens and digests: a message measured with them has the size it
    /// has with the real ones.
    static let placeholderToken = String(repeating: "A", count: 22)
    static let placeholderDigest = String(repeating: "0", count: 64)

    /// Whether an entity can leave the message for a link: an attachment (attached messages included), not
    /// something the HTML shows inline. A message that is itself one attachment (no multipart) counts: it becomes a
    /// text message carrying the link.
    static func canLink(_ entity: Entity, in message: Message) -> Bool {
        let isPart = entity.parent != nil ? entity.kind != .multipart : entity.kind == .leaf
        return isPart && message.isAttachment(entity) && !message.isReferencedByHTML(entity)
    }

    /// Content fields of a part: what a root attachment drops when it becomes the text that links to it.
    static var contentFields: Set<String> { NewPart.contentFields }

    /// The first text/plain and the first text/html body of the message (both alternatives when there are two).
    func textBodies() -> (plain: Int?, html: Int?) {
        var plain: Int?
        var html: Int?
        for (index, entity) in message.entities.enumerated() where entity.kind == .leaf && entity.contentType.type == "text" {
            guard entity.disposition != "attachment", entity.filename == nil else { continue }
            if entity.contentType.subtype == "plain" && plain == nil { plain = index }
            if entity.contentType.subtype == "html" && html == nil { html = index }
        }
        return (plain, html)
    }

    /// Adds the edits for `links` to `edits`; with `removed`, the parts leave with a note of what was left out
    /// instead of a link.
    func apply(_ links: [LinkedPart], removed: Bool = false, to edits: inout MessageEdits) throws {
        guard !links.isEmpty else { return }
        let shown = links.map(\.link)
        let blockText: () throws -> String = { removed ? try block.removedText(shown) : try block.text(shown, protected: protected) }
        let blockHTML: () throws -> String = { removed ? try block.removedHTML(shown) : try block.html(shown, protected: protected) }
        let headerLine: (SharedLink, String) -> String = { removed ? Self.removedHeader($0, lineBreak: $1) : Self.header($0, lineBreak: $1) }
        let lineBreak = message.lineBreak
        let lineBreakText = String(decoding: lineBreak, as: UTF8.self)
        if links.contains(where: { $0.entity == 0 }) {
            // The message is the attachment: it becomes a text message with the block, its own header kept but for
            // the content fields.
            var rootHeader = MemorySink()
            try source.copy(message.entities[0].headerSpan, into: &rootHeader)
            let text = try blockText().trimmingPrefix("\n")
            var body = QuotedPrintableEncoder.encode(CRLFSink.canonical(Array(text.utf8)), lineBreak: lineBreak)
            if !body.isEmpty && body.last != 0x0A { body += lineBreak }
            var fields = ["Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: quoted-printable"]
            if message.root.header.text("MIME-Version") == nil { fields.insert("MIME-Version: 1.0", at: 0) }
            fields += shown.map { headerLine($0, lineBreakText) }
            edits.rewrites[0] = RewrittenPart(header: HeaderEditor.edit(rootHeader.bytes, removing: Self.contentFields, adding: fields,
                                                                         lineBreak: lineBreak),
                                               body: body)
            return
        }
        for part in links { edits.removals.formUnion(part.members) }
        let bodies = textBodies()
        if let plain = bodies.plain {
            edits.rewrites[plain] = try TextBodyEditor.insert(try blockText(), into: message.entities[plain],
                                                               placement: .end, message: message, source: source)
        }
        if let html = bodies.html {
            edits.rewrites[html] = try TextBodyEditor.insert(try blockHTML(), into: message.entities[html],
                                                              placement: .beforeHTMLBodyEnd, message: message, source: source)
        }
        if bodies.plain == nil && bodies.html == nil {
            guard let first = message.entities[0].children.first else { throw LinkError.noPlaceForText }
            let text = try blockText().trimmingPrefix("\n")
            let body = QuotedPrintableEncoder.encode(CRLFSink.canonical(Array(text.utf8)), lineBreak: lineBreak)
            edits.insertions[first] = try MessageEdits.newPart(
                before: first, in: message, source: source,
                headerFields: ["Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: quoted-printable"],
                body: body)
        }
        var rootHeader = MemorySink()
        try source.copy(message.entities[0].headerSpan, into: &rootHeader)
        edits.rewrites[0] = RewrittenPart(header: HeaderEditor.edit(rootHeader.bytes, adding: shown.map { headerLine($0, lineBreakText) },
                                                                       lineBreak: lineBreak))
    }

    /// `X-Mailprep-Link: <url>; size=...; sha256=...; expires=...; filename*=...`, folded between parameters.
    static func header(_ link: SharedLink, lineBreak: String) -> String {
        folded(["X-Mailprep-Link: <\(link.url)>", "size=\(link.size)", "sha256=\(link.sha256)",
                "expires=\(LinkBlock.isoDate(link.expires))"], name: link.name, lineBreak: lineBreak)
    }

    /// `X-Mailprep-Removed: size=...; sha256=...; filename*=...`: a part left out, for tools.
    static func removedHeader(_ link: SharedLink, lineBreak: String) -> String {
        folded(["X-Mailprep-Removed: size=\(link.size)", "sha256=\(link.sha256)"], name: link.name, lineBreak: lineBreak)
    }

    /// A field of `;`-separated parameters ending in the file name (RFC 2231), folded between parameters.
    private static func folded(_ parameters: [String], name: String, lineBreak: String) -> String {
        (parameters + NewPart.rfc2231(name: "filename", value: name)).joined(separator: ";" + lineBreak + " ")
    }

    enum LinkError: Error, CustomStringConvertible {
        case noPlaceForText
        var description: String { "the message has no part where a download link could be written" }
    }
}
