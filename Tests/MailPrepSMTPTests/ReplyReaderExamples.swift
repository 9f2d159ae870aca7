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
