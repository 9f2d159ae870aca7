import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import MailPrepCore
@_spi(CustomByteBufferAllocator) import NIOCore
import CPieceMemory
import NIOHTTP1
import NIOPosix
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The request context of the share server: Hummingbird's basics and the client's address, for the access log.
public struct ShareRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    /// The connection: a download that cannot send for the send time-out closes it.
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        channel = source.channel
    }
}

/// `mailprep serve`: the `ShareResponder` on Hummingbird. Files stream from disk one piece at a time per
/// download, and a client costs only its own connection, as nginx's limits make it:
/// - memory: a download reads its next piece (on NIO's thread pool) only while its own unsent pieces are under
///   `downloadBudget` and all downloads' under `piecesBudget`; one with nothing unsent may always read one
///   (a `smallPiece` while the budget is taken), so clients that stop reading cannot hold up the others;
/// - time: a connection that goes `sendTimeout` without taking any of its download is closed (nginx's
///   `send_timeout`), one without a whole request for `idleTimeout` too (idle keep-alive, slowloris);
/// - descriptors: at most `maximumConnections` at once, below the descriptor limit; beyond it, new connections
///   wait in the listen queue instead of failing accept(2) in a loop.
public struct ShareServer: Sendable {
    public var responder: ShareResponder
    public var host: String
    public var port: Int
    /// Where access log lines go (one per request, Combined Log Format).
    public var accessLog: @Sendable (String) -> Void

    /// Octets read from disk at a time per download: large enough for loopback speed, small enough that a
    /// hundred clients stay within tens of megabytes.
    static let chunkLength = 128 * 1024
    /// Octets of file pieces in memory at once, over all downloads. NIO accepts a piece as soon as a socket was
    /// last seen writable, so without this a hundred fast readers of whole files took the server past 1.5 GB.
    static let piecesBudget = 16 << 20
    /// Octets read at a time by a download with nothing unsent while all downloads' pieces fill the budget.
    static let smallPiece = 16 * 1024
    /// Octets of file pieces in memory at once for one download.
    static let downloadBudget = 1 << 20
    /// Pieces come from here: the same malloc, counted (CPieceMemory).
    static let pieceAllocator = ByteBufferAllocator(allocate: piece_memory_allocate, reallocate: piece_memory_reallocate,
                                                    deallocate: piece_memory_free, copy: piece_memory_copy)

    /// Octets of a request body the server reads (a password form); more is answered 413.
    static let maximumBody = 8 * 1024

    /// Seconds a connection may go without a whole request (idle keep-alive, or a header sent too slowly: slowloris).
    let idleTimeout: Double
    /// Seconds a download may go without the client taking any of it.
    let sendTimeout: Double
    /// Connections served at once; more wait to be accepted.
    let maximumConnections: Int

    public init(store: ShareStore, host: String, port: Int, secureCookies: Bool = false, idleTimeout: Double = 30,
                sendTimeout: Double = 60, maximumConnections: Int = 1024, accessLog: @escaping @Sendable (String) -> Void) {
        self.responder = ShareResponder(store: store, secureCookies: secureCookies)
        self.idleTimeout = idleTimeout
        self.sendTimeout = sendTimeout
        self.maximumConnections = maximumConnections
        self.host = host
        self.port = port
        self.accessLog = accessLog
    }

