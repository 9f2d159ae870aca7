/// One MIME entity of a message as the server describes it in BODYSTRUCTURE (RFC 3501 section 7.4.2).
///
/// A multipart has `children` and no size; a message/rfc822 part has its encapsulated message's envelope and that
/// message's body as its one child. Strings are as the server sent them (encoded words and RFC 2231 values undecoded).
public struct IMAPBodyStructure: Sendable, Equatable {
    /// The media type, lowercased: "text", "multipart", "application".
    public var type: String
    /// The media subtype, lowercased: "plain", "mixed", "pdf".
    public var subtype: String
    /// Content-Type parameters (for a multipart, from its extension data: "boundary").
    public var parameters: [IMAPParameter]
    /// The Content-ID.
    public var id: [UInt8]?
    /// The Content-Description.
    public var description: [UInt8]?
    /// The Content-Transfer-Encoding, lowercased: "7bit", "base64", "quoted-printable".
    public var encoding: String?
    /// The body's size in octets as the server holds it, after transfer encoding (RFC 3501 body-fld-octets); nil
    /// for a multipart.
    public var size: Int64?
    /// The body's size in text lines, for text/* and message/rfc822 parts only.
    public var lines: Int64?
    /// The Content-Disposition type, lowercased: "attachment", "inline".
    public var disposition: String?
    /// Content-Disposition parameters: "filename", "filename*", "size".
    public var dispositionParameters: [IMAPParameter]
    /// A multipart's parts, or for message/rfc822 the encapsulated message's body (one child).
    public var children: [IMAPBodyStructure]
    /// The encapsulated message's envelope, for message/rfc822 (and message/global) only.
    public var encapsulatedEnvelope: IMAPEnvelope?
    /// The part specifier for BODY[section] (RFC 3501 section 6.4.5): "1", "2.1", "4.2.2.1".
    ///
    /// A single-part message's body is "1". A multipart has the path of the message it is the body of ("" at the top
    /// level, "2" inside a message/rfc822 at "2"), and its parts are that path's "1", "2", ...; so a multipart
    /// inside a message/rfc822 at "2" numbers its parts "2.1", "2.2", and a single part inside it is "2.1".
    public var path: String

    public init(type: String, subtype: String, parameters: [IMAPParameter] = [], id: [UInt8]? = nil,
                description: [UInt8]? = nil, encoding: String? = nil, size: Int64? = nil, lines: Int64? = nil,
                disposition: String? = nil, dispositionParameters: [IMAPParameter] = [], children: [IMAPBodyStructure] = [],
                encapsulatedEnvelope: IMAPEnvelope? = nil, path: String) {
        (self.type, self.subtype, self.parameters, self.id, self.description) = (type, subtype, parameters, id, description)
        (self.encoding, self.size, self.lines, self.disposition) = (encoding, size, lines, disposition)
        (self.dispositionParameters, self.children) = (dispositionParameters, children)
        self.encapsulatedEnvelope = encapsulatedEnvelope
        self.path = path
    }

    public var isMultipart: Bool { type == "multipart" }

    /// The parts that are not multiparts, in order, this one included if it is one.
    ///
    /// A message/rfc822 part is one leaf and is not descended into: mailprep treats a forwarded message as one
    /// attachment, sized and moved whole; its insides are in `children` for whoever wants them.
    public var leaves: [IMAPBodyStructure] {
        isMultipart ? children.flatMap(\.leaves) : [self]
    }

    /// The Content-Type parameter `name` (any case), as sent; nil if absent.
    public func parameter(_ name: String) -> [UInt8]? {
        let key = IMAPTokenizer.lowercased(name.utf8)
        return parameters.first { $0.name == key }?.value
    }

    /// The Content-Disposition parameter `name` (any case), as sent: "filename"; nil if absent.
    public func dispositionParameter(_ name: String) -> [UInt8]? {
        let key = IMAPTokenizer.lowercased(name.utf8)
        return dispositionParameters.first { $0.name == key }?.value
    }
}

/// A MIME parameter from a body structure: a Content-Type or Content-Disposition attribute.
///
/// Values are as the server sent them: some servers pass RFC 2231 forms through (`filename*` with
/// `utf-8''%E6%8A%A5.pdf`), some RFC 2047 encoded words, some raw UTF-8.
public struct IMAPParameter: Sendable, Equatable {
    /// The attribute, lowercased (ASCII letters only).
    public var name: String
    public var value: [UInt8]

    public init(name: String, value: [UInt8]) {
        self.name = IMAPTokenizer.lowercased(name.utf8)
        self.value = value
    }
}

