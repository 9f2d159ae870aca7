import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// What a submission server says of itself: its greeting, its EHLO extensions (after STARTTLS when it offers it),
/// among them SIZE (RFC 1870) and the AUTH mechanisms (RFC 4954).
public struct SMTPCapabilities: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var greeting: String
    /// How the session was protected: "tls" (implicit, port 465), "starttls", or nil (plain).
    public var security: String?
    /// The EHLO keywords with their parameters, as the server wrote them (after TLS when there was TLS).
    public var extensions: [String]
    /// The SIZE parameter: the largest message it takes in octets; 0 when it announced SIZE without a fixed limit;
    /// nil when it does not announce SIZE at all.
    public var size: Int64?
    public var authMechanisms: [String]
}

/// Why a probe did not get the server's extensions.
public enum SMTPProbeError: Error, Sendable, Equatable {
    /// Nothing listens there, the name does not resolve, the network is unreachable.
    case cannotConnect(String)
    /// No answer within the time-out, at this step.
    case timedOut(String)
    /// The TLS handshake failed: a certificate not trusted or not for this host, or no common protocol.
    case tls(String)
    /// The server answered, but not as SMTP says it should (a reply code where another was due).
    case unexpectedReply(step: String, reply: String)
    /// The server closed the connection.
    case closed(String)
}

/// Asks a submission server for its extensions: connect, greeting, EHLO; STARTTLS when offered (TLS from the start
/// on port 465, or with `implicitTLS`), EHLO again; QUIT. Certificates are verified against the system's trust
/// store (or `trustRoots`, a PEM file) unless `verify` is false; the host name is checked unless it is an address.
public struct SMTPProbe: Sendable {
    public var host: String
    public var port: Int
    public var implicitTLS: Bool
    public var verify: Bool
    public var trustRoots: String?
    /// For each reply (the end of a message's data waits twice as long).
    public var timeout: TimeAmount
    /// For the connection to be made.
    public var connectTimeout: TimeAmount = .seconds(30)
    /// The name said in EHLO.
    public var clientName: String

    public init(host: String, port: Int, implicitTLS: Bool? = nil, verify: Bool = true, trustRoots: String? = nil,
                timeout: TimeAmount = .seconds(30), clientName: String = "mailprep.invalid") {
        self.host = host
        self.port = port
        self.implicitTLS = implicitTLS ?? (port == 465)
        self.verify = verify
        self.trustRoots = trustRoots
        self.timeout = timeout
        self.clientName = clientName
    }

    public func run() async throws(SMTPProbeError) -> SMTPCapabilities {
        try await session { session throws(SMTPProbeError) in session.capabilities }
    }

    /// Opens a session (greeting, EHLO, STARTTLS when offered or `requireTLS`, EHLO again), runs `body` in it, says
    /// QUIT and closes. With `requireTLS`, a server that offers no STARTTLS is an error rather than a plain session.
    public func session<T: Sendable>(requireTLS: Bool = false,
                                     _ body: (SMTPSession) async throws(SMTPProbeError) -> T) async throws(SMTPProbeError) -> T {
        let session = try await open(requireTLS: requireTLS)
        do {
            let result = try await body(session)
            await session.close()
            return result
        } catch {
            await session.close()
            throw error
        }
    }

