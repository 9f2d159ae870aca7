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
    /// The Message-ID field's value as written, if any: what names one draft across its saves (Thunderbird appends
    /// each autosave to its Drafts mbox as a new message with the same Message-ID). Not in the JSON.
    public var messageID: String? = nil
    /// Where the message lies when it is not a whole file: in an mbox, an `.emlx` file, or on an IMAP server.
    public var stored: StoredMessage? = nil

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

/// Where a checked message lies, when it is not a file of its own.
public struct StoredMessage: Sendable, Hashable {
    public enum Format: String, Sendable, Hashable {
        case mbox, emlx, imap
    }

    /// Where a result's figures come from.
    public enum SizesFrom: String, Sendable, Hashable {
        /// Counted from the message itself, octet by octet.
        case message
        /// The IMAP server's RFC822.SIZE, and its BODYSTRUCTURE for the parts (decoded sizes estimated from them).
        case server
    }

    public var format: Format
    /// The mbox or `.emlx` file, or the IMAP folder's address (without a password).
    public var container: String
    /// The message's number in its mbox, from 1.
    public var index: Int?
    /// Octets from the start of the file to the message's first header line.
    public var offset: Int64?
    /// Octets the message takes in the file, before quoting is undone.
    public var storedBytes: Int64?
    public var quoting: FromQuoting?
    public var uid: UInt32?
    public var sizesFrom: SizesFrom

    public init(format: Format, container: String, index: Int? = nil, offset: Int64? = nil, storedBytes: Int64? = nil,
                quoting: FromQuoting? = nil, uid: UInt32? = nil, sizesFrom: SizesFrom = .message) {
        self.format = format
        self.container = container
        self.index = index
        self.offset = offset
        self.storedBytes = storedBytes
        self.quoting = quoting
        self.uid = uid
        self.sizesFrom = sizesFrom
    }

    /// The storage facts of a message read from a mailbox file; nil for a whole file.
    public init?(_ location: MessageLocation) {
        switch location.format {
        case .file: return nil
        case .mbox: self.init(format: .mbox, container: location.path, index: location.index, offset: location.start,
                              storedBytes: location.length, quoting: location.quoting)
        case .emlx: self.init(format: .emlx, container: location.path, offset: location.start, storedBytes: location.length)
        }
    }
}
