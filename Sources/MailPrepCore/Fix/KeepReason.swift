/// Why `fix` leaves an attachment as it is: a code, never prose. People read it through `text(_:)` (both
/// languages); JSON carries `code`.
public enum KeepReason: Sendable, Equatable {
    /// The message fits without changing it.
    case notNeeded
    /// An attached message (message/rfc822): compressing it would hide it from the reader's mail program.
    case attachedMessage
    /// The message's own text, or content shown inline.
    case messageText
    /// Part of a multipart/related: the HTML shows it by Content-ID.
    case shownByHTML
    /// A compressed format already: a media type ("image/jpeg") or a file extension (".docx").
    case alreadyCompressed(String)
    /// Compression would save less than `--min-gain`: the percentage it would save.
    case smallGain(percent: Int)

    /// The stable code JSON carries (`schema/fix-result.schema.json`).
    public var code: String {
        switch self {
        case .notNeeded: "not-needed"
        case .attachedMessage: "attached-message"
        case .messageText: "message-text"
        case .shownByHTML: "shown-by-html"
        case .alreadyCompressed: "already-compressed"
        case .smallGain: "small-gain"
        }
    }
}