    /// Opens a session as `session` does and leaves it open: the caller says `close()` when done (a relay keeps one
    /// per client connection, so that the client's AUTH and its messages go through the same upstream session).
    public func open(requireTLS: Bool = false) async throws(SMTPProbeError) -> SMTPSession {
        let replies = ReplyReader()
        let group = MultiThreadedEventLoopGroup.singleton
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(connectTimeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(replies) }
                }
                .connect(host: host, port: port).get()
        } catch let error as ChannelError where error == .connectTimeout(connectTimeout) {
            throw .timedOut("connect")
        } catch {
            throw .cannotConnect(Self.describe(error))
        }
        do {
            return try await greet(channel, replies: replies, requireTLS: requireTLS)
        } catch {
            channel.close(promise: nil)
            throw error
        }
    }

    /// Greeting, EHLO, TLS, EHLO again: the session's capabilities.
    private func greet(_ channel: any Channel, replies: ReplyReader, requireTLS: Bool) async throws(SMTPProbeError) -> SMTPSession {
        var security: String?
        if implicitTLS {
            try await startTLS(on: channel, step: "TLS")
            security = "tls"
        }
        let greeting = try await reply(replies, channel, step: "greeting", expect: 220)
        var ehlo = try await command("EHLO \(clientName)", replies, channel, step: "EHLO", expect: 250)
        if security == nil && (requireTLS || Self.keywords(ehlo).contains("STARTTLS")) {
            guard Self.keywords(ehlo).contains("STARTTLS") else { throw .tls("the server offers no STARTTLS") }
            // The reader puts TLS in front of itself as it reads the 220, in the same turn: nothing that came in
            // the clear after it can pass for an answer under TLS (RFC 3207, section 4.2).
            let (handler, waiter, handshake) = try tlsHandlers(on: channel)
            do {
                try await channel.eventLoop.submit { replies.startTLS(with: [handler, waiter]) }.get()
                _ = try await command("STARTTLS", replies, channel, step: "STARTTLS", expect: 220)
            } catch {
                // The handshake will not come: its promise is completed, never dropped.
                channel.eventLoop.execute { waiter.finish(.failure(error)) }
                throw error as? SMTPProbeError ?? .closed("STARTTLS")
            }
            try await wait(for: handshake, waiter: waiter, on: channel, step: "STARTTLS")
            security = "starttls"
            // RFC 3207: what was said before TLS is forgotten; the extensions are asked again.
            ehlo = try await command("EHLO \(clientName)", replies, channel, step: "EHLO after STARTTLS", expect: 250)
        }
        let extensions = Array(ehlo.lines.dropFirst())
        var size: Int64?
        var auth: [String] = []
        for line in extensions {
            let words = line.split(separator: " ").map(String.init)
            guard let keyword = words.first?.uppercased() else { continue }
            if keyword == "SIZE" { size = words.count > 1 ? Int64(words[1]) : 0 }
            if keyword == "AUTH" { auth = Array(words.dropFirst()) }
        }
        let capabilities = SMTPCapabilities(host: host, port: port, greeting: greeting.lines.first ?? "", security: security,
                                            extensions: extensions, size: size, authMechanisms: auth)
        return SMTPSession(capabilities: capabilities, channel: channel, replies: replies, timeout: timeout)
    }

    static func keywords(_ reply: Reply) -> Set<String> {
        Set(reply.lines.dropFirst().compactMap { $0.split(separator: " ").first.map { $0.uppercased() } })
    }

    private func command(_ text: String, _ replies: ReplyReader, _ channel: any Channel, step: String, expect: Int) async throws(SMTPProbeError) -> Reply {
        do { try await channel.writeAndFlush(ByteBuffer(string: text + "\r\n")).get() } catch { throw .closed(step) }
        return try await reply(replies, channel, step: step, expect: expect)
    }

    private func reply(_ replies: ReplyReader, _ channel: any Channel, step: String, expect: Int) async throws(SMTPProbeError) -> Reply {
        let answer = try await Self.reply(replies, channel, step: step, timeout: timeout)
        guard answer.code == expect else { throw .unexpectedReply(step: step, reply: answer.lines.first.map { "\(answer.code) \($0)" } ?? "\(answer.code)") }
        return answer
    }

    /// The next reply, whatever its code.
    static func reply(_ replies: ReplyReader, _ channel: any Channel, step: String, timeout: TimeAmount) async throws(SMTPProbeError) -> Reply {
        let answer: Reply
        do {
            answer = try await channel.eventLoop.flatSubmit { replies.next(on: channel.eventLoop, timeout: timeout) }.get()
        } catch let error as SMTPProbeError {
            switch error {
            case .timedOut: throw .timedOut(step)
            case .closed: throw .closed(step)
            default: throw error
            }
        } catch let error as NIOSSLError {
            throw .tls(Self.describe(error))
        } catch let error as BoringSSLError {
            throw .tls(Self.describe(error))
        } catch {
            throw .closed(step)
        }
        return answer
    }

    /// Puts TLS in front of the SMTP reader (TLS from the start) and waits for the handshake.
    private func startTLS(on channel: any Channel, step: String) async throws(SMTPProbeError) {
        let (handler, waiter, handshake) = try tlsHandlers(on: channel)
        do { try await channel.pipeline.addHandlers([handler, waiter], position: .first).get() } catch {
            channel.eventLoop.execute { waiter.finish(.failure(error)) }
            throw .tls(Self.describe(error))
        }
        try await wait(for: handshake, waiter: waiter, on: channel, step: step)
    }

    /// The TLS client handler (certificates verified unless `verify` is false; the name checked, or for an address
    /// the certificate's IP entries), and what waits for its handshake.
    private func tlsHandlers(on channel: any Channel) throws(SMTPProbeError) -> (NIOSSLClientHandler, HandshakeWaiter, EventLoopFuture<Void>) {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if !verify { configuration.certificateVerification = .none }
        if let trustRoots { configuration.trustRoots = .file(trustRoots) }
        let handler: NIOSSLClientHandler
        do {
            let context = try NIOSSLContext(configuration: configuration)
            // No SNI name for an address: NIOSSL then matches the address against the certificate's IP entries.
            handler = try NIOSSLClientHandler(context: context, serverHostname: Self.isAddress(host) ? nil : host)
        } catch {
            throw .tls(Self.describe(error))
        }
        let handshake = channel.eventLoop.makePromise(of: Void.self)
        return (handler, HandshakeWaiter(promise: handshake), handshake.futureResult)
    }

    private func wait(for handshake: EventLoopFuture<Void>, waiter: HandshakeWaiter, on channel: any Channel, step: String) async throws(SMTPProbeError) {
        let timer = channel.eventLoop.scheduleTask(in: timeout) { waiter.finish(.failure(SMTPProbeError.timedOut(step))) }
        defer { timer.cancel() }
        do { try await handshake.get() } catch let error as SMTPProbeError {
            throw error
        } catch {
            throw .tls(Self.describe(error))
        }
    }

    /// An IPv4 or IPv6 address rather than a name.
    static func isAddress(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? NIOSSLError {
            switch error {
            case .handshakeFailed(let inner): return "handshake failed: \(inner)"
            default: return "\(error)"
            }
        }
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)).lowercased() }
        if let error = error as? NIOConnectionError {
            if let first = error.connectionErrors.first { return describe(first.error) }
            if let dns = error.dnsAAAAError ?? error.dnsAError { return "cannot resolve \(error.host): \(dns)" }
            return "cannot connect to \(error.host)"
        }
        return "\(error)"
    }
}

