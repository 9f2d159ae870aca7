import Foundation
import Testing
import MailPrepCore
@testable import MailPrepServer

/// The share's HTTP answers, asked directly: no server, no sockets.
@Suite("Share responder")
struct ShareResponderTests {
    /// A share in a temporary folder with one file of `bytes` named `name`.
    struct Fixture {
        let root: String
        let store: ShareStore
        let entry: ShareEntry
        var responder: ShareResponder { ShareResponder(store: store) }
        var pagePath: String { "/\(entry.token)/" }
        var filePath: String { "/\(entry.token)/" + MailPrepCore.ShareOptions.percentEncoded(entry.fileName) }

        init(name: String = "報告 final.pdf", bytes: [UInt8] = Array(0..<200).map { UInt8($0) }, type: String = "application/pdf",
             expires: Date = Date().addingTimeInterval(86_400), password: String? = nil) throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("responder-\(UUID().uuidString)").path
            store = ShareStore(root: root)
            entry = try store.put(name: name, contentType: type, expires: expires, messageID: "<m@example.org>", password: password) { sink in
                try sink.write(bytes)
            }
        }

        func remove() { try? FileManager.default.removeItem(atPath: root) }

        func get(_ path: String, _ headers: [String: String] = [:], method: String = "GET", body: [UInt8] = [], now: Date = Date()) -> ShareResponse {
            responder.respond(to: ShareRequest(method: method, path: path, headers: headers, body: body), now: now)
        }
    }

    @Test("the file: type, RFC 6266 name for non-ASCII, length, ETag, and the bytes of the share")
    func wholeFile() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let response = fixture.get(fixture.filePath)
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/pdf")
        #expect(response.header("Content-Disposition") == "attachment; filename=\"__ final.pdf\"; filename*=UTF-8''%E5%A0%B1%E5%91%8A%20final.pdf")
        #expect(response.header("Content-Length") == "200")
        #expect(response.header("ETag") == "\"\(fixture.entry.sha256.prefix(32))\"")
        #expect(response.body == .file(path: fixture.store.filePath(of: fixture.entry), range: 0...199))
        #expect(response.countsDownloadOf == fixture.entry.token)
    }

    @Test("ranges: one range is 206 with Content-Range; open-ended and suffix ranges; past the end is 416", arguments: [
        ("bytes=10-19", 206, "bytes 10-19/200", 10),
        ("bytes=190-", 206, "bytes 190-199/200", 10),
        ("bytes=-5", 206, "bytes 195-199/200", 5),
        ("bytes=150-999", 206, "bytes 150-199/200", 50),
        ("bytes=200-", 416, "bytes */200", 0),
        ("bytes=0-1,5-6", 200, nil, 200),
        ("items=0-1", 200, nil, 200),
        ("bytes=9-3", 200, nil, 200),
    ] as [(String, Int, String?, Int64)])
    func ranges(range: String, status: Int, contentRange: String?, length: Int64) throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let response = fixture.get(fixture.filePath, ["Range": range])
        #expect(response.status == status)
        #expect(response.header("Content-Range") == contentRange)
        #expect(response.bodyLength == length)
        #expect(response.header("Content-Length") == String(length))
    }

    @Test("what counts as a download: a response that ends at the file's last byte (whole, or the rest of a resumed one)", arguments: [
        (nil, true), ("bytes=0-", true), ("bytes=120-", true), ("bytes=-10", true), ("bytes=0-99", false), ("bytes=100-198", false),
    ] as [(String?, Bool)])
    func countedDownloads(range: String?, counts: Bool) throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let response = fixture.get(fixture.filePath, range.map { ["Range": $0] } ?? [:])
        #expect((response.countsDownloadOf == fixture.entry.token) == counts)
    }

    @Test("If-Range with the current ETag keeps the range; with an old one the whole file comes")
    func ifRange() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let etag = try #require(fixture.get(fixture.filePath).header("ETag"))
        #expect(fixture.get(fixture.filePath, ["Range": "bytes=100-", "If-Range": etag]).status == 206)
        #expect(fixture.get(fixture.filePath, ["Range": "bytes=100-", "If-Range": "\"0000\""]).status == 200)
        let lastModified = try #require(fixture.get(fixture.filePath).header("Last-Modified"))
        #expect(fixture.get(fixture.filePath, ["Range": "bytes=100-", "If-Range": lastModified]).status == 206)
        #expect(fixture.get(fixture.filePath, ["If-None-Match": etag]).status == 304)
    }

    @Test("HEAD: the same fields, no body, no download counted")
    func head() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let response = fixture.get(fixture.filePath, method: "HEAD")
        #expect(response.status == 200 && response.header("Content-Length") == "200" && response.body == .none)
        #expect(response.countsDownloadOf == nil)
    }

    @Test("nothing outside a token's own file can be reached", arguments: [
        "/", "/.incoming/", "/../", "/%2e%2e/", "/TOKEN/.mailprep-share.json", "/TOKEN/..%2F..%2Fetc%2Fpasswd", "/TOKEN/../TOKEN/x",
        "/TOKEN/%2e%2e%2f.mailprep-share.json", "/AAAAAAAAAAAAAAAAAAAAAA/", "/TOKEN/other.pdf", "/TOKEN/x/y", "/etc/passwd",
    ])
    func traversal(path: String) throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let response = fixture.get(path.replacingOccurrences(of: "TOKEN", with: fixture.entry.token))
        #expect(response.status == 404)
        if case .file = response.body { Issue.record("a file was served for \(path)") }
    }

    @Test("after expiry: 410 for the page and the file; the token without a slash redirects")
    func expired() throws {
        let fixture = try Fixture(expires: Date().addingTimeInterval(60))
        defer { fixture.remove() }
        let later = Date().addingTimeInterval(120)
        #expect(fixture.get(fixture.filePath, now: later).status == 410)
        #expect(fixture.get(fixture.pagePath, now: later).status == 410)
        #expect(fixture.get(fixture.pagePath).status == 200)
        let redirect = fixture.get("/\(fixture.entry.token)")
        #expect(redirect.status == 301 && redirect.header("Location") == "\(fixture.entry.token)/", "relative, so a proxy's prefix stays")
    }

    @Test("the page: name, size, expiry and SHA-256, escaped for HTML, in the language the browser asks for")
    func page() throws {
        let fixture = try Fixture(name: "<i>財務&報表.xls")
        defer { fixture.remove() }
        guard case .bytes(let english) = fixture.get(fixture.pagePath, ["Accept-Language": "en-GB,en;q=0.9"]).body,
              case .bytes(let chinese) = fixture.get(fixture.pagePath, ["Accept-Language": "fr;q=1, zh-HK;q=0.8, en;q=0.5"]).body else {
            Issue.record("no page")
            return
        }
        let en = String(decoding: english, as: UTF8.self), zh = String(decoding: chinese, as: UTF8.self)
        // The stored name is safe (Windows' reserved "<" and ">" became "_"); what is left is escaped for HTML.
        #expect(en.contains("<h1 id=\"name\">_i_財務&amp;報表.xls</h1>"))
        #expect(!en.contains("<i>財務"))
        #expect(en.contains("200 B (200 bytes)") && en.contains(fixture.entry.sha256) && en.contains(">Download</a>"))
        #expect(en.contains(LinkBlock.date(fixture.entry.expires, language: .english)))
        #expect(zh.contains("<html lang=\"zh-Hant\">") && zh.contains(">下載</a>") && zh.contains("200 位元組"))
    }

    @Test("a protected link as the message has it: to the form, and after the right password on to the file, by relative redirects and a cookie without Path")
    func password() throws {
        let fixture = try Fixture(password: "abcd-efgh-jkmn-pqrs")
        defer { fixture.remove() }
        let refused = fixture.get(fixture.filePath)
        let form = "../\(fixture.entry.token)/?file"
        #expect(refused.status == 303 && refused.header("Location") == form)
        #expect(fixture.get(fixture.filePath, method: "HEAD").header("Location") == form)
        guard case .bytes(let formBytes) = fixture.responder.respond(to: ShareRequest(method: "GET", path: fixture.pagePath, query: "file")).body else {
            Issue.record("no form")
            return
        }
        let page = String(decoding: formBytes, as: UTF8.self)
        #expect(page.contains("type=\"password\"") && page.contains("name=\"next\" value=\"file\""))
        #expect(page.contains(fixture.entry.sha256), "the form page still says what the file is")
        guard case .bytes(let plainForm) = fixture.get(fixture.pagePath).body else { Issue.record("no form"); return }
        #expect(!String(decoding: plainForm, as: UTF8.self).contains("name=\"next\""), "opened from the page's own address, it stays on the page")

        let wrong = fixture.get(fixture.pagePath, method: "POST", body: Array("password=wrong&next=file".utf8))
        #expect(wrong.status == 403)
        if case .bytes(let again) = wrong.body { #expect(String(decoding: again, as: UTF8.self).contains("name=\"next\" value=\"file\"")) }
        let toFile = fixture.get(fixture.pagePath, method: "POST", body: Array("password=abcd-efgh-jkmn-pqrs&next=file".utf8))
        #expect(toFile.status == 303 && toFile.header("Location") == "../\(fixture.entry.token)/%E5%A0%B1%E5%91%8A%20final.pdf")
        let toPage = fixture.get(fixture.pagePath, method: "POST", body: Array("password=abcd-efgh-jkmn-pqrs".utf8))
        #expect(toPage.status == 303 && toPage.header("Location") == "../\(fixture.entry.token)/")
        let setCookie = try #require(toFile.header("Set-Cookie"))
        #expect(!setCookie.contains("Path="), "the default path is the page's folder, under any proxy prefix")
        let cookie = try #require(setCookie.split(separator: ";").first.map(String.init))
        #expect(fixture.get(fixture.filePath, ["Cookie": "other=1; " + cookie]).status == 200)
        #expect(fixture.get(fixture.filePath, ["Cookie": cookie + "x"]).status == 303)
    }

    @Test("a password typed as people type it: capitals, spaces, no dashes, full-width letters from a Chinese input method", arguments: [
        ("abcd-efgh-jkmn-pqrs", true), ("ABCD-EFGH-JKMN-PQRS", true), ("abcd efgh jkmn pqrs", true), ("abcdefghjkmnpqrs", true),
        (" abcd - efgh-jkmn-pqrs\n", true), ("ａｂｃｄ－ｅｆｇｈ－ｊｋｍｎ－ｐｑｒｓ", true),
        ("abcd-efgh-jkmn-pqr", false), ("abcd-efgh-jkmn-pqrt", false), ("", false),
    ])
    func passwordAsTyped(typed: String, opens: Bool) throws {
        let fixture = try Fixture(password: "abcd-efgh-jkmn-pqrs")
        defer { fixture.remove() }
        #expect(fixture.entry.accepts(password: typed) == opens)
    }

    @Test("methods other than GET, HEAD and POST: 405 with Allow")
    func methods() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let response = fixture.get(fixture.filePath, method: "DELETE")
        #expect(response.status == 405 && response.header("Allow") == "GET, HEAD, POST")
        #expect(FileManager.default.fileExists(atPath: fixture.store.filePath(of: fixture.entry)))
    }

    @Test("a type that is not a plain type/subtype is served as application/octet-stream")
    func servedType() {
        #expect(ShareResponder.servedType("text/csv") == "text/csv")
        #expect(ShareResponder.servedType("text/html\r\nSet-Cookie: x") == "application/octet-stream")
        #expect(ShareResponder.servedType("nonsense") == "application/octet-stream")
    }
}

