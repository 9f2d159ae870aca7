/// Where one message lies in a file: the whole file, or a range of octets inside a mailbox file, with the mailbox's
/// own quoting to undo while it is read.
///
/// A Maildir or MH message and an `.eml` file are whole files. An mbox holds many messages one after another, each
/// behind a `From ` separator line that is not part of the message; an Apple Mail `.emlx` file holds one message
/// between a line giving its length in octets and a property list that is not part of it either.
public struct MessageLocation: Sendable, Hashable {
    /// The storage a message was found in.
    public enum Format: String, Sendable, Hashable {
        /// A file that is one message (`.eml`, Maildir, MH, standard input).
        case file
        /// One message of an mbox file (RFC 4155), `From ` quoting undone as `quoting` says.
        case mbox
        /// An Apple Mail `.emlx` or `.partial.emlx` file.
        case emlx
    }

    /// The file that holds the message.
    public var path: String
    public var format: Format
    /// Octets from the start of the file to the message's first header line.
    public var start: Int64
    /// Octets of the message as stored (before quoting is undone); nil: to the end of the file.
    public var length: Int64?
    /// The `>From ` quoting to undo while reading (mbox only).
    public var quoting: FromQuoting
    /// The message's number in its mbox, from 1; nil outside an mbox.
    public var index: Int?
    /// Deleted but still in the file: Thunderbird marks a message it has expunged (an old autosave of a draft) in
    /// its `X-Mozilla-Status` header and leaves it there until the folder is compacted.
    public var expunged = false

    public init(path: String, format: Format = .file, start: Int64 = 0, length: Int64? = nil,
                quoting: FromQuoting = .none, index: Int? = nil) {
        self.path = path
        self.format = format
        self.start = start
        self.length = length
        self.quoting = quoting
        self.index = index
    }

    /// A whole file.
    public static func file(_ path: String) -> MessageLocation { MessageLocation(path: path) }

    /// How reports name the message: the path, or `path#N` for the Nth message of an mbox (what `check` and `fix`
    /// take back as an argument).
    public var name: String { index.map { "\(path)#\($0)" } ?? path }

    /// True when the message is the whole file, so it can be read (and fixed) as it is.
    public var isWholeFile: Bool { start == 0 && length == nil && quoting == .none && format == .file }
}

/// How an mbox writer protected body lines that begin with `From ` (RFC 4155 section 2 and its references).
public enum FromQuoting: String, Sendable, Hashable {
    /// Nothing to undo: a plain message file, or mboxcl2, whose Content-Length header frames each message.
    case none
    /// mboxrd: every `>`-run before `From ` at a line start was lengthened by one; reading takes one off.
    case mboxrd
    /// mboxo: `From ` at a line start became `>From `; reading takes the `>` off that form only.
    case mboxo
}
