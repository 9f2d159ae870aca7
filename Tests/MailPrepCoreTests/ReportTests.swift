import Foundation
import Testing
import MIME
@testable import MailPrepCore

/// Reports: every problem has a text in each language, and tables line up with Chinese names.
@Suite("Reports")
struct ReportTests {
    @Test("every defect code has its own English and Traditional Chinese text", arguments: Defect.Code.allCases)
    func problemTexts(code: Defect.Code) {
        let problem = Problem(severity: .warning, code: code.rawValue, offset: 0, path: nil, detail: "7")
        let english = Catalog.english.problem(problem)
        let chinese = Catalog.traditionalChinese.problem(problem)
        #expect(english != code.rawValue && !english.isEmpty)
        #expect(chinese != code.rawValue && chinese != english)
        #expect(chinese.unicodeScalars.contains { DisplayWidth.width(of: $0) == 2 })
    }

    @Test("the locale picks the language: any Chinese locale gets Traditional Chinese")
    func languageFromLocale() {
        #expect(Language.fromEnvironment(["LANG": "zh_HK.UTF-8"]) == .traditionalChinese)
        #expect(Language.fromEnvironment(["LC_ALL": "en_US.UTF-8", "LANG": "zh_TW.Big5"]) == .english)
        #expect(Language.fromEnvironment(["LC_MESSAGES": "zh_CN.UTF-8"]) == .traditionalChinese)
        #expect(Language.fromEnvironment([:]) == .english)
        #expect(Language(code: "fr") == nil)
    }

    @Test("wide characters take two columns, so table columns line up")
    func displayWidth() {
        #expect(DisplayWidth.of("財務報表.xls") == 12)
        #expect(DisplayWidth.pad("報表", to: 6) == "報表  ")
        #expect(DisplayWidth.of(DisplayWidth.pad("二零二六年第三季業務檢討", to: 9)) == 9)
        let long = "二零二六年第三季業務檢討會議簡報（最終版）.pdf"
        #expect(DisplayWidth.truncateMiddle(long, to: 30).hasSuffix("版）.pdf"))
        #expect(DisplayWidth.of(DisplayWidth.truncateMiddle(long, to: 30)) <= 30)
    }

    @Test("JSON strings escape quotes and control characters and keep UTF-8")
    func jsonEscaping() {
        let value = JSONValue.object([("a", .string("報告 \"x\"\n\u{1}")), ("b", .array([.int(-1), .null, .bool(true)]))])
        #expect(value.serialized() == #"{"a":"報告 \"x\"\n\u0001","b":[-1,null,true]}"#)
    }

    @Test("a JSON object stays one line for every reader: a subject with U+0085 (as one in the test corpora has), U+2028 or U+2029 is escaped, other text is kept")
    func jsonOneLine() {
        let subject = "Re: 季度\u{85}報告\u{2028}第二段\u{2029}完 café"
        let line = JSONValue.object([("subject", .string(subject))]).serialized()
        #expect(line == #"{"subject":"Re: 季度\u0085報告\u2028第二段\u2029完 café"}"#)
        // Swift's isNewline counts what Python's splitlines does (U+0085, U+2028, U+2029 among them).
        #expect(line.split(whereSeparator: \.isNewline).count == 1)
        let decoded = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]
        #expect(decoded?["subject"] == subject, "read back, the same text")
    }
}

extension ReportTests {
    @Test("a plan's ratio: whole percents, and \"<1%\" where a little is left of much (76 kB of 16.7 MB is not nothing)", arguments: [
        (Int64(37), Int64(100), "37%"), (76_000, 16_700_000, "<1%"), (100_000, 16_700_000, "1%"), (0, 100, "0%"), (5, 0, "500%"),
    ])
    func ratio(after: Int64, before: Int64, shown: String) {
        #expect(FixReport.ratio(after, of: before) == shown)
    }
}
