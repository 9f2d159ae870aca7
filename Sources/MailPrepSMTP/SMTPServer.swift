import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// A reply for a client: code and lines (several make a multi-line reply).
public struct SMTPReply: Sendable, Equatable {
    public var code: Int
    public var lines: [String]

    public init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines.isEmpty ? [""] : lines
    }

    /// "552-first\r\n552 last\r\n".
    var wire: String {
        lines.enumerated().map { index, line in "\(code)\(index == lines.count - 1 ? " " : "-")\(line)\r\n" }.joined()
    }
}

/// One message a client has handed over: its envelope, and the file its data was spooled to (CRLF lines, dots
/// unstuffed), removed once the reply is sent.
public struct SMTPIncoming: Sendable {
    public var from: String
    public var recipients: [String]
    public var spool: String
    public var bytes: Int64
    /// MAIL's BODY= and SMTPUTF8, as the client gave them (to be given again upstream): "BODY=8BITMIME", "SMTPUTF8".
    public var mailParameters: [String] = []
}

/// What a session offers besides the server's own extensions, as its `SMTPConnection` decides at EHLO (a relay:
/// what its upstream offers).
public struct SMTPOffer: Sendable, Equatable {
    /// EHLO keywords to add, such as "8BITMIME" or "SMTPUTF8".
    public var extensions: [String]
    /// AUTH mechanisms, such as "PLAIN", "LOGIN", "XOAUTH2"; none: no AUTH.
    public var authMechanisms: [String]

    public init(extensions: [String] = [], authMechanisms: [String] = []) {
        self.extensions = extensions
        self.authMechanisms = authMechanisms
    }
}

/// The connection's answer to EHLO or HELO.
public enum SMTPHello: Sendable {
    case offer(SMTPOffer)
    /// Said, then the session ends.
    case end(SMTPReply)
}

/// What one client connection does beyond the protocol (a relay: its upstream session). The server calls these one
/// at a time, in the order the client's commands came, and `close` once when the connection ends.
public protocol SMTPConnection: Sendable {
    /// At EHLO or HELO: what to offer, or a reply that ends the session (421, the upstream cannot be reached).
    func hello(_ name: String) async -> SMTPHello
    /// One line of an AUTH exchange: the AUTH command, then each of the client's responses. The reply goes to the
    /// client as it is: 334 asks for another line, 235 authenticates, anything else ends the exchange.
    func authenticate(_ line: String) async -> SMTPReply
    /// A message the client has handed over; the reply is what the client hears for it.
    func deliver(_ incoming: SMTPIncoming) async -> SMTPReply
    func close() async
}

/// The receiving side of SMTP (RFC 5321) on swift-nio: EHLO/HELO, STARTTLS (RFC 3207), AUTH (RFC 4954, each line
/// handed to the connection), MAIL (with SIZE, RFC 1870), RCPT, DATA, RSET, NOOP, QUIT, PIPELINING. Each message's
/// data goes to a private file; the connection's `deliver` decides its reply, and only then does the client hear
/// back, so a 250 means the message is where `deliver` put it. Bounded per connection: line length, the time to send
/// one command line, recipients, message size, idle time, replies the client does not read; and in all: the number
/// of connections. Bad commands get 500/501/503, never a crash.
public struct SMTPServer: Sendable {
    public struct Limits: Sendable {
        public var maximumMessageBytes: Int64 = 200_000_000
        public var maximumRecipients = 100
        public var maximumConnections = 64
        /// No byte from the client for this long: 421 and closed (RFC 5321 section 4.5.3.2.7 says at least 5 minutes).
        public var idle: TimeAmount = .seconds(300)
        /// From a command line's first byte to its end (a client sending a byte at a time cannot hold a session).
        public var commandTime: TimeAmount = .seconds(120)
        /// Replies the client does not read, for this long: closed.
        public var writeStall: TimeAmount = .seconds(60)
        /// RFC 5321 section 4.5.3.1.4/6: 512 octets for a command line, 1000 for a text line; more is refused.
        public var maximumLine = 1000
        /// RFC 4954 section 4: an AUTH line (an OAuth token, say) may have up to 12288 octets.
        public var maximumAuthLine = 12_288
        /// Unknown or misplaced commands before the session is ended (Postfix's smtpd_hard_error_limit is 20).
        public var maximumErrors = 20
        /// Failed logins before the session is ended, so a guesser is slowed and the upstream's lockout is not
        /// earned through this machine.
        public var maximumFailedLogins = 3
        /// From STARTTLS's 220 to a finished handshake.
        public var handshakeTime: TimeAmount = .seconds(30)
        public init() {}
    }

