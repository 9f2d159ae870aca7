import CCurl
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a conversation with an IMAP server could not go on.
public enum IMAPError: Error, Sendable, Equatable {
    /// The server could not be reached (no such host, refused, timed out). `detail` is libcurl's text.
    case unreachable(detail: String)
    /// TLS failed: the certificate is not trusted or does not name the host, or the handshake broke.
    case tls(detail: String)
    /// The server turned the login down.
    case login(detail: String)
    /// A command was answered NO or BAD (a folder that does not exist, say).
    case refused(command: String, reply: String)
    /// The server's answer could not be read.
    case protocolError(detail: String)
    /// TLS was required (a server that is not this machine) and the server does not offer STARTTLS.
    case noStartTLS
    /// `;UID=n` named a message the folder does not have.
    case noSuchUID(UInt32)
    /// The server sent more than a check can hold (a literal or an answer past its cap).
    case tooLarge(detail: String)
    /// No folder was named and none is marked as the drafts folder (RFC 6154 `\Drafts`) or called Drafts.
    case noDraftsFolder
}

/// Where the literals of an answer go when they are not to be held: a downloaded message, piece by piece.
public protocol IMAPLiteralSink: AnyObject {
    /// A literal starts; `line` is the line that announced it (`* 3 FETCH (UID 7 BODY[] {4096}`).
    func begin(after line: [UInt8])
    func write(_ piece: UnsafeRawBufferPointer)
    func end()
}

/// What plain `imap://` does about STARTTLS.
public enum StartTLS: Sendable {
    /// Upgrade, or fail: any server that is not this machine.
    case required
    /// Upgrade where the server offers it (`--allow-plain-imap` to a network host).
    case ifOffered
    /// Stay plain: this machine (a local server's certificate is rarely one the system trusts).
    case never
}

/// One logged-in IMAP session: libcurl connects, does TLS (verified) and logs in (`CURLOPT_CONNECT_ONLY`); the
/// commands after that are written and read here, because libcurl's own FETCH output drops the literals that
/// ENVELOPE and BODYSTRUCTURE carry (non-ASCII subjects and file names arrive as `{N}` literals).
///
/// One owner of the curl handle, cleaned up in `deinit`. Not for use from two threads at once.
public final class IMAPConnection {
    private let handle: UnsafeMutableRawPointer
    private var tag = 0
    /// Octets received but not yet handed out.
    private var pending: [UInt8] = []
    private var pendingStart = 0
    private var loggedIn = false
    /// How long one read may wait, in seconds.
    public var timeout: Int32 = 120

    /// Connects to `server` (`imaps://host[:port]` or `imap://host[:port]`) and logs in as `user`.
    ///
    /// `caFile`: trust this CA bundle (a private server's certificate) instead of the system's.
    /// `netrcFile`: where the password is looked up when `password` is nil (curl reads it, the `machine` line of
    /// the host). `startTLS` says what plain `imap://` does (`imaps://` is TLS from the start).
    public init(server: String, user: String, password: String?, netrcFile: String?, caFile: String?,
                startTLS: StartTLS) throws(IMAPError) {
        guard let easy = curl_easy_init() else { throw .protocolError(detail: "libcurl could not start") }
        handle = easy
        // The user goes in the URL, as curl's own command line puts it: curl then looks its password up in the
        // netrc file (with CURLOPT_USERNAME set instead, curl 7.88 did not).
        let scheme = server.range(of: "://").map { server[..<$0.upperBound] } ?? "imaps://"
        let rest = server.range(of: "://").map { server[$0.upperBound...] } ?? Substring(server)
        mailprep_curl_set_string(easy, CURLOPT_URL, "\(scheme)\(IMAPURL.percentEncodedUser(user))@\(rest)/")
        if let password {
            mailprep_curl_set_string(easy, CURLOPT_USERNAME, user)
            mailprep_curl_set_string(easy, CURLOPT_PASSWORD, password)
        } else {
            mailprep_curl_set_long(easy, CURLOPT_NETRC, Int(CURL_NETRC_OPTIONAL.rawValue))
            if let netrcFile { mailprep_curl_set_string(easy, CURLOPT_NETRC_FILE, netrcFile) }
        }
        if let caFile { mailprep_curl_set_string(easy, CURLOPT_CAINFO, caFile) }
        let level = switch startTLS {
        case .required: CURLUSESSL_ALL
        case .ifOffered: CURLUSESSL_TRY
        case .never: CURLUSESSL_NONE
        }
        mailprep_curl_set_long(easy, CURLOPT_USE_SSL, Int(level.rawValue))
        mailprep_curl_set_long(easy, CURLOPT_CONNECTTIMEOUT, 30)
        mailprep_curl_set_long(easy, CURLOPT_CONNECT_ONLY, 1)
        mailprep_curl_set_long(easy, CURLOPT_NOSIGNAL, 1)
        let code = curl_easy_perform(easy)
        guard code == CURLE_OK else {
            // The handle is cleaned up by deinit, which runs for an initializer that throws once every property is set.
            let text = String(cString: curl_easy_strerror(code))
            switch code {
            case CURLE_LOGIN_DENIED: throw .login(detail: text)
            case CURLE_USE_SSL_FAILED: throw .noStartTLS
            case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM:
                throw .tls(detail: text)
            default: throw .unreachable(detail: text)
            }
        }
        loggedIn = true
    }

