import Foundation
import Mustache

/// One file as a link block shows it.
public struct SharedLink: Sendable, Equatable {
    public var name: String
    public var url: String
    public var size: Int64
    public var sha256: String
    public var expires: Date
    /// For an archive of several attachments (`--bundle` with links): the names of the files in it, in order.
    public var contents: [String]

    public init(name: String, url: String, size: Int64, sha256: String, expires: Date, contents: [String] = []) {
        self.name = name
        self.url = url
        self.size = size
        self.sha256 = sha256
        self.expires = expires
        self.contents = contents
    }
}

/// The text added to a message for its shared files: one block for text/plain bodies, one for HTML, rendered
/// from Mustache templates. Built-in templates exist in every `Language`; a user's own replace them when found
/// in the templates folder as `link.txt.mustache` and `link.html.mustache` (or `link.<lang>.txt.mustache`,
/// which wins for that language).
public struct LinkBlock: Sendable {
    public var textTemplate: String
    public var htmlTemplate: String
    public var language: Language
    /// The files the templates came from; nil for the built-in ones.
    public var textTemplateFile: String?
    public var htmlTemplateFile: String?

    public init(language: Language, templatesFolder: String? = nil) {
        self.language = language
        textTemplate = LinkBlock.builtInText(language)
        htmlTemplate = LinkBlock.builtInHTML(language)
        if let templatesFolder {
            for suffix in ["txt", "html"] {
                let candidates = ["link.\(language.rawValue).\(suffix).mustache", "link.\(suffix).mustache"]
                for name in candidates {
                    let path = templatesFolder + "/" + name
                    if let text = try? String(contentsOfFile: path, encoding: .utf8) {
                        if suffix == "txt" {
                            textTemplate = text
                            textTemplateFile = path
                        } else {
                            htmlTemplate = text
                            htmlTemplateFile = path
                        }
                        break
                    }
                }
            }
        }
    }

    public enum TemplateError: Error, Sendable, CustomStringConvertible {
        /// `file` is nil for a built-in template; `line` and `column` count from 1.
        case invalid(which: String, file: String?, line: Int, column: Int, problem: String)
        public var description: String {
            switch self {
            case .invalid(let which, let file, let line, let column, let problem):
                "\(file ?? "the built-in \(which) link template"):\(line):\(column): \(problem)"
            }
        }
    }

    /// What is wrong with a template, in words.
    static func problem(_ error: any Error) -> String {
        switch error {
        case MustacheTemplate.Error.sectionCloseNameIncorrect: "this {{/name}} closes a section that was not the last one opened"
        case MustacheTemplate.Error.unfinishedName: "a tag is not closed with }}"
        case MustacheTemplate.Error.expectedSectionEnd: "a section opened with {{#name}} or {{^name}} is never closed with {{/name}}"
        case MustacheTemplate.Error.invalidSetDelimiter: "the delimiter change {{=...=}} is badly formed"
        case MustacheTemplate.Error.invalidConfigVariableSyntax, MustacheTemplate.Error.unrecognisedConfigVariable:
            "a {{% ... }} setting is not one Mustache knows"
        default: "not valid Mustache"
        }
    }

    /// The note for a text/plain body of parts left out (`--strategy remove`).
    public func removedText(_ parts: [SharedLink]) throws(TemplateError) -> String {
        try render("{{% CONTENT_TYPE: TEXT}}" + Self.builtInRemovedText(language), which: "text", file: nil, prefixLength: 0,
                   links: parts, protected: false)
    }

    /// The note for an HTML body of parts left out, inside a `div` whose `data-mailprep-removed` attribute counts them.
    public func removedHTML(_ parts: [SharedLink]) throws(TemplateError) -> String {
        "<div data-mailprep-removed=\"\(parts.count)\">"
            + (try render(Self.builtInRemovedHTML(language), which: "HTML", file: nil, prefixLength: 0, links: parts, protected: false))
            + "</div>\n"
    }

