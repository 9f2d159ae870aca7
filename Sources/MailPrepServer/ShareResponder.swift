import Foundation
import MailPrepCore

/// A request as the share's responder sees it: no server library in it, so it can be tested directly.
public struct ShareRequest: Sendable {
    public var method: String
    /// The request target's path, still percent-encoded, without the query.
    public var path: String
    /// The request target's query, without the "?" ("" when there is none).
    public var query: String
    /// Header fields by lowercased name (the last one wins; none the responder reads may repeat).
    public var headers: [String: String]
    /// A POST's form body (application/x-www-form-urlencoded), up to a few kilobytes.
    public var body: [UInt8]
    /// How many Host fields the request had: HTTP/1.1 needs exactly one (RFC 9112 section 3.2).
    public var hostFields: Int
    /// True when the body was longer than the server takes (`ShareServer.maximumBody`).
    public var bodyTooLarge: Bool

    public init(method: String, path: String, query: String = "", headers: [String: String] = [:], body: [UInt8] = [],
                hostFields: Int = 1, bodyTooLarge: Bool = false) {
        self.method = method.uppercased()
        self.path = path
        self.query = query
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { $1 })
        self.body = body
        self.hostFields = hostFields
        self.bodyTooLarge = bodyTooLarge
    }
}

/// What the responder answers: status, header fields, and a body of bytes or of a part of a shared file.
public struct ShareResponse: Sendable {
    public enum Body: Sendable, Equatable {
        case none
        case bytes([UInt8])
        /// Octets `range` of the file at `path`.
        case file(path: String, range: ClosedRange<Int64>)
    }

    public var status: Int
    public var headers: [(String, String)]
    public var body: Body
    /// The token whose download count goes up once this response has been sent whole: a GET whose body ends at
    /// the file's last byte (the whole file, or the rest of it for a resumed download). One cut short counts
    /// nothing, so neither does a resumed download twice.
    public var countsDownloadOf: String?

