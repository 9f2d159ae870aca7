import MIME

/// What `mailprep check` found for one message.
public struct CheckResult: Sendable {
    /// The path as given, or "-" for standard input.
    public var file: String
    public var sourceBytes: Int64
    /// Octets after SMTP DATA (RFC 1870): CRLF line endings, no dot-stuffing.
    public var wireBytes: Int64
    /// Content and attachments before transfer encoding: the sum of the leaves' decoded sizes.
    public var decodedBytes: Int64
    public var subject: String?
    public var sender: Mailbox?
    public var recipients: [Mailbox]
    public var parts: [PartReport]
    /// Every limit that applies, in the order they were found.
    public var limits: [AppliedLimit]
    public var problems: [Problem]
    public var signedOrEncrypted: Bool
    /// When it is over: the sender's provider's own service for big files (Mail Drop, 超大附件, ...), if the table
    /// names one and the largest part would fit it.
    public var largeFiles: LargeFileAdvice? = nil

    /// The limit with the least headroom: the one that decides.
    public var binding: AppliedLimit {
        limits.min { $0.headroomBytes < $1.headroomBytes } ?? limits[0]
    }

    public var fits: Bool { limits.allSatisfy(\.fits) }
}

/// A provider's own answer for big files, offered beside what `fix` would do.
public struct LargeFileAdvice: Sendable, Hashable {
    public var providerID: String
    public var providerName: String
    public var service: ProviderEntry.LargeFileService
}
