import Foundation
import NIOCore
import NIOPosix

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
}

/// The receiving side of SMTP (RFC 5321) on swift-nio: EHLO/HELO, MAIL (with SIZE, RFC 1870), RCPT, DATA, RSET,
/// NOOP, QUIT, PIPELINING. Each message's data goes to a private file; `deliver` decides its reply, and only then
/// does the client hear back, so a 250 means the message is where `deliver` put it. Bounded per connection: line
/// length, recipients, message size, idle time; bad commands get 500/501/503, never a crash.
public struct SMTPServer: Sendable {
    public struct Limits: Sendable {
        public var maximumMessageBytes: Int64 = 200_000_000
        public var maximumRecipients = 100
        public var idle: TimeAmount = .seconds(300)
        /// RFC 5321 section 4.5.3.1.4/6: 512 octets for a command line, 1000 for a text line; more is refused.
        public var maximumLine = 1000
        public init() {}
    }

    public var host: String
    public var port: Int
    public var name: String
    public var limits: Limits
    /// Folder and file name prefix for spooled data.
    public var spoolPrefix: String
    public var deliver: @Sendable (SMTPIncoming) async -> SMTPReply

    public init(host: String, port: Int, name: String, limits: Limits = Limits(), spoolPrefix: String,
                deliver: @escaping @Sendable (SMTPIncoming) async -> SMTPReply) {
        self.host = host
        self.port = port
        self.name = name
        self.limits = limits
        self.spoolPrefix = spoolPrefix
        self.deliver = deliver
    }

