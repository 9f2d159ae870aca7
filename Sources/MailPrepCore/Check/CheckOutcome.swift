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