    /// Who may do what.
    public struct Access: Sendable {
        /// STARTTLS is offered with this context (a certificate and key).
        public var tls: NIOSSLContext?
        /// AUTH is offered only under TLS (beyond the loopback, credentials never cross the network in the clear).
        public var authNeedsTLS = false
        /// MAIL needs a successful AUTH first (never an open relay).
        public var authRequired = false
        public init(tls: NIOSSLContext? = nil, authNeedsTLS: Bool = false, authRequired: Bool = false) {
            self.tls = tls
            self.authNeedsTLS = authNeedsTLS
            self.authRequired = authRequired
        }
    }

    public var host: String
    public var port: Int
    public var name: String
    public var limits: Limits
    public var access: Access
    /// Folder and file name prefix for spooled data.
    public var spoolPrefix: String
    /// One per client connection, given the client's address.
    public var connect: @Sendable (String) -> any SMTPConnection
    let count = NIOLockedValueBox(0)

    public init(host: String, port: Int, name: String, limits: Limits = Limits(), access: Access = Access(), spoolPrefix: String,
                connect: @escaping @Sendable (String) -> any SMTPConnection) {
        self.host = host
        self.port = port
        self.name = name
        self.limits = limits
        self.access = access
        self.spoolPrefix = spoolPrefix
        self.connect = connect
    }

    /// Listens and serves until the task is cancelled; `onListening` gets the port (a free one for port 0).
    public func run(onListening: @Sendable (Int) -> Void) async throws {
        let server = self
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 16_384, high: 65_536))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: server.limits.idle))
                    try channel.pipeline.syncOperations.addHandler(SMTPConnectionHandler(server: server))
                }
            }
            .bind(host: host, port: port).get()
        onListening(channel.localAddress?.port ?? port)
        try await withTaskCancellationHandler {
            try await channel.closeFuture.get()
        } onCancel: {
            channel.close(promise: nil)
        }
    }
}