    /// Listens and serves until the task is cancelled; `onListening` gets the port (a free one for port 0).
    public func run(onListening: @Sendable (Int) -> Void) async throws {
        let server = self
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
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
    private var pending: [UInt8] = []
    private var greeted = false
    private var from: String?
    private var recipients: [String] = []
    private var inData = false
    private var spool: (descriptor: Int32, path: String)?
    private var spoolBytes: Int64 = 0
    private var tooLarge = false
    /// Waiting for `deliver`: lines that come meanwhile (pipelined) wait in `pending`.
    private var delivering = false
    private var closing = false

    init(server: SMTPServer) {
        self.server = server
    }

    func channelActive(context: ChannelHandlerContext) {
        send(SMTPReply(code: 220, lines: ["\(server.name) ESMTP mailprep relay"]), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        dropSpool()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? IdleStateHandler.IdleStateEvent, event == .read {
            // The client waits for our answer while a message is delivered: that silence is ours, not its.
            guard !delivering else { return }
            send(SMTPReply(code: 421, lines: ["4.4.2 \(server.name) idle too long, closing"]), context: context)
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        pending += buffer.readBytes(length: buffer.readableBytes) ?? []
        processLines(context: context)
    }

    private func processLines(context: ChannelHandlerContext) {
        while !delivering && !closing, let end = pending.firstIndex(of: 0x0A) {
            var line = Array(pending[..<end])
            pending.removeSubrange(...end)
            if line.last == 0x0D { line.removeLast() }
            if inData { dataLine(line, context: context) } else { command(line, context: context) }
        }
        // A line that never ends: refused before it fills memory.
        if !inData && pending.count > server.limits.maximumLine && !delivering {
            pending.removeAll()
            send(SMTPReply(code: 500, lines: ["5.5.2 Line too long"]), context: context)
        } else if inData && pending.count > 1 << 20 {
            // A data line without an end in a mebibyte: counted and dropped, as an overlong message is.
            spoolBytes += Int64(pending.count)
            tooLarge = true
            pending.removeAll()
        }
    }

    private func command(_ line: [UInt8], context: ChannelHandlerContext) {
        guard line.count <= server.limits.maximumLine else {
            send(SMTPReply(code: 500, lines: ["5.5.2 Line too long"]), context: context)
            return
        }
        let text = String(decoding: line, as: UTF8.self)
        let verb = text.prefix { $0 != " " }.uppercased()
        let argument = text.dropFirst(verb.count).trimmingCharacters(in: .whitespaces)
        switch verb {
        case "EHLO", "HELO":
            guard !argument.isEmpty else { return send(SMTPReply(code: 501, lines: ["5.5.4 \(verb) needs a domain"]), context: context) }
            greeted = true
            resetTransaction()
            if verb == "HELO" { return send(SMTPReply(code: 250, lines: [server.name]), context: context) }
            send(SMTPReply(code: 250, lines: [server.name, "PIPELINING", "SIZE \(server.limits.maximumMessageBytes)", "ENHANCEDSTATUSCODES"]),
                 context: context)
        case "MAIL":
            guard greeted else { return send(SMTPReply(code: 503, lines: ["5.5.1 EHLO first"]), context: context) }
            guard from == nil else { return send(SMTPReply(code: 503, lines: ["5.5.1 MAIL already given"]), context: context) }
            guard let (address, parameters) = Self.path(argument, keyword: "FROM:") else {
                return send(SMTPReply(code: 501, lines: ["5.5.4 Syntax: MAIL FROM:<address>"]), context: context)
            }
            if let size = parameters["SIZE"].flatMap(Int64.init), size > server.limits.maximumMessageBytes {
                return send(SMTPReply(code: 552, lines: ["5.3.4 Message size exceeds the fixed maximum of \(server.limits.maximumMessageBytes)"]), context: context)
            }
            from = address
            send(SMTPReply(code: 250, lines: ["2.1.0 Ok"]), context: context)
        case "RCPT":
            guard from != nil else { return send(SMTPReply(code: 503, lines: ["5.5.1 MAIL first"]), context: context) }
            guard let (address, _) = Self.path(argument, keyword: "TO:"), !address.isEmpty else {
                return send(SMTPReply(code: 501, lines: ["5.5.4 Syntax: RCPT TO:<address>"]), context: context)
            }
            guard recipients.count < server.limits.maximumRecipients else {
                return send(SMTPReply(code: 452, lines: ["4.5.3 Too many recipients"]), context: context)
            }
            recipients.append(address)
            send(SMTPReply(code: 250, lines: ["2.1.5 Ok"]), context: context)
        case "DATA":
            guard argument.isEmpty else { return send(SMTPReply(code: 501, lines: ["5.5.4 DATA takes no argument"]), context: context) }
            guard from != nil, !recipients.isEmpty else { return send(SMTPReply(code: 503, lines: ["5.5.1 RCPT first"]), context: context) }
            var template = Array((server.spoolPrefix + "relay-XXXXXX").utf8CString)
            let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard descriptor >= 0 else { return send(SMTPReply(code: 451, lines: ["4.3.0 Cannot spool the message here"]), context: context) }
            spool = (descriptor, String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            spoolBytes = 0
            tooLarge = false
            inData = true
            send(SMTPReply(code: 354, lines: ["End data with <CR><LF>.<CR><LF>"]), context: context)
        case "RSET":
            resetTransaction()
            send(SMTPReply(code: 250, lines: ["2.0.0 Ok"]), context: context)
        case "NOOP":
            send(SMTPReply(code: 250, lines: ["2.0.0 Ok"]), context: context)
        case "VRFY":
            send(SMTPReply(code: 252, lines: ["2.5.0 Cannot VRFY; send and the server will try"]), context: context)
        case "QUIT":
            closing = true
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: SMTPReply(code: 221, lines: ["2.0.0 Bye"]).wire))).whenComplete { _ in
                context.close(promise: nil)
            }
        case "STARTTLS", "AUTH":
            send(SMTPReply(code: 502, lines: ["5.5.1 \(verb) is not offered here"]), context: context)
        default:
            send(SMTPReply(code: 500, lines: ["5.5.2 Command not recognized"]), context: context)
        }
    }

    private func dataLine(_ line: [UInt8], context: ChannelHandlerContext) {
        if line == [UInt8(ascii: ".")] {
            finishData(context: context)
            return
        }
        // RFC 5321 section 4.5.2: a leading dot was doubled by the client.
        let content = line.first == UInt8(ascii: ".") ? Array(line.dropFirst()) : line
        spoolBytes += Int64(content.count + 2)
        if spoolBytes > server.limits.maximumMessageBytes { tooLarge = true }
        guard !tooLarge, let spool else { return }
        let bytes = content + [0x0D, 0x0A]
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(spool.descriptor, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                tooLarge = true
                return
            }
            offset += written
        }
    }

    private func finishData(context: ChannelHandlerContext) {
        inData = false
        guard let spool, let from else { return }
        close(spool.descriptor)
        if tooLarge {
            dropSpool()
            resetTransaction()
            return send(SMTPReply(code: 552, lines: ["5.3.4 Message size exceeds the fixed maximum of \(server.limits.maximumMessageBytes)"]), context: context)
        }
        self.spool = (-1, spool.path)
        let incoming = SMTPIncoming(from: from, recipients: recipients, spool: spool.path, bytes: spoolBytes)
        delivering = true
        let deliver = server.deliver
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        Task {
            let reply = await deliver(incoming)
            loop.execute {
                let (handler, context) = bound.value
                handler.delivering = false
                handler.dropSpool()
                handler.resetTransaction()
                handler.send(reply, context: context)
                handler.processLines(context: context)
            }
        }
    }

    private func resetTransaction() {
        from = nil
        recipients = []
    }

    private func dropSpool() {
        guard let spool else { return }
        if spool.descriptor >= 0 { close(spool.descriptor) }
        unlink(spool.path)
        self.spool = nil
    }

    private func send(_ reply: SMTPReply, context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: reply.wire)), promise: nil)
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