/// One SMTP reply: its code and its lines' texts (without the code and separator).
struct Reply: Sendable {
    var code: Int
    var lines: [String]
}

/// Reads replies off the connection, CRLF lines, multi-line replies joined (`250-...` until `250 ...`); a reply
/// waits for whoever asks next. At most 64 KiB of unfinished reply is kept.
final class ReplyReader: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    // Touched on the channel's event loop only.
    private var pending: [UInt8] = []
    private var lines: [String] = []
    private var ready: [Reply] = []
    private var waiting: [EventLoopPromise<Reply>] = []
    private var closedError: (any Error)?
    /// Set before STARTTLS: the handlers to put in front of this one as its 220 is read.
    private var tlsOnReady: [any ChannelHandler]?

    /// The next 220 switches the connection to TLS, on the spot: anything after it in the clear is an error.
    func startTLS(with handlers: [any ChannelHandler]) {
        tlsOnReady = handlers
    }

    func next(on loop: any EventLoop, timeout: TimeAmount) -> EventLoopFuture<Reply> {
        if !ready.isEmpty { return loop.makeSucceededFuture(ready.removeFirst()) }
        if let closedError { return loop.makeFailedFuture(closedError) }
        let promise = loop.makePromise(of: Reply.self)
        waiting.append(promise)
        let timer = loop.scheduleTask(in: timeout) { [weak self] in
            guard let self, let index = self.waiting.firstIndex(where: { $0.futureResult === promise.futureResult }) else { return }
            self.waiting.remove(at: index)
            promise.fail(SMTPProbeError.timedOut(""))
        }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        return promise.futureResult
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        pending += buffer.readBytes(length: buffer.readableBytes) ?? []
        while let end = pending.firstIndex(of: 0x0A) {
            var line = Array(pending[..<end])
            pending.removeSubrange(...end)
            if line.last == 0x0D { line.removeLast() }
            let text = String(decoding: line, as: UTF8.self)
            guard text.count >= 3, let code = Int(text.prefix(3)) else {
                deliver(failure: SMTPProbeError.unexpectedReply(step: "reply", reply: text))
                return
            }
            let rest = text.dropFirst(3)
            lines.append(String(rest.dropFirst()))
            if rest.first != "-" {
                let reply = Reply(code: code, lines: lines)
                lines = []
                let handlers = tlsOnReady
                tlsOnReady = nil
                if let handlers, code == 220 {
                    guard pending.isEmpty && ready.isEmpty else {
                        deliver(failure: SMTPProbeError.unexpectedReply(step: "STARTTLS", reply: "data in the clear after 220, before TLS"))
                        context.close(promise: nil)
                        return
                    }
                    do { try context.pipeline.syncOperations.addHandlers(handlers, position: .first) } catch {
                        deliver(failure: error)
                        return
                    }
                }
                if waiting.isEmpty { ready.append(reply) } else { waiting.removeFirst().succeed(reply) }
            }
        }
        if pending.count > 65_536 { deliver(failure: SMTPProbeError.unexpectedReply(step: "reply", reply: "a line over 64 KiB")) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        deliver(failure: error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deliver(failure: SMTPProbeError.closed(""))
        context.fireChannelInactive()
    }

    private func deliver(failure error: any Error) {
        if closedError == nil { closedError = error }
        let waiters = waiting
        waiting = []
        for promise in waiters { promise.fail(error) }
    }
}

/// Completes `promise` when the TLS handshake in front of it is done, or fails it with the handshake's error.
final class HandshakeWaiter: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let promise: EventLoopPromise<Void>

    init(promise: EventLoopPromise<Void>) {
        self.promise = promise
    }

    // On the channel's event loop only, as everything that calls `finish` is.
    private var done = false

    /// Completes the promise once; later results are ignored.
    func finish(_ result: Result<Void, any Error>) {
        guard !done else { return }
        done = true
        promise.completeWith(result)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event { finish(.success(())) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(.failure(error))
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(SMTPProbeError.closed("TLS")))
        context.fireChannelInactive()
    }
}

