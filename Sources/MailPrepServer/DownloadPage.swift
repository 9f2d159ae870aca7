import Foundation
import MailPrepCore
import Mustache

/// The page at `/<token>/`: the file's name, size, expiry and SHA-256 and a download button, readable on a
/// phone, in English or Traditional Chinese. Rendered with Mustache, which escapes every value for HTML.
struct DownloadPage {
    var language: Language

    enum Message {
        case notFound, expired, methodNotAllowed, passwordNeeded, pageUnavailable, badRequest, bodyTooLarge, tooManyTries
    }

    func message(_ message: Message) -> String {
        switch (message, language) {
        case (.pageUnavailable, .english): "The download page cannot be shown (a fault in mailprep serve); the file's own address still works."
        case (.pageUnavailable, .traditionalChinese): "無法顯示下載頁面（mailprep serve 出錯）；檔案本身的網址仍然可用。"
        case (.notFound, .english): "Nothing is shared at this address."
        case (.notFound, .traditionalChinese): "此網址沒有分享任何檔案。"
        case (.expired, .english): "This download has expired; ask the sender to share the file again."
        case (.expired, .traditionalChinese): "此下載已過期，請向寄件人索取新的連結。"
        case (.methodNotAllowed, .english): "This address only serves downloads."
        case (.methodNotAllowed, .traditionalChinese): "此網址只供下載。"
        case (.passwordNeeded, .english): "This download needs a password: the download page asks for it, then the file follows."
        case (.passwordNeeded, .traditionalChinese): "此下載需要密碼：下載頁會要求輸入，之後即開始下載檔案。"
        case (.badRequest, .english): "The request is not valid HTTP (it needs one Host field)."
        case (.badRequest, .traditionalChinese): "請求不是有效的 HTTP（須有一個 Host 欄位）。"
        case (.bodyTooLarge, .english): "The request is too large: a password form is a few bytes."
        case (.bodyTooLarge, .traditionalChinese): "請求過大：密碼表格只有數個位元組。"
        case (.tooManyTries, .english): "Too many wrong passwords: wait a minute, then try again."
        case (.tooManyTries, .traditionalChinese): "密碼錯誤次數過多：請等候一分鐘再試。"
        }
    }

    private var texts: [String: String] {
        switch language {
        case .english:
            ["lang": "en", "sizeLabel": "Size", "untilLabel": "Available until", "download": "Download",
             "passwordLabel": "Password", "open": "Open", "wrong": "That password is not right.",
             "passwordNote": "The sender gives you the password separately.",
             "note": "Check the SHA-256 after downloading to be sure the file arrived whole."]
        case .traditionalChinese:
            ["lang": "zh-Hant", "sizeLabel": "大小", "untilLabel": "下載期限", "download": "下載",
             "passwordLabel": "密碼", "open": "開啟", "wrong": "密碼不正確。",
             "passwordNote": "密碼由寄件人另行告知。",
             "note": "下載後可核對 SHA-256，確認檔案完整無缺。"]
        }
    }

    private func context(_ entry: ShareEntry) -> [String: Any] {
        var context: [String: Any] = texts
        context["name"] = entry.fileName
        context["href"] = MailPrepCore.ShareOptions.percentEncoded(entry.fileName)
        context["bytes"] = String(entry.size)
        context["sizeLine"] = language == .english
            ? "\(ByteCount.human(entry.size)) (\(ByteCount.grouped(entry.size)) bytes)"
            : "\(ByteCount.human(entry.size))（\(ByteCount.grouped(entry.size)) 位元組）"
        context["expires"] = LinkBlock.date(entry.expires, language: language)
        context["expiresISO"] = LinkBlock.isoDate(entry.expires)
        context["sha256"] = entry.sha256
        return context
    }

    /// The download page; nil only if the built-in template does not parse (a bug the tests show).
    func render(_ entry: ShareEntry) -> String? {
        (try? Self.pageTemplate.get())?.render(context(entry))
    }

    /// The password form; nil only if the built-in template does not parse.
    /// `toFile`: the form was reached from the file's own link, and the right password goes on to the file.
    func passwordForm(_ entry: ShareEntry, wrong: Bool, toFile: Bool = false) -> String? {
        var context = context(entry)
        context["wrongPassword"] = wrong
        context["toFile"] = toFile
        return (try? Self.formTemplate.get())?.render(context)
    }

    // Parsed once. The templates are part of the program; a parse error is a bug that the tests would show, and the
    // server answers 500 rather than stopping.
    private static let pageTemplate = Result { try MustacheTemplate(string: head + page + tail) }
    private static let formTemplate = Result { try MustacheTemplate(string: head + form + tail) }
    private static let tail = "</main>\n</body>\n</html>\n"

    private static let head = """
        <!doctype html>
        <html lang="{{lang}}">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="robots" content="noindex, nofollow">
        <title>{{name}}</title>
        <style>
        body { margin: 0; font: 16px/1.5 -apple-system, "Segoe UI", Roboto, "PingFang HK", "Noto Sans CJK TC", "Microsoft JhengHei", sans-serif; color: #1f2328; background: #f6f8fa; }
        main { max-width: 34rem; margin: 2rem auto; padding: 1.5rem; background: #fff; border: 1px solid #d0d7de; border-radius: 12px; }
        h1 { font-size: 1.35rem; margin: 0 0 1rem; overflow-wrap: anywhere; }
        dl { display: grid; grid-template-columns: max-content 1fr; gap: .35rem 1rem; margin: 0 0 1.5rem; }
        dt { color: #57606a; } dd { margin: 0; overflow-wrap: anywhere; }
        code { font-size: .8rem; word-break: break-all; }
        .button, button { display: block; width: 100%; box-sizing: border-box; padding: .85rem; border: 0; border-radius: 8px; background: #1f6feb; color: #fff; font: inherit; font-weight: 600; text-align: center; text-decoration: none; cursor: pointer; }
        input { width: 100%; box-sizing: border-box; padding: .7rem; margin: .3rem 0 1rem; font: inherit; border: 1px solid #d0d7de; border-radius: 8px; }
        .note { color: #57606a; font-size: .85rem; margin: 1rem 0 0; } .wrong { color: #cf222e; }
        @media (max-width: 36rem) { main { margin: 0; border: 0; border-radius: 0; min-height: 100vh; } }
        </style>
        </head>
        <body>
        <main>
        <h1 id="name">{{name}}</h1>
        <dl>
        <dt>{{sizeLabel}}</dt><dd id="size" data-bytes="{{bytes}}">{{sizeLine}}</dd>
        <dt>{{untilLabel}}</dt><dd id="expires" data-expires="{{expiresISO}}">{{expires}}</dd>
        <dt>SHA-256</dt><dd><code id="sha256">{{sha256}}</code></dd>
        </dl>

        """

    private static let page = """
        <a id="download" class="button" href="{{href}}" download>{{download}}</a>
        <p class="note">{{note}}</p>

        """

    private static let form = """
        <form method="post" action="">
        <label for="password">{{passwordLabel}}</label>
        <input id="password" name="password" type="password" autocomplete="off" autocapitalize="none" spellcheck="false" required autofocus>
        {{#toFile}}<input type="hidden" name="next" value="file">{{/toFile}}
        {{#wrongPassword}}<p class="wrong" id="wrong">{{wrong}}</p>{{/wrongPassword}}
        <button type="submit">{{open}}</button>
        </form>
        <p class="note">{{passwordNote}}</p>

        """
}
