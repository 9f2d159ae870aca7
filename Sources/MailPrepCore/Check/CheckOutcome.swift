/// Why a file got no result: it could not be read, or is not a message.
public struct CheckFailure: Error, Sendable {
    public enum Kind: String, Sendable {
        case notFound = "not-found"
        case permissionDenied = "permission-denied"
        case isDirectory = "is-directory"
        case ioError = "io-error"
        case emptyMessage = "empty-message"
        case notAMessage = "not-a-message"
        /// `FILE#N` where the mbox FILE has fewer than N messages (detail: how many it has).
        case noSuchMessage = "no-such-message"
        /// `FILE#N` where FILE is not an mbox.
        case notAMailbox = "not-a-mailbox"
    }

    public var file: String
    public var kind: Kind
    public var detail: String?

    public init(file: String, kind: Kind, detail: String? = nil) {
        self.file = file
        self.kind = kind
        self.detail = detail
    }

    /// True when the input itself is missing or unreadable (as opposed to readable but not a message).
    public var isUnreadable: Bool {
        switch kind {
        case .notFound, .permissionDenied, .isDirectory, .ioError, .noSuchMessage: true
        case .emptyMessage, .notAMessage, .notAMailbox: false
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

/// What a folder summary and the exit status need of one outcome: small, so a folder of any size is summed up
/// without keeping its reports.
public struct CheckSummaryItem: Sendable {
    public var file: String
    /// Octets on the wire, for a message that was checked.
    public var wireBytes: Int64?
    public var fits: Bool
    public var failure: CheckFailure?
    /// For a message over a limit: the limit that decides.
    public var over: AppliedLimit?

    public init(_ outcome: CheckOutcome) {
        switch outcome {
        case .checked(let result):
            file = result.file
            wireBytes = result.wireBytes
            fits = result.fits
            over = result.fits ? nil : result.binding
        case .failed(let failure):
            file = failure.file
            fits = false
            self.failure = failure
        }
    }
}