    deinit {
        if loggedIn {
            // A polite end (the server logs "Logged out", not a dropped connection); its answer is not waited for.
            tag += 1
            let bye = Array("M\(tag) LOGOUT\r\n".utf8)
            var sent = 0
            _ = bye.withUnsafeBytes { curl_easy_send(handle, $0.baseAddress, $0.count, &sent) }
        }
        curl_easy_cleanup(handle)
    }

    /// Sends one command (without tag or line end) and hands every octet of the answer, up to and including the
    /// tagged completion line, to `each`; literals are passed through whole. Throws when the answer is NO or BAD.
    ///
    /// `literals` (if given) receives each literal instead of `each`: the line that announced it, its octets in
    /// pieces, its end (a message being downloaded goes to a parser without being held).
    public func command(_ text: String, each: ([UInt8]) -> Void,
                        literals: IMAPLiteralSink? = nil) throws(IMAPError) {
        tag += 1
        let label = "M\(tag)"
        try send(Array("\(label) \(text)\r\n".utf8))
        let tagged = Array("\(label) ".utf8)
        var answered = 0
        while true {
            let line = try readLine()
            if line.starts(with: tagged) {
                let status = line.dropFirst(tagged.count).prefix(2)
                if status.elementsEqual(Array("OK".utf8)) { return }
                let reply = String(decoding: line, as: UTF8.self).trimmingLineEnd()
                let verb = String(text.prefix { $0 != " " })
                throw .refused(command: verb == "UID" ? String(text.prefix(9)) : verb, reply: reply)
            }
            each(line)
            // A line that ends in {N}: N octets follow, then the rest of the line.
            answered += line.count
            if let count = Self.literalLength(line) {
                if let literals {
                    literals.begin(after: line)
                    try readExactly(count, into: literals.write)
                    literals.end()
                } else {
                    // Held in memory: a FETCH of sizes and structures, not a message (those go to `literal`).
                    guard count <= Self.maximumLiteral, answered + count <= Self.maximumAnswer else {
                        throw .tooLarge(detail: "a literal of \(count) octets")
                    }
                    var body: [UInt8] = []
                    body.reserveCapacity(min(count, 1 << 20))
                    try readExactly(count) { body += $0 }
                    answered += count
                    each(body)
                }
            }
            guard answered <= Self.maximumAnswer else { throw .tooLarge(detail: "an answer of more than \(Self.maximumAnswer >> 20) MiB") }
        }
    }

    /// The most a literal held in memory may be, in octets (a subject or file name is far smaller).
    static let maximumLiteral = 16 << 20
    /// The most an answer held in memory may be, in octets: a folder of 100,000 drafts' sizes and structures is
    /// about 60 MB.
    static let maximumAnswer = 1 << 30

