import MIME

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

    public init(severity: Defect.Severity, code: String, offset: Int64?, path: String?, detail: String?) {
        self.severity = severity
        self.code = code
        self.offset = offset
        self.path = path
        self.detail = detail
    }
}
