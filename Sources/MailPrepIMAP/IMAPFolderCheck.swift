import Foundation
import MailPrepCore
import MIME

/// Checks the drafts in an IMAP folder without downloading them: one `UID FETCH 1:* (UID RFC822.SIZE BODYSTRUCTURE
/// ENVELOPE)` gives each message's size and parts, and its sender and recipients to judge them by.
///
/// What the server's figures are, against a download (measured against Dovecot 2.3 on the sample corpus):
/// - `RFC822.SIZE` is the message in RFC 822 form, CRLF line ends (RFC 3501 section 2.3.4): what SMTP sends. Servers
///   that store the message as it came (Dovecot, Cyrus) count it exactly; Dovecot's figure equals mailprep's own
///   count octet for octet (tested), except for a message that does not end in a line break, where SMTP adds one
///   (2 octets more than the server's figure). Servers that make MIME on demand (Exchange, Outlook.com) may give another figure
///   than a download would.
/// - Parts' sizes are their bodies after transfer encoding, equal to mailprep's for well-formed MIME; their header
///   sections are not counted (not in BODYSTRUCTURE). Malformed MIME (a boundary that is a prefix of another) can be
///   split into parts differently.
/// - Decoded sizes are estimated: base64 from its encoded length (within a few octets), quoted-printable as its
///   encoded length (an upper bound). A limit measured before encoding (Gmail's) is judged on that estimate.
///
/// `exact` downloads every message (`BODY.PEEK[]`, which leaves the \Seen flag alone) into the parser, so every figure
/// is counted as for a file.
public struct IMAPFolderCheck {
    public var check: MessageCheck
    public var exact: Bool

    public init(check: MessageCheck, exact: Bool) {
        self.check = check
        self.exact = exact
    }

    /// Checks every message of `url`'s folder (or the one its UID names), in UID order; `emit` gets each outcome,
    /// `progress` the count done and the total.
    public func run(_ url: IMAPURL, on connection: IMAPConnection, progress: ((Int, Int) -> Void)? = nil,
                    emit: @escaping (CheckOutcome) -> Void) throws(IMAPError) {
        var url = url
        let folder: String
        if url.folder.isEmpty {
            // No folder named: the one the server marks as drafts (RFC 6154; Gmail's "[Gmail]/Drafts", or
            // "[Gmail]/草稿" in Chinese), else one called Drafts.
            let spelled = try draftsFolder(on: connection)
            folder = String(decoding: spelled, as: UTF8.self)
            url.folder = ModifiedUTF7.decode(spelled)
        } else {
            folder = ModifiedUTF7.encode(url.folder)
        }
        var opened: [UInt8] = []
        try connection.command("EXAMINE \(Self.quoted(folder))", each: { opened += $0 })
        // An empty folder: nothing to fetch (some servers answer BAD to "1:*" there).
        if Self.exists(in: opened) == 0 {
            if let uid = url.uid { throw .noSuchUID(uid) }
            return
        }
        var response: [UInt8] = []
        let set = url.uid.map(String.init) ?? "1:*"
        try connection.command("UID FETCH \(set) (UID RFC822.SIZE BODYSTRUCTURE ENVELOPE)", each: { response += $0 })
        let items: [IMAPFetchItem]
        do { items = try IMAPFetchResponse.parse(response) } catch {
            throw .protocolError(detail: "FETCH answer unreadable at octet \(error.offset): \(error.reason)")
        }
        let sorted = items.filter { $0.uid != nil }.sorted { ($0.uid ?? 0) < ($1.uid ?? 0) }
        if let uid = url.uid, sorted.isEmpty { throw .noSuchUID(uid) }
        if exact {
            // Every message in one command, each literal into a parser of its own as it arrives: one round trip
            // for the folder, and memory for one message's parse at a time.
            let sink = DownloadSink(check: check, url: url, items: sorted, progress: progress, emit: emit)
            try connection.command("UID FETCH \(set) (UID BODY.PEEK[])", each: { _ in }, literals: sink)
            return
        }
        for (index, item) in sorted.enumerated() {
            guard let uid = item.uid else { continue }
            emit(judge(item, uid: uid, url: url))
            progress?(index + 1, sorted.count)
        }
    }