    static func builtInRemovedText(_ language: Language) -> String {
        switch language {
        case .english:
            """

            --
            {{#multiple}}These attachments were left out to make the message small enough to send; the sender can send them another way:{{/multiple}}{{^multiple}}This attachment was left out to make the message small enough to send; the sender can send it another way:{{/multiple}}
            {{#files}}

              {{name}} ({{size}})
              SHA-256: {{sha256}}
            {{/files}}

            """
        case .traditionalChinese:
            """

            --
            {{#multiple}}為令郵件能夠寄出，以下附件已移除，寄件人可另行傳送：{{/multiple}}{{^multiple}}為令郵件能夠寄出，這個附件已移除，寄件人可另行傳送：{{/multiple}}
            {{#files}}

              {{name}}（{{size}}）
              SHA-256：{{sha256}}
            {{/files}}

            """
        }
    }

    static func builtInRemovedHTML(_ language: Language) -> String {
        let (intro, introMany, open, close) = switch language {
        case .english: ("This attachment was left out to make the message small enough to send; the sender can send it another way:",
                        "These attachments were left out to make the message small enough to send; the sender can send them another way:",
                        " (", ")")
        case .traditionalChinese: ("為令郵件能夠寄出，這個附件已移除，寄件人可另行傳送：", "為令郵件能夠寄出，以下附件已移除，寄件人可另行傳送：", "（", "）")
        }
        return """
            <div style="margin:24px 0 0;padding:12px 16px;border:1px solid #d0d7de;border-radius:8px;font-size:14px;line-height:1.5">
            <p style="margin:0 0 8px">{{#multiple}}\(introMany){{/multiple}}{{^multiple}}\(intro){{/multiple}}</p>
            {{#files}}
            <p style="margin:8px 0" data-mailprep-name="{{name}}" data-mailprep-size="{{bytes}}" data-mailprep-sha256="{{sha256}}">{{name}}\(open){{size}}\(close)<br>
            <span style="color:#57606a;font-family:monospace;font-size:12px;word-break:break-all">SHA-256 {{sha256}}</span></p>
            {{/files}}
            </div>

            """
    }

    /// The block for a text/plain body.
    public func text(_ links: [SharedLink], protected: Bool) throws(TemplateError) -> String {
        // Text is not HTML: no entity escaping in it.
        let prefix = textTemplate.hasPrefix("{{% CONTENT_TYPE") ? "" : "{{% CONTENT_TYPE: TEXT}}"
        return try render(prefix + textTemplate, which: "text", file: textTemplateFile, prefixLength: prefix.count, links: links,
                          protected: protected)
    }

    /// The block for an HTML body, inside a `div` whose `data-mailprep-links` attribute counts the links.
    public func html(_ links: [SharedLink], protected: Bool) throws(TemplateError) -> String {
        "<div data-mailprep-links=\"\(links.count)\">" + (try render(htmlTemplate, which: "HTML", file: htmlTemplateFile, prefixLength: 0, links: links, protected: protected)) + "</div>\n"
    }

    private func render(_ source: String, which: String, file: String?, prefixLength: Int, links: [SharedLink],
                        protected: Bool) throws(TemplateError) -> String {
        let template: MustacheTemplate
        do { template = try MustacheTemplate(string: source) } catch {
            guard let parserError = error as? MustacheTemplate.ParserError else {
                throw .invalid(which: which, file: file, line: 1, column: 1, problem: Self.problem(error))
            }
            let line = parserError.context.lineNumber
            let column = max(1, parserError.context.columnNumber - (line == 1 ? prefixLength : 0))
            throw .invalid(which: which, file: file, line: line, column: column, problem: Self.problem(parserError.error))
        }
        let files: [[String: Any]] = links.map { link in
            [
                "name": link.name, "url": link.url, "size": ByteCount.human(link.size), "bytes": String(link.size),
                "sha256": link.sha256, "expires": Self.date(link.expires, language: language),
                "expires_iso": Self.isoDate(link.expires),
                "archive": !link.contents.isEmpty, "contents": link.contents.map { ["name": $0] }, "contentCount": link.contents.count,
            ]
        }
        let context: [String: Any] = ["files": files, "count": links.count, "multiple": links.count > 1, "protected": protected,
                                      "bundled": links.contains { !$0.contents.isEmpty }]
        return template.render(context)
    }

