import MIME

/// One leaf of a checked message, as a report shows it.
public struct PartReport: Sendable, Hashable {
    /// IMAP section path ("1", "1.2").
    public var path: String
    public var contentType: String
    public var filename: String?
    public var disposition: String?
    public var transferEncoding: String
    /// Octets of the part's body on the wire: after transfer encoding, CRLF line endings.
    public var wireBytes: Int64
    /// Octets of the part's header section on the wire (0 for the body of a single-part message).
    public var headerWireBytes: Int64
    /// Octets of the body after transfer decoding (text line breaks as CRLF).
    public var decodedBytes: Int64
}

/// A problem found in a message: a parser defect or a finding of the check, with a stable code.
public struct Problem: Sendable, Hashable {
    public var severity: Defect.Severity
    /// Stable, language-neutral name (`truncated-base64`, `too-many-recipients`).
    public var code: String
    /// Offset in the source, when the problem sits at one.
    public var offset: Int64?
    public var path: String?
    /// Values for the message text (a charset, a count).
    public var detail: String?
}

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

    /// The limit with the least headroom: the one that decides.
    public var binding: AppliedLimit {
        limits.min { $0.headroomBytes < $1.headroomBytes } ?? limits[0]
    }

    public var fits: Bool { limits.allSatisfy(\.fits) }
}

/// Why a file got no result: it could not be read, or is not a message.
public struct CheckFailure: Error, Sendable {
    public enum Kind: String, Sendable {
        case notFound = "not-found"
        case permissionDenied = "permission-denied"
        case isDirectory = "is-directory"
        case ioError = "io-error"
        case emptyMessage = "empty-message"
        case notAMessage = "not-a-message"
    }

    public var file: String
    public var kind: Kind
    public var detail: String?

    /// True when the input itself is missing or unreadable (as opposed to readable but not a message).
    public var isUnreadable: Bool {
        switch kind {
        case .notFound, .permissionDenied, .isDirectory, .ioError: true
        case .emptyMessage, .notAMessage: false
        }
    }
}

/// The outcome for one file of a check.
public enum CheckOutcome: Sendable {
    case checked(CheckResult)
    case failed(CheckFailure)

    public var file: String {
        switch self {
        case .checked(let result): result.file
        case .failed(let failure): failure.file
        }
    }
}