/// An open SMTP session, after EHLO (and TLS): commands and their replies, whatever the code, and a message's data.
public struct SMTPSession: Sendable {
    public let capabilities: SMTPCapabilities
    let channel: any Channel
    let replies: ReplyReader
    let timeout: TimeAmount

    /// Says QUIT (briefly: a server that does not answer is not waited for) and closes the connection.
    public func close() async {
        if channel.isActive {
            _ = try? await channel.writeAndFlush(ByteBuffer(string: "QUIT\r\n")).get()
            _ = try? await SMTPProbe.reply(replies, channel, step: "QUIT", timeout: .seconds(2))
        }
        try? await channel.close().get()
    }

    /// Whether the connection is still open (a server may close an idle session).
    public var isOpen: Bool { channel.isActive }

    /// Sends one command line and gives the server's reply: code, and the text of each line. Any failure (a
    /// time-out, a closed connection) ends the session: a reply that came late would otherwise be taken as the
    /// answer to the next command.
    public func command(_ text: String, step: String) async throws(SMTPProbeError) -> (code: Int, lines: [String]) {
        do { try await channel.writeAndFlush(ByteBuffer(string: text + "\r\n")).get() } catch {
            channel.close(promise: nil)
            throw .closed(step)
        }
        do {
            let answer = try await SMTPProbe.reply(replies, channel, step: step, timeout: timeout)
            return (answer.code, answer.lines)
        } catch {
            channel.close(promise: nil)
            throw error
        }
    }

    /// After DATA's 354: the message in the file at `path` (CRLF lines), dot-stuffed (RFC 5321 section 4.5.2), then
    /// the final "." line; gives the server's reply.
    public func data(file path: String) async throws(SMTPProbeError) -> (code: Int, lines: [String]) {
        do { return try await sendData(file: path) } catch {
            // Half a message sent, or its reply late: this session cannot be trusted with another.
            channel.close(promise: nil)
            throw error
        }
    }

    private func sendData(file path: String) async throws(SMTPProbeError) -> (code: Int, lines: [String]) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .closed("DATA") }
        defer { try? handle.close() }
        var atLineStart = true
        var last: UInt8 = 0x0A
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 1 << 16) ?? Data() } catch { throw .closed("DATA") }
            if chunk.isEmpty { break }
            var out: [UInt8] = []
            out.reserveCapacity(chunk.count + 64)
            for byte in chunk {
                if atLineStart && byte == UInt8(ascii: ".") { out.append(byte) }
                out.append(byte)
                atLineStart = byte == 0x0A
                last = byte
            }
            do { try await channel.writeAndFlush(ByteBuffer(bytes: out)).get() } catch { throw .closed("DATA") }
        }
        let end = last == 0x0A ? ".\r\n" : "\r\n.\r\n"
        do { try await channel.writeAndFlush(ByteBuffer(string: end)).get() } catch { throw .closed("DATA") }
        // RFC 5321 section 4.5.3.2.6: 10 minutes for the reply to the end of data, twice the 5 for a command.
        let answer = try await SMTPProbe.reply(replies, channel, step: "end of data", timeout: timeout * 2)
        return (answer.code, answer.lines)
    }
}