    /// Downloads the one message `url` names (`;UID=n`) into `into`, octet for octet as the server holds it.
    public static func download(_ url: IMAPURL, on connection: IMAPConnection, into write: @escaping (UnsafeRawBufferPointer) -> Void) throws(IMAPError) {
        guard let uid = url.uid else { throw .noSuchUID(0) }
        let folder = url.folder.isEmpty ? "INBOX" : ModifiedUTF7.encode(url.folder)
        var opened: [UInt8] = []
        try connection.command("EXAMINE \(quoted(folder))", each: { opened += $0 })
        let sink = WholeLiteral(write: write)
        try connection.command("UID FETCH \(uid) (UID BODY.PEEK[])", each: { _ in }, literals: sink)
        guard sink.seen else { throw .noSuchUID(uid) }
    }

    /// The message count of a SELECT or EXAMINE answer's `* N EXISTS`.
    static func exists(in answer: [UInt8]) -> Int? {
        let text = String(decoding: answer, as: UTF8.self)
        for line in text.split(whereSeparator: \.isNewline) {
            let words = line.split(separator: " ")
            if words.count >= 3, words[0] == "*", words[2].uppercased() == "EXISTS", let count = Int(words[1]) { return count }
        }
        return nil
    }

    /// The drafts folder's name as the server spells it.
    func draftsFolder(on connection: IMAPConnection) throws(IMAPError) -> [UInt8] {
        var answer: [UInt8] = []
        do {
            try connection.command("LIST \"\" \"*\" RETURN (SPECIAL-USE)", each: { answer += $0 })
        } catch .refused {
            // A server without LIST-EXTENDED: a plain LIST still carries RFC 6154's attributes where it has them.
            answer = []
            try connection.command("LIST \"\" \"*\"", each: { answer += $0 })
        }
        let folders: [IMAPFolder]
        do { folders = try IMAPListResponse.parse(answer) } catch {
            throw .protocolError(detail: "LIST answer unreadable at octet \(error.offset): \(error.reason)")
        }
        if let drafts = folders.first(where: { $0.isDrafts && $0.isSelectable }) { return drafts.name }
        if let named = folders.first(where: { $0.isSelectable && String(decoding: $0.name, as: UTF8.self).lowercased() == "drafts" }) {
            return named.name
        }
        throw .noDraftsFolder
    }

    /// The outcome from the server's figures alone.
    func judge(_ item: IMAPFetchItem, uid: UInt32, url: IMAPURL) -> CheckOutcome {
        let name = url.messageName(uid: uid)
        let wire = item.rfc822Size ?? 0
        let envelope = item.envelope
        let sender = envelope.flatMap { $0.from.first }.flatMap(Self.mailbox)
        var recipients: [Mailbox] = []
        var seen = Set<String>()
        for address in (envelope?.to ?? []) + (envelope?.cc ?? []) + (envelope?.bcc ?? []) {
            if let mailbox = Self.mailbox(address), seen.insert(mailbox.address.lowercased()).inserted { recipients.append(mailbox) }
        }
        let leaves = item.bodyStructure?.leaves ?? []
        let parts = leaves.map { leaf in
            PartReport(path: leaf.path, contentType: "\(leaf.type)/\(leaf.subtype)", filename: Self.filename(of: leaf),
                       disposition: leaf.disposition, transferEncoding: leaf.encoding ?? "7bit", wireBytes: leaf.size ?? 0,
                       headerWireBytes: 0, decodedBytes: Self.decodedEstimate(of: leaf))
        }
        let signed = item.bodyStructure.map { $0.type == "multipart" && ($0.subtype == "signed" || $0.subtype == "encrypted") } ?? false
        var result = check.judge(file: name, sourceBytes: wire, wireBytes: wire, decodedBytes: parts.reduce(0) { $0 + $1.decodedBytes },
                                 subject: envelope?.subject.map { EncodedWord.decode($0) }, sender: sender,
                                 recipients: recipients, parts: parts, problems: [], signedOrEncrypted: signed)
        result.stored = StoredMessage(format: .imap, container: url.folderName, uid: uid, sizesFrom: .server)
        return .checked(result)
    }

    /// The problem code when the server's RFC822.SIZE is not the size counted from the download (detail: the
    /// server's figure).
    public static let serverSizeDiffers = "server-size-differs"