extension ShareResponderTests {
    @Test("no Host field, or two: 400; a form body over what the server reads: 413")
    func badRequests() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        for hosts in [0, 2] {
            let response = fixture.responder.respond(to: ShareRequest(method: "GET", path: fixture.pagePath, hostFields: hosts))
            #expect(response.status == 400, "\(hosts) Host fields")
        }
        #expect(fixture.responder.respond(to: ShareRequest(method: "GET", path: fixture.pagePath)).status == 200)
        let large = fixture.responder.respond(to: ShareRequest(method: "POST", path: fixture.pagePath, bodyTooLarge: true))
        #expect(large.status == 413)
    }

    @Test("wrong passwords: five a minute, then 429 with Retry-After, even for the right one; a minute later it opens")
    func passwordTries() throws {
        let fixture = try Fixture(password: "abcd-efgh-jkmn-pqrs")
        defer { fixture.remove() }
        let responder = ShareResponder(store: fixture.store)
        let start = Date()
        func post(_ password: String, at seconds: Double) -> ShareResponse {
            responder.respond(to: ShareRequest(method: "POST", path: fixture.pagePath, body: Array("password=\(password)".utf8)),
                              now: start.addingTimeInterval(seconds))
        }
        for attempt in 0..<PasswordTries.allowed { #expect(post("wrong-\(attempt)", at: Double(attempt)).status == 403) }
        let refused = post("abcd-efgh-jkmn-pqrs", at: 10)
        #expect(refused.status == 429 && refused.header("Retry-After") == "50")
        let later = post("abcd-efgh-jkmn-pqrs", at: 61)
        #expect(later.status == 303)
        // Without a TLS proxy's word the cookie is not Secure; with it (or an https share address) it is.
        #expect(later.header("Set-Cookie")?.hasSuffix("SameSite=Lax") == true)
        let proxied = responder.respond(to: ShareRequest(method: "POST", path: fixture.pagePath, headers: ["X-Forwarded-Proto": "https"],
                                                         body: Array("password=abcd-efgh-jkmn-pqrs".utf8)), now: start.addingTimeInterval(62))
        #expect(proxied.header("Set-Cookie")?.hasSuffix("; Secure") == true)
        let secure = ShareResponder(store: fixture.store, secureCookies: true)
            .respond(to: ShareRequest(method: "POST", path: fixture.pagePath, body: Array("password=abcd-efgh-jkmn-pqrs".utf8)))
        #expect(secure.header("Set-Cookie")?.hasSuffix("; Secure") == true)
    }
}

extension ShareResponderTests {
    @Test("log fields are one line a terminal shows as it is: control characters and non-ASCII bytes escaped as nginx does")
    func logEscaping() {
        #expect(ShareServer.escaped("curl/8 \u{1B}[2J\r\nfake 200") == "curl/8 \\x1B[2J\\x0D\\x0Afake 200")
        #expect(ShareServer.escaped("a\"b\\c") == "a\\\"b\\\\c")
        #expect(ShareServer.escaped("x\u{202E}y") == "x\\xE2\\x80\\xAEy")
    }
}