    /// Serves until SIGTERM or SIGINT; `onRunning` gets the port bound (useful with port 0).
    public func run(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let counter = DownloadCounter(store: responder.store)
        defer { counter.drain() }
        let responder = self.responder
        let log = accessLog
        let sendTimeout = self.sendTimeout
        let callback = CallbackResponder<ShareRequestContext> { request, context in
            var request = request
            var body: [UInt8] = []
            var tooLarge = false
            if request.method == .post {
                do {
                    let buffer = try await request.collectBody(upTo: Self.maximumBody)
                    body = Array(buffer.readableBytesView)
                } catch {
                    tooLarge = true
                }
            }
            var headers: [String: String] = [:]
            // The first Host field becomes the request's authority (NIOHTTPTypesHTTP1); any other stays a field.
            var hostFields = request.head.authority == nil ? 0 : 1
            for field in request.headers {
                headers[field.name.canonicalName] = field.value
                if field.name.canonicalName == "host" { hostFields += 1 }
            }
            let shareRequest = ShareRequest(method: request.method.rawValue, path: request.uri.path, query: request.uri.query ?? "",
                                            headers: headers, body: body,
                                            hostFields: hostFields, bodyTooLarge: tooLarge)
            let answer = responder.respond(to: shareRequest)
            log(Self.logLine(request: request, remote: context.remoteAddress, status: answer.status, bytes: answer.bodyLength))
            // Counted once the body is out, on the counter's queue: the metadata write never delays a response.
            var sent: (@Sendable () -> Void)?
            if let token = answer.countsDownloadOf { sent = { counter.record(token) } }
            return try Self.response(answer, channel: context.channel, sendTimeout: sendTimeout, sent: sent)
        }
        var logger = Logger(label: "mailprep.serve")
        logger.logLevel = .warning
        let http1 = HTTP1Channel.Configuration(additionalChannelHandlers: [BadRequestLog(log: log)],
                                               idleTimeout: .milliseconds(Int64(idleTimeout * 1000)))
        let application = Application(
            responder: callback,
            server: .http1(configuration: http1),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "mailprep",
                                                    availableConnectionsDelegate: MaximumAvailableConnections(maximumConnections, logger: logger)),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
        do {
            try await application.runService()
        } catch let error as IOError {
            // "bind(descriptor:ptr:bytes:): Address already in use (errno: 98)" becomes the last part alone.
            throw ListenError(reason: String(cString: strerror(error.errnoCode)).lowercased())
        }
    }

    /// Why the server could not start listening, in words.
    public struct ListenError: Error, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// `sent` runs once the whole body has been handed to the connection (not when it was cut short).
    static func response(_ answer: ShareResponse, channel: any Channel, sendTimeout: Double, sent: (@Sendable () -> Void)? = nil) throws -> Response {
        var fields = HTTPFields()
        for (name, value) in answer.headers {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        let status = HTTPResponse.Status(code: answer.status)
        switch answer.body {
        case .none:
            sent?()
            return Response(status: status, headers: fields, body: .init())
        case .bytes(let bytes):
            return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        case .file(let path, let range):
            // Opened now: a prune that deletes the file meanwhile does not cut this download short.
            // Never through a symbolic link: only a token's own file can be reached.
            let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            guard descriptor >= 0 else { throw HTTPError(.notFound) }
            let file = OpenFile(descriptor: descriptor)
            let count = Int(range.upperBound - range.lowerBound + 1)
            let timeout = TimeAmount.milliseconds(Int64(sendTimeout * 1000))
            return Response(status: status, headers: fields, body: ResponseBody(contentLength: count) { writer in
                let pieces = Pieces()
                var offset = range.lowerBound
                let end = range.upperBound + 1
                while offset < end {
                    guard let room = try await pieces.waitForRoom(timeout: sendTimeout) else {
                        channel.close(promise: nil)
                        throw SendTimeout()
                    }
                    let length = Int(min(Int64(room), end - offset))
                    let at = offset
                    let piece = try await NIOThreadPool.singleton.runIfActive { try pieces.reading { try file.read(length, at: at) } }
                    // A write waits while the socket is not writable; one that waits out the time-out ends the connection.
                    let watchdog = channel.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
                    defer { watchdog.cancel() }
                    try await writer.write(piece)
                    offset += Int64(piece.readableBytes)
                }
                try await writer.finish(nil)
                sent?()
            })
        }
    }

    /// `127.0.0.1 - - [29/Nov/2026:10:52:00 +0000] "GET /token/file HTTP/1.1" 206 1048576 "-" "curl/7.88.1"`
    /// A field as nginx logs it: printable ASCII as it is, `"` and `\` escaped, every other byte (control
    /// characters, terminal escapes, UTF-8 of bidi overrides) as `\xHH`, so a log line is one line that a terminal
    /// shows as it is.
    static func escaped(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += "\\\""
            case UInt8(ascii: "\\"): out += "\\\\"
            case 0x20...0x7E: out.unicodeScalars.append(Unicode.Scalar(byte))
            default: out += "\\x" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return out
    }

    static func logLine(request: Request, remote: SocketAddress?, status: Int, bytes: Int64) -> String {
        func quoted(_ text: String?) -> String {
            guard let text, !text.isEmpty else { return "\"-\"" }
            return "\"" + escaped(text) + "\""
        }
        let target = request.uri.string.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F } ? request.uri.string : "(binary)"
        return logPrefix(remote: remote) + "\"\(request.method.rawValue) \(target) HTTP/1.1\" "
            + "\(status) \(bytes) \(quoted(request.headers[.referer])) \(quoted(request.headers[.userAgent]))"
    }

