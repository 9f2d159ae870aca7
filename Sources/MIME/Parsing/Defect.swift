/// Something wrong with a message that did not stop it being measured.
///
/// Defects are values, not errors: the parser records them with the byte offset where it noticed them and goes on.
public struct Defect: Sendable, Hashable {
    public enum Severity: String, Sendable, Codable {
        /// The message may be rejected or shown wrongly by some software.
        case warning
        /// Worth knowing; harmless for sending.
        case info
    }

    /// What went wrong; stable names for tools (JSON `code`).
    public enum Code: String, Sendable, Codable, CaseIterable {
        case emptyMessage = "empty-message"
        case notAMessage = "not-a-message"
        case missingHeaderBodySeparator = "missing-header-body-separator"
        case headerContinuationWithoutField = "header-continuation-without-field"
        case headerTooLarge = "header-too-large"
        case mboxFromLine = "mbox-from-line"
        case invalidContentType = "invalid-content-type"
        case multipartWithoutBoundary = "multipart-without-boundary"
        case invalidBoundary = "invalid-boundary"
        case missingCloseDelimiter = "missing-close-delimiter"
        case noPartsInMultipart = "no-parts-in-multipart"
        case nestingTooDeep = "nesting-too-deep"
        case tooManyParts = "too-many-parts"
        case unknownTransferEncoding = "unknown-transfer-encoding"
        case invalidBase64Characters = "invalid-base64-characters"
        case base64DataAfterPadding = "base64-data-after-padding"
        case truncatedBase64 = "truncated-base64"
        case truncatedUuencode = "truncated-uuencode"
        case eightBitHeader = "eight-bit-header"
        case bareLineFeeds = "bare-line-feeds"
        case missingFinalNewline = "missing-final-newline"
        case lineTooLong = "line-too-long"
    }

    public var code: Code
    public var severity: Severity
    /// Offset in the source where the problem was noticed.
    public var offset: Int64
    /// Section path of the entity concerned (IMAP numbering), if any.
    public var path: String?
    /// Values that make the message specific (a charset name, a count). Never translated.
    public var detail: String?

    public init(_ code: Code, severity: Severity = .warning, offset: Int64, path: String? = nil, detail: String? = nil) {
        self.code = code
        self.severity = severity
        self.offset = offset
        self.path = path
        self.detail = detail
    }
}