    /// The decoded size from the encoded one: base64 without its line breaks, three octets for four characters;
    /// anything else as it is (quoted-printable: at most that).
    static func decodedEstimate(of part: IMAPBodyStructure) -> Int64 {
        let size = part.size ?? 0
        guard part.encoding == "base64", size > 0 else { return size }
        // Lines of 76 characters and CRLF, as every mailer writes them; the last line's CRLF belongs to the boundary
        // after it. Within 3 octets of the real figure (the padding is not known).
        let characters = max(0, size - 2 * (size / 78))
        return characters / 4 * 3
    }

    static func filename(of part: IMAPBodyStructure) -> String? {
        for (parameters, name) in [(part.dispositionParameters, "filename"), (part.parameters, "name")] {
            let text = parameters.map { parameter -> String in
                let value = String(decoding: parameter.value, as: UTF8.self)
                return parameter.name.hasSuffix("*") ? "; \(parameter.name)=\(value)"
                    : "; \(parameter.name)=\"\(value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))\""
            }.joined()
            if let value = MIMEParameters(parsing: Array(text.utf8))[name] { return value }
        }
        return nil
    }

    static func mailbox(_ address: IMAPAddress) -> Mailbox? {
        guard let local = address.mailbox, let host = address.host else { return nil }
        let name = address.name.map { EncodedWord.decode($0) }
        return Mailbox(displayName: name, address: String(decoding: local, as: UTF8.self) + "@" + String(decoding: host, as: UTF8.self))
    }

    /// An IMAP quoted string.
    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

/// Parses each downloaded message as it streams in and checks it when it ends.
final class DownloadSink: IMAPLiteralSink {
    let check: MessageCheck
    let url: IMAPURL
    /// The folder's messages by sequence number: their UIDs and the server's sizes.
    let bySequence: [Int: IMAPFetchItem]
    let total: Int
    let progress: ((Int, Int) -> Void)?
    let emit: (CheckOutcome) -> Void
    private var parser: MessageParser?
    private var current: IMAPFetchItem?
    private var done = 0

    init(check: MessageCheck, url: IMAPURL, items: [IMAPFetchItem], progress: ((Int, Int) -> Void)?,
         emit: @escaping (CheckOutcome) -> Void) {
        self.check = check
        self.url = url
        bySequence = Dictionary(items.map { ($0.sequence, $0) }, uniquingKeysWith: { first, _ in first })
        total = items.count
        self.progress = progress
        self.emit = emit
    }

    func begin(after line: [UInt8]) {
        // "* 3 FETCH (...": the sequence number names the message.
        let words = line.split(separator: 0x20, maxSplits: 3)
        let sequence = words.count > 2 ? Int(String(decoding: words[1], as: UTF8.self)) : nil
        current = sequence.flatMap { bySequence[$0] }
        parser = current == nil ? nil : MessageParser(limits: check.parserLimits)
    }

    func write(_ piece: UnsafeRawBufferPointer) {
        parser?.feed(piece)
    }

    func end() {
        guard let parser, let item = current, let uid = item.uid else { return }
        self.parser = nil
        let name = url.messageName(uid: uid)
        let outcome = check.check(parser.finish(), file: name)
        done += 1
        defer { progress?(done, total) }
        guard case .checked(var result) = outcome else { return emit(outcome) }
        result.stored = StoredMessage(format: .imap, container: url.folderName, uid: uid, sizesFrom: .message)
        if let serverSize = item.rfc822Size, serverSize != result.wireBytes {
            result.problems.append(Problem(severity: .info, code: IMAPFolderCheck.serverSizeDiffers, offset: nil, path: nil,
                                           detail: String(serverSize)))
        }
        emit(.checked(result))
    }
}

/// Hands the literals of an answer on as they come (one message's octets).
final class WholeLiteral: IMAPLiteralSink {
    let deliver: (UnsafeRawBufferPointer) -> Void
    private(set) var seen = false

    init(write: @escaping (UnsafeRawBufferPointer) -> Void) {
        deliver = write
    }

    func begin(after line: [UInt8]) { seen = true }
    func write(_ piece: UnsafeRawBufferPointer) { deliver(piece) }
    func end() {}
}