/// One client's session, on its channel's event loop.
final class SMTPConnectionHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let server: SMTPServer
    // All state is touched on the channel's event loop only.
    private var connection: (any SMTPConnection)?
    private var counted = false
    private var pending: [UInt8] = []
    private var greeted = false
    private var offer = SMTPOffer()
    private var secured = false
    private var authenticated = false
    /// Inside an AUTH exchange: each line is the client's response.
    private var authenticating = false
    private var from: String?
    private var mailParameters: [String] = []
    private var recipients: [String] = []
    private var inData = false
    private var spool: (descriptor: Int32, path: String)?
    private var spoolBytes: Int64 = 0
    private var spoolBuffer: [UInt8] = []
    /// The spooled file could not be written (a full disk).
    private var spoolFailed = false
    /// After a line too long was dropped: its rest, up to the next line end, is dropped too, never taken as a line.
    private var skipToNewline = false
    /// The transaction's MAIL was refused: the 503s its pipelined RCPTs and DATA get do not count as errors.
    private var mailRefused = false
    private var fallbackClose: Scheduled<Void>?
    private var tooLarge = false
    /// Waiting for the connection (EHLO, AUTH, a delivery): lines that come meanwhile (pipelined) wait in `pending`.
    private var busy = false
    private var closing = false
    private var lineTimer: Scheduled<Void>?
    private var stallTimer: Scheduled<Void>?
    private var handshakeTimer: Scheduled<Void>?
    /// Commands refused as unknown or out of place, and failed logins: past their caps the session ends.
    private var errors = 0
    private var failedLogins = 0
    /// How far `pending` has been read (removed in one step after each read, not line by line).
    private var consumed = 0

    init(server: SMTPServer) {
        self.server = server
    }

    func channelActive(context: ChannelHandlerContext) {
        let admitted = server.count.withLockedValue { count -> Bool in
            guard count < server.limits.maximumConnections else { return false }
            count += 1
            return true
        }
        guard admitted else {
            closing = true
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: SMTPReply(code: 421, lines: ["4.7.0 \(server.name) too many connections, try again later"]).wire)))
                .whenComplete { _ in context.close(promise: nil) }
            return
        }
        counted = true
        let client = context.remoteAddress?.ipAddress ?? "?"
        connection = server.connect(client)
        send(SMTPReply(code: 220, lines: ["\(server.name) ESMTP mailprep relay"]), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        // A message being delivered keeps its spooled file until the delivery is over (`work` drops it then).
        if !busy { dropSpool() }
        lineTimer?.cancel()
        stallTimer?.cancel()
        handshakeTimer?.cancel()
        fallbackClose?.cancel()
        if counted {
            counted = false
            server.count.withLockedValue { $0 -= 1 }
        }
        if let connection {
            self.connection = nil
            Task { await connection.close() }
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A TLS handshake that failed, a reset: this session ends, the server goes on.
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            handshakeTimer?.cancel()
            handshakeTimer = nil
        }
        if let event = event as? IdleStateHandler.IdleStateEvent, event == .read {
            // The client waits for our answer while we work for it: that silence is ours, not its.
            guard !busy else { return }
            end(SMTPReply(code: 421, lines: ["4.4.2 \(server.name) idle too long, closing"]), context: context)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        guard !closing else { return }
        pending += buffer.readBytes(length: buffer.readableBytes) ?? []
        processLines(context: context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            stallTimer?.cancel()
            stallTimer = nil
            context.channel.setOption(.autoRead, value: true).whenComplete { _ in }
            processLines(context: context)
        }
        context.fireChannelWritabilityChanged()
    }

    private func processLines(context: ChannelHandlerContext) {
        defer {
            if consumed > 0 {
                pending.removeSubrange(0..<min(consumed, pending.count))
                consumed = 0
            }
        }
        while !busy && !closing, let end = pending[consumed...].firstIndex(of: 0x0A) {
            // A client that sends commands and never reads the replies: no more reading until it does.
            guard context.channel.isWritable else { return stall(context: context) }
            var line = pending[consumed..<end]
            consumed = end + 1
            if skipToNewline {
                skipToNewline = false
                continue
            }
            if line.last == 0x0D { line = line.dropLast() }
            if inData { dataLine(line, context: context) } else { command(Array(line), context: context) }
        }
        guard !closing else { return }
        if consumed > 0 {
            pending.removeSubrange(0..<consumed)
            consumed = 0
        }
        // While the connection works for this client, what it sends waits in the socket, not in memory.
        if busy {
            context.channel.setOption(.autoRead, value: false).whenComplete { _ in }
            return
        }
        let longest = authenticating || pending.starts(with: Array("AUTH".utf8)) || pending.starts(with: Array("auth".utf8))
            ? server.limits.maximumAuthLine : server.limits.maximumLine
        // A line that never ends: refused before it fills memory.
        if !inData && pending.count > longest {
            discardPending()
            skipToNewline = true
            if authenticating {
                // The upstream waits for a response: it is told the exchange is cancelled.
                return authLine("*", context: context)
            }
            send(SMTPReply(code: 500, lines: ["5.5.2 Line too long"]), context: context)
        } else if inData && pending.count > 1 << 20 {
            // A data line without an end in a mebibyte: counted and dropped, as an overlong message is.
            spoolBytes += Int64(pending.count)
            tooLarge = true
            discardPending()
            skipToNewline = true
        }
        // A command line must be whole within its time.
        if inData || pending.isEmpty || busy {
            lineTimer?.cancel()
            lineTimer = nil
        } else if lineTimer == nil {
            lineTimer = context.eventLoop.scheduleTask(in: server.limits.commandTime) { [weak self] in
                guard let self else { return }
                self.lineTimer = nil
                self.end(SMTPReply(code: 421, lines: ["4.4.2 \(self.server.name) command not finished in time, closing"]), context: context)
            }
        }
    }

    private func stall(context: ChannelHandlerContext) {
        context.channel.setOption(.autoRead, value: false).whenComplete { _ in }
        guard stallTimer == nil else { return }
        stallTimer = context.eventLoop.scheduleTask(in: server.limits.writeStall) {
            context.close(promise: nil)
        }
    }

    private func command(_ line: [UInt8], context: ChannelHandlerContext) {
        if authenticating {
            // A response is base64 or "*" (RFC 4954 section 4); anything else cancels the exchange upstream.
            guard line.count <= server.limits.maximumAuthLine, line.allSatisfy(Self.isBase64OrCancel) else { return authLine("*", context: context) }
            return authLine(String(decoding: line, as: UTF8.self), context: context)
        }
        let text = String(decoding: line, as: UTF8.self)
        let verb = text.prefix { $0 != " " }.uppercased()
        guard line.count <= (verb == "AUTH" ? server.limits.maximumAuthLine : server.limits.maximumLine) else {
            send(SMTPReply(code: 500, lines: ["5.5.2 Line too long"]), context: context)
            return
        }
        // A web page can make a browser send HTTP here, with SMTP in its body (a cross-protocol request): the first
        // line of HTTP ends the session, as Postfix's smtpd_forbidden_commands does.
        if Self.httpVerbs.contains(verb) || verb.hasSuffix(":") {
            return end(SMTPReply(code: 421, lines: ["4.7.0 \(server.name) this is SMTP, not HTTP; closing"]), context: context)
        }
        let argument = text.dropFirst(verb.count).trimmingCharacters(in: .whitespaces)
        switch verb {
        case "EHLO", "HELO":
            guard !argument.isEmpty else { return refuse(SMTPReply(code: 501, lines: ["5.5.4 \(verb) needs a domain"]), context: context) }
            resetTransaction()
            guard let connection else { return }
            work({ await connection.hello(argument) }, context: context) { handler, context, result in
                switch result {
                case .end(let reply):
                    handler.end(reply, context: context)
                case .offer(let offer):
                    handler.greeted = true
                    handler.offer = offer
                    if verb == "HELO" { return handler.send(SMTPReply(code: 250, lines: [handler.server.name]), context: context) }
                    handler.send(SMTPReply(code: 250, lines: handler.extensions()), context: context)
                }
            }
        case "STARTTLS":
            guard let tls = server.access.tls, !secured else { return send(SMTPReply(code: 502, lines: ["5.5.1 STARTTLS is not offered here"]), context: context) }
            guard argument.isEmpty else { return refuse(SMTPReply(code: 501, lines: ["5.5.4 STARTTLS takes no argument"]), context: context) }
            // After a login the upstream session is that login's: TLS comes first, or not at all.
            guard !authenticated else { return refuse(SMTPReply(code: 503, lines: ["5.5.1 STARTTLS after AUTH is not taken here"]), context: context) }
            send(SMTPReply(code: 220, lines: ["2.0.0 Ready to start TLS"]), context: context)
            // RFC 3207 section 4.2: nothing the client sent in the clear after STARTTLS counts, and the session
            // starts again (EHLO, no transaction, not authenticated). The 220 is already past the pipeline; TLS goes
            // in front in the same turn of the loop, so every later byte in either direction passes through it.
            discardPending()
            greeted = false
            authenticated = false
            resetTransaction()
            do {
                try context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls), position: .first)
                secured = true
                // A client that asks for TLS and then says nothing: NIOSSL holds every write until the handshake,
                // so not even the idle 421 would reach it; the connection is closed outright.
                handshakeTimer = context.eventLoop.scheduleTask(in: server.limits.handshakeTime) { context.close(promise: nil) }
            } catch {
                context.close(promise: nil)
            }
        case "AUTH":
            guard greeted else { return refuse(SMTPReply(code: 503, lines: ["5.5.1 EHLO first"]), context: context) }
            guard !authenticated else { return refuse(SMTPReply(code: 503, lines: ["5.5.1 Already authenticated"]), context: context) }
            guard from == nil else { return refuse(SMTPReply(code: 503, lines: ["5.5.1 AUTH not permitted during a mail transaction"]), context: context) }
            guard authOffered else {
                if server.access.authNeedsTLS && !secured && !offer.authMechanisms.isEmpty {
                    return send(SMTPReply(code: 530, lines: ["5.7.0 Must issue a STARTTLS command first"]), context: context)
                }
                return send(SMTPReply(code: 502, lines: ["5.5.1 AUTH is not offered here"]), context: context)
            }
            let mechanism = argument.prefix { $0 != " " }.uppercased()
            guard offer.authMechanisms.contains(where: { $0.uppercased() == mechanism }) else {
                return send(SMTPReply(code: 504, lines: ["5.5.4 Unrecognized authentication type"]), context: context)
            }
            let initial = argument.dropFirst(mechanism.count).trimmingCharacters(in: .whitespaces)
            guard initial.utf8.allSatisfy(Self.isBase64OrCancel), !initial.contains(" ") else {
                return refuse(SMTPReply(code: 501, lines: ["5.5.2 Cannot decode the response"]), context: context)
            }
            authLine("AUTH " + mechanism + (initial.isEmpty ? "" : " " + initial), context: context)
        case "MAIL":
            guard greeted else { return refuse(SMTPReply(code: 503, lines: ["5.5.1 EHLO first"]), context: context) }
            guard from == nil else { return refuse(SMTPReply(code: 503, lines: ["5.5.1 MAIL already given"]), context: context) }
            // Until this MAIL is taken, what a client pipelined behind it (RCPT, DATA) is refused without counting.
            mailRefused = true
            if server.access.authRequired && !authenticated {
                if server.access.authNeedsTLS && !secured {
                    return send(SMTPReply(code: 530, lines: ["5.7.0 Must issue a STARTTLS command first"]), context: context)
                }
                return send(SMTPReply(code: 530, lines: ["5.7.0 Authentication required"]), context: context)
            }
            guard let (address, parameters) = Self.path(argument, keyword: "FROM:") else {
                return refuse(SMTPReply(code: 501, lines: ["5.5.4 Syntax: MAIL FROM:<address>"]), context: context)
            }
            if let size = parameters["SIZE"].flatMap(Int64.init), size > server.limits.maximumMessageBytes {
                return send(SMTPReply(code: 552, lines: ["5.3.4 Message size exceeds the fixed maximum of \(server.limits.maximumMessageBytes)"]), context: context)
            }
            var given: [String] = []
            if let body = parameters["BODY"]?.uppercased() {
                guard body == "7BIT" || (body == "8BITMIME" && offers("8BITMIME")) else {
                    return send(SMTPReply(code: 555, lines: ["5.5.4 BODY=\(body) is not offered here"]), context: context)
                }
                given.append("BODY=\(body)")
            }
            if parameters["SMTPUTF8"] != nil {
                guard offers("SMTPUTF8") else { return send(SMTPReply(code: 555, lines: ["5.5.4 SMTPUTF8 is not offered here"]), context: context) }
                given.append("SMTPUTF8")
            }
            from = address
            mailRefused = false
            mailParameters = given
            send(SMTPReply(code: 250, lines: ["2.1.0 Ok"]), context: context)
        case "RCPT":
            guard from != nil else {
                let reply = SMTPReply(code: 503, lines: ["5.5.1 MAIL first"])
                return mailRefused ? send(reply, context: context) : refuse(reply, context: context)
            }
            guard let (address, _) = Self.path(argument, keyword: "TO:"), !address.isEmpty else {
                return refuse(SMTPReply(code: 501, lines: ["5.5.4 Syntax: RCPT TO:<address>"]), context: context)
            }
            guard recipients.count < server.limits.maximumRecipients else {
                return send(SMTPReply(code: 452, lines: ["4.5.3 Too many recipients"]), context: context)
            }
            recipients.append(address)
            send(SMTPReply(code: 250, lines: ["2.1.5 Ok"]), context: context)
        case "DATA":
            guard argument.isEmpty else { return refuse(SMTPReply(code: 501, lines: ["5.5.4 DATA takes no argument"]), context: context) }
            guard from != nil, !recipients.isEmpty else {
                let reply = SMTPReply(code: 503, lines: ["5.5.1 RCPT first"])
                return mailRefused ? send(reply, context: context) : refuse(reply, context: context)
            }
            var template = Array((server.spoolPrefix + "relay-XXXXXX").utf8CString)
            let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard descriptor >= 0 else { return send(SMTPReply(code: 451, lines: ["4.3.0 Cannot spool the message here"]), context: context) }
            spool = (descriptor, String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            spoolBytes = 0
            tooLarge = false
            spoolFailed = false
            inData = true
            send(SMTPReply(code: 354, lines: ["End data with <CR><LF>.<CR><LF>"]), context: context)
        case "RSET":
            resetTransaction()
            mailRefused = false
            send(SMTPReply(code: 250, lines: ["2.0.0 Ok"]), context: context)
        case "NOOP":
            send(SMTPReply(code: 250, lines: ["2.0.0 Ok"]), context: context)
        case "VRFY":
            send(SMTPReply(code: 252, lines: ["2.5.0 Cannot VRFY; send and the server will try"]), context: context)
        case "QUIT":
            end(SMTPReply(code: 221, lines: ["2.0.0 Bye"]), context: context)
        default:
            refuse(SMTPReply(code: 500, lines: ["5.5.2 Command not recognized"]), context: context)
        }
    }

    static let httpVerbs: Set<String> = ["GET", "POST", "HEAD", "PUT", "CONNECT", "OPTIONS", "DELETE", "PATCH"]

    static func isBase64OrCancel(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="), UInt8(ascii: "*"):
            return true
        default:
            return false
        }
    }

    /// An error reply that counts towards the session's cap.
    private func refuse(_ reply: SMTPReply, context: ChannelHandlerContext) {
        errors += 1
        guard errors < server.limits.maximumErrors else {
            return end(SMTPReply(code: 421, lines: ["4.7.0 \(server.name) too many errors, closing"]), context: context)
        }
        send(reply, context: context)
    }

    /// AUTH is offered in this session: the connection has mechanisms, and TLS is on where it must be.
    private var authOffered: Bool {
        !offer.authMechanisms.isEmpty && (secured || !server.access.authNeedsTLS)
    }

    private func offers(_ keyword: String) -> Bool {
        offer.extensions.contains { $0.uppercased() == keyword }
    }

    /// EHLO's lines: the name, then the extensions of this session.
    private func extensions() -> [String] {
        var lines = [server.name, "PIPELINING", "SIZE \(server.limits.maximumMessageBytes)", "ENHANCEDSTATUSCODES"]
        lines += offer.extensions
        if server.access.tls != nil && !secured { lines.append("STARTTLS") }
        if authOffered && !authenticated { lines.append("AUTH " + offer.authMechanisms.joined(separator: " ")) }
        return lines
    }

    /// One line of AUTH, to the connection; never logged (it carries credentials).
    private func authLine(_ line: String, context: ChannelHandlerContext) {
        guard let connection else { return }
        work({ await connection.authenticate(line) }, context: context) { handler, context, reply in
            handler.authenticating = reply.code == 334
            if reply.code == 235 { handler.authenticated = true }
            if reply.code == 535 {
                handler.failedLogins += 1
                if handler.failedLogins >= handler.server.limits.maximumFailedLogins {
                    handler.send(reply, context: context)
                    return handler.end(SMTPReply(code: 421, lines: ["4.7.0 too many failed logins, closing"]), context: context)
                }
            }
            handler.send(reply, context: context)
        }
    }

    private func dataLine(_ line: ArraySlice<UInt8>, context: ChannelHandlerContext) {
        if line.count == 1 && line.first == UInt8(ascii: ".") {
            finishData(context: context)
            return
        }
        // RFC 5321 section 4.5.2: a leading dot was doubled by the client.
        let content = line.first == UInt8(ascii: ".") ? line.dropFirst() : line
        spoolBytes += Int64(content.count + 2)
        if spoolBytes > server.limits.maximumMessageBytes { tooLarge = true }
        guard !tooLarge, spool != nil else { return }
        spoolBuffer.append(contentsOf: content)
        spoolBuffer.append(0x0D)
        spoolBuffer.append(0x0A)
        if spoolBuffer.count >= 1 << 18 { flushSpool() }
    }

    /// Writes what the buffer holds to the spooled file: a write per 256 KiB, not per line (a 20 MB message has
    /// 270,000 lines). A failed write (a full disk) makes the message one that cannot be taken.
    private func flushSpool() {
        defer { spoolBuffer.removeAll(keepingCapacity: true) }
        guard let spool, spool.descriptor >= 0, !tooLarge, !spoolFailed else { return }
        var offset = 0
        while offset < spoolBuffer.count {
            let written = spoolBuffer[offset...].withUnsafeBytes { write(spool.descriptor, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                spoolFailed = true
                return
            }
            offset += written
        }
    }

    private func finishData(context: ChannelHandlerContext) {
        inData = false
        flushSpool()
        guard let spool, let from, let connection else { return }
        close(spool.descriptor)
        // Closed once: dropSpool must not close the number again (another connection may hold it by then).
        self.spool = (-1, spool.path)
        if spoolFailed {
            dropSpool()
            resetTransaction()
            // A full disk is this machine's trouble for now, not the message's: the client keeps it and tries again.
            return send(SMTPReply(code: 452, lines: ["4.3.1 Insufficient system storage"]), context: context)
        }
        if tooLarge {
            dropSpool()
            resetTransaction()
            return send(SMTPReply(code: 552, lines: ["5.3.4 Message size exceeds the fixed maximum of \(server.limits.maximumMessageBytes)"]), context: context)
        }
        let incoming = SMTPIncoming(from: from, recipients: recipients, spool: spool.path, bytes: spoolBytes, mailParameters: mailParameters)
        work({ await connection.deliver(incoming) }, context: context) { handler, context, reply in
            handler.dropSpool()
            handler.resetTransaction()
            handler.send(reply, context: context)
        }
    }

    /// Runs `job` off the event loop, reading no further commands meanwhile; then `then` on the loop, and the
    /// lines that came meanwhile.
    private func work<T: Sendable>(_ job: @escaping @Sendable () async -> T, context: ChannelHandlerContext,
                                   then: @escaping (SMTPConnectionHandler, ChannelHandlerContext, T) -> Void) {
        busy = true
        // The command is whole: its time is over; what the connection takes is not the client's.
        lineTimer?.cancel()
        lineTimer = nil
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context, then), eventLoop: loop)
        Task {
            let result = await job()
            loop.execute {
                let (handler, context, then) = bound.value
                handler.busy = false
                guard context.channel.isActive else {
                    handler.dropSpool()
                    return
                }
                then(handler, context, result)
                context.channel.setOption(.autoRead, value: true).whenComplete { _ in }
                handler.processLines(context: context)
            }
        }
    }

    /// Forgets what the client sent and this session has not read.
    private func discardPending() {
        lineTimer?.cancel()
        lineTimer = nil
        pending.removeAll()
        consumed = 0
    }

    private func resetTransaction() {
        from = nil
        mailParameters = []
        recipients = []
    }

    private func dropSpool() {
        spoolBuffer.removeAll()
        guard let spool else { return }
        if spool.descriptor >= 0 { close(spool.descriptor) }
        unlink(spool.path)
        self.spool = nil
    }

    private func send(_ reply: SMTPReply, context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: reply.wire)), promise: nil)
    }

    /// Says `reply` and closes the session.
    private func end(_ reply: SMTPReply, context: ChannelHandlerContext) {
        closing = true
        discardPending()
        lineTimer?.cancel()
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: reply.wire))).whenComplete { _ in
            context.close(promise: nil)
        }
        // A write that cannot finish (a client that does not read, a TLS handshake never made) ends it anyway.
        fallbackClose = context.eventLoop.scheduleTask(in: .seconds(5)) { context.close(promise: nil) }
    }

    /// "FROM:<a@b> SIZE=123" → ("a@b", ["SIZE": "123"]); the null path "<>" is "".
    static func path(_ argument: String, keyword: String) -> (String, [String: String])? {
        guard argument.uppercased().hasPrefix(keyword) else { return nil }
        let rest = argument.dropFirst(keyword.count).trimmingCharacters(in: .whitespaces)
        guard rest.hasPrefix("<"), let close = rest.firstIndex(of: ">") else { return nil }
        let address = String(rest[rest.index(after: rest.startIndex)..<close])
        guard !address.contains(where: { $0 == " " || $0 == "\t" || $0.isNewline }) else { return nil }
        var parameters: [String: String] = [:]
        for word in rest[rest.index(after: close)...].split(separator: " ") {
            let pair = word.split(separator: "=", maxSplits: 1).map(String.init)
            parameters[pair[0].uppercased()] = pair.count > 1 ? pair[1] : ""
        }
        return (address, parameters)
    }
}
