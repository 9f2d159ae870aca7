import MIME

/// Measures a parsed message and judges it against the limits a policy gives.
public struct MessageCheck: Sendable {
    public var policy: LimitPolicy
    public var parserLimits: ParserLimits
    /// Who really sends and receives (SMTP's MAIL FROM and RCPT TO, `sendmail -f` and its arguments); nil judges by
    /// the header's From, To, Cc and Bcc.
    public var envelope: Envelope?

    public init(policy: LimitPolicy, parserLimits: ParserLimits = .default, envelope: Envelope? = nil) {
        self.policy = policy
        self.parserLimits = parserLimits
        self.envelope = envelope
    }

    /// Checks the file at `path` ("-" reads standard input).
    public func check(path: String) -> CheckOutcome {
        let message: Message
        do {
            message = path == "-"
                ? try MessageReader.parse(descriptor: 0, name: "-", limits: parserLimits)
                : try MessageReader.parse(path: path, limits: parserLimits)
        } catch {
            return .failed(Self.failure(for: error, file: path))
        }
        return check(message, file: path)
    }

    /// Checks the message at `location`: a whole file, or one inside an mbox or `.emlx` file, named as
    /// `location.name` says (`FILE#N` for an mbox's Nth).
    public func check(_ location: MessageLocation) -> CheckOutcome {
        if location.isWholeFile { return check(path: location.path) }
        let message: Message
        do {
            message = try MessageReader.parse(location, limits: parserLimits)
        } catch {
            return .failed(Self.failure(for: error, file: location.name))
        }
        let outcome = check(message, file: location.name)
        guard case .checked(var result) = outcome else { return outcome }
        result.stored = StoredMessage(location)
        if location.format == .emlx && location.path.lowercased().hasSuffix(".partial.emlx") {
            result.problems.append(Problem(severity: .warning, code: Self.partialEMLX, offset: nil, path: nil, detail: nil))
        }
        if location.expunged {
            result.problems.append(Problem(severity: .info, code: Self.expunged, offset: nil, path: nil, detail: nil))
        }
        return .checked(result)
    }

    /// Judges an already parsed message.
    public func check(_ message: Message, file: String) -> CheckOutcome {
        if message.defects.contains(where: { $0.code == .emptyMessage }) {
            return .failed(CheckFailure(file: file, kind: .emptyMessage))
        }
        if message.defects.contains(where: { $0.code == .notAMessage }) {
            return .failed(CheckFailure(file: file, kind: .notAMessage))
        }
        let header = message.root.header
        let sender = envelope.map { $0.sender } ?? header["From"].flatMap { AddressList.parse($0.value).first }
        let recipients = envelope?.recipients ?? Envelope.headerRecipients(of: message)
        let parts = message.entities.filter(\.isLeaf).map { entity in
            PartReport(path: entity.path, contentType: entity.contentType.mimeType, filename: entity.filename,
                       disposition: entity.disposition, transferEncoding: entity.transferEncoding.name,
                       wireBytes: entity.bodyWireBytes, headerWireBytes: entity.parent == nil ? 0 : entity.headerWireBytes,
                       decodedBytes: entity.decodedBytes)
        }
        let problems = message.defects.map {
            Problem(severity: $0.severity, code: $0.code.rawValue, offset: $0.offset, path: $0.path, detail: $0.detail)
        }
        let result = judge(file: file, sourceBytes: message.sourceBytes, wireBytes: message.wireBytes,
                           decodedBytes: message.decodedBytes, subject: header.text("Subject"), sender: sender,
                           recipients: recipients, parts: parts, problems: problems, signedOrEncrypted: message.isSignedOrEncrypted)
        var identified = result
        identified.messageID = header["Message-ID"].map { field in
            String(decoding: field.value.filter { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D && $0 != 0x0A }, as: UTF8.self)
        }
        return .checked(identified)
    }

    /// Judges a message known by its figures (an IMAP server's, say): the limits that apply, the recipient-count
    /// warning, and the sender's large-file service when it is over.
    public func judge(file: String, sourceBytes: Int64, wireBytes: Int64, decodedBytes: Int64, subject: String?,
                      sender: Mailbox?, recipients: [Mailbox], parts: [PartReport], problems: [Problem],
                      signedOrEncrypted: Bool) -> CheckResult {
        let limits = policy.limits(sender: sender, recipients: recipients, wireBytes: wireBytes, decodedBytes: decodedBytes)
        var problems = problems
        if policy.userLimitBytes == nil, policy.providerID == nil,
           let sender, let entry = policy.entry(for: sender),
           let most = entry.recipientsPerMessage, recipients.count > most.count {
            problems.append(Problem(severity: .warning, code: "too-many-recipients", offset: nil, path: nil,
                                    detail: "\(recipients.count)/\(most.count)/\(entry.name)"))
        }
        var result = CheckResult(
            file: file, sourceBytes: sourceBytes, wireBytes: wireBytes, decodedBytes: decodedBytes,
            subject: subject, sender: sender, recipients: recipients, parts: parts,
            limits: limits, problems: problems, signedOrEncrypted: signedOrEncrypted)
        if !result.fits, let entry = policy.providerID.flatMap(policy.table.entry(id:)) ?? sender.flatMap(policy.entry(for:)),
           let service = entry.largeFileService,
           (service.maxFileBytes ?? .max) >= parts.map(\.decodedBytes).max() ?? 0 {
            result.largeFiles = LargeFileAdvice(providerID: entry.id, providerName: entry.name, service: service)
        }
        return result
    }

    /// The problem code of a `.partial.emlx`: Apple Mail stored the attachments' bodies apart, so the sizes miss them.
    public static let partialEMLX = "partial-emlx"
    /// The problem code of an mbox message Thunderbird has deleted but not yet compacted away.
    public static let expunged = "expunged"

    public static func failure(for error: MessageReadError, file: String) -> CheckFailure {
        switch error {
        case .notFound: CheckFailure(file: file, kind: .notFound)
        case .permissionDenied: CheckFailure(file: file, kind: .permissionDenied)
        case .isDirectory: CheckFailure(file: file, kind: .isDirectory)
        case .ioError(_, let code): CheckFailure(file: file, kind: .ioError, detail: String(code))
        }
    }
}