    /// `127.0.0.1 - - [29/Nov/2026:10:52:00 +0000] `: who and when, as every access log line starts.
    static func logPrefix(remote: SocketAddress?) -> String {
        "\(remote?.ipAddress ?? "-") - - [\(HTTPDate.commonLog(Date()))] "
    }
}

/// A download that went the send time-out without the client taking any of it.
struct SendTimeout: Error {}

/// One download's file pieces in memory, counted by CPieceMemory until NIO has handed them to the socket.
final class Pieces: @unchecked Sendable {
    // Immutable after init; the counts behind it are atomic.
    private let owner = piece_owner_create()

    deinit {
        piece_owner_release(owner)
    }

    /// Runs `read` with its allocations counted to this download (on the calling thread).
    func reading<T>(_ read: () throws -> T) rethrows -> T {
        piece_memory_set_owner(owner)
        defer { piece_memory_set_owner(nil) }
        return try read()
    }

    /// Waits until this download may read another piece, and says how long: a whole one when its own and all
    /// downloads' unsent pieces leave room for it; a small one (`smallPiece`) when it has none unsent but the
    /// total is full, so every download moves and a thousand of them add only a few megabytes over the budget.
    /// Nil when its unsent pieces did not go down for `timeout` seconds: the client stopped reading.
    func waitForRoom(timeout: Double) async throws -> Int? {
        var unsent = piece_owner_in_use(owner)
        var lastProgress = ContinuousClock.now
        var pause = 1
        while true {
            if unsent + ShareServer.chunkLength <= ShareServer.downloadBudget
                && piece_memory_in_use() + ShareServer.chunkLength <= ShareServer.piecesBudget {
                return ShareServer.chunkLength
            }
            if unsent == 0 { return ShareServer.smallPiece }
            if ContinuousClock.now - lastProgress > .milliseconds(Int(timeout * 1000)) { return nil }
            try await Task.sleep(for: .milliseconds(pause))
            let now = piece_owner_in_use(owner)
            if now < unsent {
                lastProgress = ContinuousClock.now
                pause = 1
            } else {
                pause = min(pause * 2, 16)
            }
            unsent = now
        }
    }
}

/// Requests the HTTP parser refused (answered 400 and closed by Hummingbird) get an access log line too, with
/// `-` for the request line, as nginx logs them.
final class BadRequestLog: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = NIOAny
    let log: @Sendable (String) -> Void

    init(log: @escaping @Sendable (String) -> Void) {
        self.log = log
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is HTTPParserError {
            log(ShareServer.logPrefix(remote: context.channel.remoteAddress) + "\"-\" 400 0 \"-\" \"-\"")
        }
        context.fireErrorCaught(error)
    }
}

/// A shared file held open for one download; closed when the response is done with it.
final class OpenFile: Sendable {
    let descriptor: Int32

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    /// `length` octets at `offset` (fewer only at the end of the file).
    func read(_ length: Int, at offset: Int64) throws -> ByteBuffer {
        var buffer = ShareServer.pieceAllocator.buffer(capacity: length)
        var filled = 0
        while filled < length {
            var got = 0
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length - filled) { pointer in
                got = pread(descriptor, pointer.baseAddress, length - filled, off_t(offset) + off_t(filled))
                return max(got, 0)
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw HTTPError(.internalServerError)
            }
            if got == 0 { break }
            filled += got
        }
        guard filled > 0 else { throw HTTPError(.internalServerError) }
        return buffer
    }
}

/// Download counts are read, raised and written back one at a time, on a queue of their own: never on the tasks
/// that serve requests, and never two at once (an actor awaiting the thread pool would interleave them).
final class DownloadCounter: Sendable {
    let store: ShareStore
    private let queue = DispatchQueue(label: "mailprep.serve.downloads")

    init(store: ShareStore) {
        self.store = store
    }

    func record(_ token: String) {
        queue.async { [store] in store.recordDownload(token: token) }
    }

    /// Waits for the counts still queued (when the server stops).
    func drain() {
        queue.sync {}
    }
}