    public func header(_ name: String) -> String? {
        headers.last { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// Octets the body holds (what Content-Length says).
    public var bodyLength: Int64 {
        switch body {
        case .none: 0
        case .bytes(let bytes): Int64(bytes.count)
        case .file(_, let range): range.upperBound - range.lowerBound + 1
        }
    }
}

/// The share over HTTP: `GET /<token>/` a download page, `GET /<token>/<file name>` the file (ranges, ETag,
/// If-Range, HEAD), 404 for anything else, 410 after expiry. Nothing but the file of a known token is ever read:
/// a token is checked to be URL-safe base64 before it names a folder, and the file name must equal the one in
/// the token's metadata, which is never a dotfile.
///
/// A protected file asked for without the password's cookie sends the browser to the page's form (`../TOKEN/?file`),
/// and the right password then sends it on to the file, so the link in the message works as it is. Every
/// redirect is relative and the cookie has no Path (RFC 6265's default path is the page's folder), so the same
/// answers work behind a proxy that serves the share under a prefix (`https://host/m/` → `/`).
public struct ShareResponder: Sendable {
    public let store: ShareStore
    /// Cookies marked `Secure`: the share's public address is https (behind a TLS proxy).
    public let secureCookies: Bool
    /// Wrong passwords per token, so that guessing is slowed to `PasswordTries.allowed` a minute.
    let tries = PasswordTries()

    public init(store: ShareStore, secureCookies: Bool = false) {
        self.store = store
        self.secureCookies = secureCookies
    }

    public func respond(to request: ShareRequest, now: Date = Date()) -> ShareResponse {
        let language = Self.language(acceptLanguage: request.headers["accept-language"])
        let page = DownloadPage(language: language)
        guard request.hostFields == 1 else { return Self.text(400, page.message(.badRequest), head: false) }
        guard !request.bodyTooLarge else { return Self.text(413, page.message(.bodyTooLarge), head: false) }
        guard ["GET", "HEAD", "POST"].contains(request.method) else {
            return Self.text(405, page.message(.methodNotAllowed), extra: [("Allow", "GET, HEAD, POST")], head: false)
        }
        let head = request.method == "HEAD"
        let segments = request.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        guard let token = segments.first, ShareStore.isToken(token), segments.count <= 2 else {
            return Self.text(404, page.message(.notFound), head: head)
        }
        guard let entry = store.entry(token: token) else { return Self.text(404, page.message(.notFound), head: head) }
        if segments.count == 1 {
            let query = request.query.isEmpty ? "" : "?" + request.query
            return ShareResponse(status: 301, headers: [("Location", "\(token)/\(query)"), ("Content-Length", "0")], body: .none)
        }
        if entry.isExpired(at: now) { return Self.text(410, page.message(.expired), head: head) }
        let unlocked = !entry.isProtected || Self.cookie(named: Self.cookieName(token), in: request.headers["cookie"]).map(entry.acceptsProof) == true

        if segments[1].isEmpty {
            if request.method == "POST" {
                guard entry.isProtected else { return Self.text(405, page.message(.methodNotAllowed), extra: [("Allow", "GET, HEAD")], head: false) }
                if let wait = tries.wait(token: token, now: now) {
                    return Self.text(429, page.message(.tooManyTries), extra: [("Retry-After", String(wait))], head: false)
                }
                let password = Self.formValue("password", in: request.body) ?? ""
                let toFile = Self.formValue("next", in: request.body) == "file"
                guard entry.accepts(password: password), let proof = entry.downloadProof() else {
                    tries.failed(token: token, now: now)
                    guard let form = page.passwordForm(entry, wrong: true, toFile: toFile) else { return Self.text(500, page.message(.pageUnavailable), head: false) }
                    return Self.html(403, form, head: false)
                }
                let secure = secureCookies || request.headers["x-forwarded-proto"]?.lowercased() == "https" ? "; Secure" : ""
                let maxAge = max(0, Int(entry.expires.timeIntervalSince(now)))
                let next = toFile ? Self.inFolder(token, MailPrepCore.ShareOptions.percentEncoded(entry.fileName)) : Self.inFolder(token, "")
                return ShareResponse(status: 303, headers: [
                    ("Location", next), ("Content-Length", "0"),
                    ("Set-Cookie", "\(Self.cookieName(token))=\(proof); Max-Age=\(maxAge); HttpOnly; SameSite=Lax\(secure)"),
                ], body: .none)
            }
            let toFile = request.query.split(separator: "&").contains("file")
            guard let html = unlocked ? page.render(entry) : page.passwordForm(entry, wrong: false, toFile: toFile) else {
                return Self.text(500, page.message(.pageUnavailable), head: head)
            }
            return Self.html(200, html, head: head)
        }

        guard request.method != "POST" else { return Self.text(405, page.message(.methodNotAllowed), extra: [("Allow", "GET, HEAD")], head: false) }
        guard segments[1].removingPercentEncoding == entry.fileName else { return Self.text(404, page.message(.notFound), head: head) }
        guard unlocked else {
            // To the form, which comes back here once the password is right. Its page says why, for a client that
            // does not follow redirects.
            var answer = Self.text(303, page.message(.passwordNeeded), head: head)
            answer.headers.append(("Location", Self.inFolder(token, "?file")))
            return answer
        }
        return file(entry, request: request, head: head)
    }

    /// The file itself, whole or one range.
    private func file(_ entry: ShareEntry, request: ShareRequest, head: Bool) -> ShareResponse {
        let etag = "\"\(entry.sha256.prefix(32))\""
        let lastModified = HTTPDate.imf(entry.created)
        var headers: [(String, String)] = [
            ("Content-Type", Self.servedType(entry.contentType)),
            ("Content-Disposition", Self.contentDisposition(entry.fileName)),
            ("ETag", etag), ("Last-Modified", lastModified), ("Accept-Ranges", "bytes"),
            ("Cache-Control", "private, max-age=0, must-revalidate"),
            ("X-Content-Type-Options", "nosniff"), ("Content-Security-Policy", "sandbox"),
        ]
        if let match = request.headers["if-none-match"], Self.etagMatches(match, etag) {
            return ShareResponse(status: 304, headers: headers.filter { $0.0 != "Content-Type" && $0.0 != "Content-Disposition" }, body: .none)
        }
        var range = HTTPRange(header: request.headers["range"], size: entry.size)
        if range != .whole, let condition = request.headers["if-range"] {
            // A stale validator means the client's part is of another file: send the whole current one.
            let current = condition.hasPrefix("\"") ? condition == etag : condition.trimmingCharacters(in: .whitespaces) == lastModified
            if !current { range = .whole }
        }
        let path = store.filePath(of: entry)
        switch range {
        case .unsatisfiable:
            headers.append(("Content-Range", "bytes */\(entry.size)"))
            headers.append(("Content-Length", "0"))
            return ShareResponse(status: 416, headers: headers, body: .none)
        case .bytes(let bytes):
            headers.append(("Content-Range", "bytes \(bytes.lowerBound)-\(bytes.upperBound)/\(entry.size)"))
            headers.append(("Content-Length", String(bytes.upperBound - bytes.lowerBound + 1)))
            return ShareResponse(status: 206, headers: headers, body: head ? .none : .file(path: path, range: bytes),
                                 countsDownloadOf: head || bytes.upperBound != entry.size - 1 ? nil : entry.token)
        case .whole:
            headers.append(("Content-Length", String(entry.size)))
            let body: ShareResponse.Body = head || entry.size == 0 ? .none : .file(path: path, range: 0...(entry.size - 1))
            return ShareResponse(status: 200, headers: headers, body: body, countsDownloadOf: head ? nil : entry.token)
        }
    }

    // MARK: Pieces of HTTP

    /// A relative reference to `rest` in the token's folder, from the page or a file in it: `../TOKEN/rest`. Never
    /// `rest` alone (a first segment with a colon would read as a scheme) and never `./?query`, which curl 7.88
    /// resolves to the folder's parent.
    static func inFolder(_ token: String, _ rest: String) -> String { "../\(token)/" + rest }

    static func text(_ status: Int, _ text: String, extra: [(String, String)] = [], head: Bool) -> ShareResponse {
        let bytes = Array((text + "\n").utf8)
        return ShareResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", String(bytes.count)),
                                                       ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff")] + extra,
                             body: head ? .none : .bytes(bytes))
    }

    static func html(_ status: Int, _ html: String, head: Bool) -> ShareResponse {
        let bytes = Array(html.utf8)
        return ShareResponse(status: status, headers: [
            ("Content-Type", "text/html; charset=utf-8"), ("Content-Length", String(bytes.count)), ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer"), ("X-Frame-Options", "DENY"),
            ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"),
        ], body: head ? .none : .bytes(bytes))
    }

    /// RFC 6266: an ASCII `filename` for old clients, `filename*` in UTF-8 for the real name.
    static func contentDisposition(_ name: String) -> String {
        let fallback = String(name.unicodeScalars.map { scalar -> Character in
            scalar.value >= 0x20 && scalar.value < 0x7F && scalar != "\"" && scalar != "\\" && scalar != "%" ? Character(scalar) : "_"
        })
        return "attachment; filename=\"\(fallback)\"; filename*=UTF-8''\(MailPrepCore.ShareOptions.percentEncoded(name))"
    }

    /// The type recorded for the file when it is a plain `type/subtype`, else application/octet-stream.
    static func servedType(_ type: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$&^_.+-/")
        let parts = type.split(separator: "/")
        return parts.count == 2 && type.allSatisfy(allowed.contains) ? type : "application/octet-stream"
    }

    static func etagMatches(_ header: String, _ etag: String) -> Bool {
        header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.contains { $0 == "*" || $0 == etag || $0 == "W/" + etag }
    }


    static func cookieName(_ token: String) -> String { "mailprep_" + token }

    static func cookie(named name: String, in header: String?) -> String? {
        header?.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.first { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1)) }
    }

    /// A field of an application/x-www-form-urlencoded body.
    static func formValue(_ name: String, in body: [UInt8]) -> String? {
        let text = String(decoding: body, as: UTF8.self)
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 2 && parts[0] == name {
                return parts[1].replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            }
        }
        return nil
    }

    /// English or Traditional Chinese, whichever the Accept-Language header prefers (English when neither).
    static func language(acceptLanguage: String?) -> Language {
        guard let acceptLanguage else { return .english }
        var best: (Language, Double)?
        for item in acceptLanguage.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = parts.first, let language = Language(code: tag) else { continue }
            let quality = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            if quality > 0 && quality > (best?.1 ?? 0) { best = (language, quality) }
        }
        return best?.0 ?? .english
    }
}

/// Wrong passwords per token in the last minute: after `allowed` of them, tries wait (429 with Retry-After) until
/// the oldest is a minute old. A password has about 79 random bits; this keeps a guesser from even trying.
final class PasswordTries: @unchecked Sendable {
    static let allowed = 5
    static let window: TimeInterval = 60
    private let lock = NSLock()
    private var failures: [String: [Date]] = [:]

    /// Seconds to wait before the next try, or nil when one may be made now.
    func wait(token: String, now: Date) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        let recent = (failures[token] ?? []).filter { now.timeIntervalSince($0) < Self.window }
        failures[token] = recent.isEmpty ? nil : recent
        guard recent.count >= Self.allowed, let oldest = recent.first else { return nil }
        return max(1, Int((Self.window - now.timeIntervalSince(oldest)).rounded(.up)))
    }

    func failed(token: String, now: Date) {
        lock.lock()
        defer { lock.unlock() }
        failures[token, default: []].append(now)
        // Bounded memory: a flood of tokens keeps only the most recent few thousand.
        if failures.count > 10_000, let stale = failures.min(by: { ($0.value.last ?? now) < ($1.value.last ?? now) })?.key {
            failures[stale] = nil
        }
    }
}