    /// The date as a reader of the language writes it: "29 December 2026", "2026年12月29日".
    public static func date(_ date: Date, language: Language, timeZone: TimeZone = .current) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        let (year, month, day) = (parts.year ?? 1970, parts.month ?? 1, parts.day ?? 1)
        switch language {
        case .english:
            let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                          "October", "November", "December"]
            return "\(day) \(months[month - 1]) \(year)"
        case .traditionalChinese:
            return "\(year)年\(month)月\(day)日"
        }
    }

    /// ISO 8601 in UTC to the second: "2026-12-29T10:52:00Z".
    public static func isoDate(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    static func builtInText(_ language: Language) -> String {
        switch language {
        case .english:
            """

            --
            {{#bundled}}These attachments were too large to send by email; they are in one archive. Download it here:{{/bundled}}{{^bundled}}{{#multiple}}These attachments were too large to send by email. Download them here:{{/multiple}}{{^multiple}}This attachment was too large to send by email. Download it here:{{/multiple}}{{/bundled}}
            {{#files}}

              {{name}} ({{size}})
            {{#archive}}
              {{contentCount}} files in it:
            {{#contents}}
                {{name}}
            {{/contents}}
            {{/archive}}
              {{url}}
              Available until {{expires}}
              SHA-256: {{sha256}}
            {{/files}}
            {{#protected}}

            The download asks for a password, which the sender gives you separately.
            {{/protected}}

            """
        case .traditionalChinese:
            """

            --
            {{#bundled}}以下附件太大，無法以電郵寄出，已放進一個壓縮檔，請從以下連結下載：{{/bundled}}{{^bundled}}{{#multiple}}以下附件太大，無法以電郵寄出，請從以下連結下載：{{/multiple}}{{^multiple}}這個附件太大，無法以電郵寄出，請從以下連結下載：{{/multiple}}{{/bundled}}
            {{#files}}

              {{name}}（{{size}}）
            {{#archive}}
              內有 {{contentCount}} 個檔案：
            {{#contents}}
                {{name}}
            {{/contents}}
            {{/archive}}
              {{url}}
              下載期限：{{expires}}
              SHA-256：{{sha256}}
            {{/files}}
            {{#protected}}

            下載時需要輸入密碼，寄件人會另行告訴你。
            {{/protected}}

            """
        }
    }

    static func builtInHTML(_ language: Language) -> String {
        // Each language's own punctuation: "Available until 29 December 2026", "下載期限：2026年12月29日"; the size in
        // ASCII or full-width brackets.
        let (intro, introMany, until, open, close, password) = switch language {
        case .english: ("This attachment was too large to send by email. Download it here:",
                        "These attachments were too large to send by email. Download them here:",
                        "Available until ", " (", ")", "The download asks for a password, which the sender gives you separately.")
        case .traditionalChinese: ("這個附件太大，無法以電郵寄出，請從以下連結下載：", "以下附件太大，無法以電郵寄出，請從以下連結下載：",
                                   "下載期限：", "（", "）", "下載時需要輸入密碼，寄件人會另行告訴你。")
        }
        let (introBundle, filesIn) = switch language {
        case .english: ("These attachments were too large to send by email; they are in one archive. Download it here:", " files in it: ")
        case .traditionalChinese: ("以下附件太大，無法以電郵寄出，已放進一個壓縮檔，請從以下連結下載：", " 個檔案：")
        }
        return """
            <div style="margin:24px 0 0;padding:12px 16px;border:1px solid #d0d7de;border-radius:8px;font-family:-apple-system,'Segoe UI',Roboto,'PingFang HK','Microsoft JhengHei',sans-serif;font-size:14px;line-height:1.5">
            <p style="margin:0 0 8px">{{#bundled}}\(introBundle){{/bundled}}{{^bundled}}{{#multiple}}\(introMany){{/multiple}}{{^multiple}}\(intro){{/multiple}}{{/bundled}}</p>
            {{#files}}
            <p style="margin:8px 0" data-mailprep-link="{{url}}" data-mailprep-name="{{name}}" data-mailprep-size="{{bytes}}" data-mailprep-sha256="{{sha256}}" data-mailprep-expires="{{expires_iso}}"><a href="{{url}}" style="font-weight:600">{{name}}</a>\(open){{size}}\(close)<br>
            {{#archive}}<span style="color:#57606a">{{contentCount}}\(filesIn){{#contents}}{{name}} {{/contents}}</span><br>{{/archive}}
            <span style="color:#57606a">\(until){{expires}}</span><br>
            <span style="color:#57606a;font-family:monospace;font-size:12px;word-break:break-all">SHA-256 {{sha256}}</span></p>
            {{/files}}
            {{#protected}}
            <p style="margin:8px 0 0">\(password)</p>
            {{/protected}}
            </div>

            """
    }
}
