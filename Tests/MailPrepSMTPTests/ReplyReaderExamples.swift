import NIOCore
import NIOEmbedded
import Testing
@testable import MailPrepSMTP

/// SMTP replies as servers send them, read off a connection: multi-line EHLO, lines split across reads, and what a
/// probe takes from them.
@Suite("SMTP replies")
struct ReplyReaderExamples {
    @Test("a multi-line EHLO reply, arriving in pieces, is one reply; its SIZE and AUTH are read")
    func multiLine() throws {
        let reader = ReplyReader()
        let channel = EmbeddedChannel(handler: reader)
        let reply = reader.next(on: channel.eventLoop, timeout: .seconds(5))
        try channel.writeInbound(ByteBuffer(string: "250-mail.example.hk Hello\r\n250-PIPELINING\r\n250-SIZE 2621"))
        try channel.writeInbound(ByteBuffer(string: "4400\r\n250-AUTH PLAIN LOGIN XOAUTH2\r\n250 STARTTLS\r\n"))
        let answer = try reply.wait()
        #expect(answer.code == 250)
        #expect(answer.lines == ["mail.example.hk Hello", "PIPELINING", "SIZE 26214400", "AUTH PLAIN LOGIN XOAUTH2", "STARTTLS"])
        #expect(SMTPProbe.keywords(answer) == ["PIPELINING", "SIZE", "AUTH", "STARTTLS"])
        _ = try channel.finish()
    }

    @Test("a reply that is not SMTP (an HTTP server on the port) fails the wait instead of hanging")
    func notSMTP() throws {
        let reader = ReplyReader()
        let channel = EmbeddedChannel(handler: reader)
        let reply = reader.next(on: channel.eventLoop, timeout: .seconds(5))
        try? channel.writeInbound(ByteBuffer(string: "HTTP/1.1 400 Bad Request\r\n"))
        #expect(throws: SMTPProbeError.unexpectedReply(step: "reply", reply: "HTTP/1.1 400 Bad Request")) { try reply.wait() }
        _ = try? channel.finish()
    }
}

extension ReplyReaderExamples {
    /// Stands in for the TLS handler: records that it was put in front of the reader.
    final class Marker: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
    }

    @Test("STARTTLS: TLS goes in front as the 220 is read; a forged reply sent in the clear behind the 220 is refused (RFC 3207)")
    func startTLS() throws {
        let reader = ReplyReader()
        let channel = EmbeddedChannel(handler: reader)
        let marker = Marker()
        reader.startTLS(with: [marker])
        let ready = reader.next(on: channel.eventLoop, timeout: .seconds(5))
        try channel.writeInbound(ByteBuffer(string: "220 2.0.0 Ready to start TLS\r\n"))
        #expect(try ready.wait().code == 220)
        #expect(try channel.pipeline.syncOperations.context(handlerType: Marker.self).handler === marker)

        let attacked = ReplyReader()
        let other = EmbeddedChannel(handler: attacked)
        attacked.startTLS(with: [Marker()])
        let reply = attacked.next(on: other.eventLoop, timeout: .seconds(5))
        try? other.writeInbound(ByteBuffer(string: "220 Ready to start TLS\r\n250-forged\r\n250 SIZE 999999999\r\n"))
        #expect(throws: SMTPProbeError.unexpectedReply(step: "STARTTLS", reply: "data in the clear after 220, before TLS")) { try reply.wait() }
        #expect((try? other.pipeline.syncOperations.context(handlerType: Marker.self)) == nil)
        _ = try? channel.finish()
        _ = try? other.finish()
    }
}