private typealias Byte = IMAPTokenizer.Byte

extension IMAPTokenizer {
    /// Where a body sits, which decides its part specifier (RFC 3501 section 6.4.5).
    enum BodyPlacement {
        /// The body of the message at this path ("" for the message itself).
        case messageBody(String)
        /// A part of a multipart, at this path.
        case part(String)
    }

    /// A body structure: a multipart (`(body body ... "subtype" ext)`) or a single part, with its path.
    mutating func body(_ placement: BodyPlacement, depth: Int) throws(IMAPParseError) -> IMAPBodyStructure {
        try open(depth: depth, "a body structure")
        skipSpaces()
        if next == Byte.open {
            let path = switch placement { case .messageBody(let path), .part(let path): path }
            var children: [IMAPBodyStructure] = []
            while next == Byte.open {
                children.append(try body(.part(Self.join(path, children.count + 1)), depth: depth + 1))
                skipSpaces()
            }
            var multipart = IMAPBodyStructure(type: "multipart", subtype: try mediaName() ?? "mixed", path: path)
            multipart.children = children
            try extensions(of: &multipart, depth: depth)
            return multipart
        }
        let path = switch placement { case .messageBody(let path): Self.join(path, 1); case .part(let path): path }
        let type = try mediaName(), subtype = try mediaName()
        var part = IMAPBodyStructure(type: "application", subtype: "octet-stream", path: path)
        if let type, let subtype { (part.type, part.subtype) = (type, subtype) }
        part.parameters = try parameters(depth: depth + 1)
        part.id = try nstring()
        part.description = try nstring()
        part.encoding = try nstring().map(Self.lowercased)
        part.size = try numberOrNil()
        skipSpaces()
        if part.type == "message", next == Byte.open {
            part.encapsulatedEnvelope = try envelope(depth: depth + 1)
            part.children = [try body(.messageBody(path), depth: depth + 1)]
            skipSpaces()
            if nextIsDigit { part.lines = try number() }
        } else if part.type == "text", nextIsDigit {
            part.lines = try number()
        }
        try extensions(of: &part, depth: depth)
        return part
    }

    /// The extension data after a body's required fields, then its closing parenthesis: md5 (one part) or
    /// parameters (multipart), disposition, and language, location and later extensions, which are skipped.
    private mutating func extensions(of body: inout IMAPBodyStructure, depth: Int) throws(IMAPParseError) {
        var index = 0
        while true {
            skipSpaces()
            if take(Byte.close) { return }
            if atEnd { throw failure("data ends inside a body structure") }
            switch index {
            case 0 where body.isMultipart: body.parameters = try parameters(depth: depth + 1)
            case 1: try disposition(of: &body, depth: depth + 1)
            default: try skipValue(depth: depth + 1)
            }
            index += 1
        }
    }

    /// `("attachment" ("filename" "a.pdf"))`, NIL, or (leniently) a bare string.
    private mutating func disposition(of body: inout IMAPBodyStructure, depth: Int) throws(IMAPParseError) {
        skipSpaces()
        guard next == Byte.open else {
            body.disposition = try nstring().map(Self.lowercased)
            return
        }
        try open(depth: depth, "a disposition")
        body.disposition = try nstring().map(Self.lowercased)
        body.dispositionParameters = try parameters(depth: depth + 1)
        while true {
            skipSpaces()
            if take(Byte.close) { return }
            if atEnd { throw failure("data ends inside a disposition") }
            try skipValue(depth: depth + 1)
        }
    }

    /// A parameter list, `("name" "value" ...)`, or NIL for none.
    private mutating func parameters(depth: Int) throws(IMAPParseError) -> [IMAPParameter] {
        skipSpaces()
        guard next == Byte.open else {
            try nilValue("a parameter list or NIL")
            return []
        }
        try open(depth: depth, "a parameter list")
        var list: [IMAPParameter] = []
        while true {
            skipSpaces()
            if take(Byte.close) { return list }
            let name = try nstring() ?? []
            skipSpaces()
            guard next != Byte.close else { throw failure("parameter without a value") }
            let value = try nstring() ?? []
            list.append(IMAPParameter(name: Self.lowercased(name), value: value))
        }
    }

    /// A media type or subtype, lowercased; nil for NIL.
    private mutating func mediaName() throws(IMAPParseError) -> String? {
        try nstring().map(Self.lowercased)
    }

    static func join(_ path: String, _ index: Int) -> String {
        path.isEmpty ? "\(index)" : "\(path).\(index)"
    }
}