    /// The N of a line ending in `{N}` (or `{N+}`), CRLF or LF.
    static func literalLength(_ line: [UInt8]) -> Int? {
        var end = line.count
        while end > 0 && (line[end - 1] == 0x0A || line[end - 1] == 0x0D) { end -= 1 }
        guard end > 2, line[end - 1] == 0x7D else { return nil }   // }
        var index = end - 2
        if line[index] == 0x2B { index -= 1 }   // +
        var value = 0
        var scale = 1
        var digits = 0
        while index >= 0 && line[index] >= 0x30 && line[index] <= 0x39 {
            value += Int(line[index] - 0x30) * scale
            scale *= 10
            digits += 1
            guard digits < 16 else { return nil }
            index -= 1
        }
        guard digits > 0, index >= 0, line[index] == 0x7B else { return nil }   // {
        return value
    }

    private func send(_ bytes: [UInt8]) throws(IMAPError) {
        var offset = 0
        while offset < bytes.count {
            var sent = 0
            let code = bytes.withUnsafeBytes { curl_easy_send(handle, $0.baseAddress! + offset, bytes.count - offset, &sent) }
            if code == CURLE_AGAIN {
                try wait(forWriting: true)
                continue
            }
            guard code == CURLE_OK else { throw .unreachable(detail: String(cString: curl_easy_strerror(code))) }
            offset += sent
        }
    }

    /// Reads more octets into `pending`.
    private func fill() throws(IMAPError) {
        if pendingStart > 0 && pendingStart == pending.count {
            pending.removeAll(keepingCapacity: true)
            pendingStart = 0
        } else if pendingStart > 1 << 20 {
            pending.removeSubrange(0..<pendingStart)
            pendingStart = 0
        }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            var received = 0
            let code = buffer.withUnsafeMutableBytes { curl_easy_recv(handle, $0.baseAddress, $0.count, &received) }
            if code == CURLE_AGAIN {
                try wait(forWriting: false)
                continue
            }
            guard code == CURLE_OK else { throw .unreachable(detail: String(cString: curl_easy_strerror(code))) }
            guard received > 0 else { throw .protocolError(detail: "the server closed the connection") }
            pending += buffer[0..<received]
            return
        }
    }

    /// The next line, with its line end.
    private func readLine() throws(IMAPError) -> [UInt8] {
        var searchFrom = pendingStart
        while true {
            if let newline = pending[searchFrom...].firstIndex(of: 0x0A) {
                let line = Array(pending[pendingStart...newline])
                pendingStart = newline + 1
                return line
            }
            // What was searched stays searched when fill moves the unread octets to the front.
            let scanned = pending.count - pendingStart
            guard scanned < 64 << 20 else { throw .protocolError(detail: "a line longer than 64 MiB") }
            try fill()
            searchFrom = pendingStart + scanned
        }
    }

    /// Hands exactly `count` octets to `each`.
    private func readExactly(_ count: Int, into each: (UnsafeRawBufferPointer) -> Void) throws(IMAPError) {
        var left = count
        while left > 0 {
            if pendingStart == pending.count { try fill() }
            let take = min(left, pending.count - pendingStart)
            pending.withUnsafeBytes { each(UnsafeRawBufferPointer(rebasing: $0[pendingStart..<(pendingStart + take)])) }
            pendingStart += take
            left -= take
        }
    }

    private func wait(forWriting: Bool) throws(IMAPError) {
        var socket: curl_socket_t = -1
        guard mailprep_curl_active_socket(handle, &socket) == CURLE_OK, socket >= 0 else {
            throw .protocolError(detail: "no connection")
        }
        var descriptor = pollfd(fd: socket, events: Int16(forWriting ? POLLOUT : POLLIN), revents: 0)
        while true {
            let ready = poll(&descriptor, 1, timeout * 1000)
            if ready > 0 { return }
            if ready == 0 { throw .unreachable(detail: "no answer for \(timeout) s") }
            if errno != EINTR { throw .unreachable(detail: "poll failed (errno \(errno))") }
        }
    }
}

extension String {
    func trimmingLineEnd() -> String {
        var text = Substring(self)
        while let last = text.last, last == "\r" || last == "\n" || last == "\r\n" { text = text.dropLast() }
        return String(text)
    }
}
