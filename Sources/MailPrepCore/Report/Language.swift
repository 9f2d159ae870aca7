/// The language of report texts. JSON output never depends on it.
public enum Language: String, Sendable, CaseIterable {
    case english = "en"
    case traditionalChinese = "zh-Hant"

    /// Parses `--lang` values: "en", "zh-Hant", "zh_TW", "zh-HK", "zh".
    public init?(code: String) {
        let lowered = code.lowercased().replacingOccurrences(of: "_", with: "-")
        if lowered == "en" || lowered.hasPrefix("en-") || lowered == "c" || lowered == "posix" {
            self = .english
        } else if lowered.hasPrefix("zh") {
            self = .traditionalChinese
        } else {
            return nil
        }
    }

    /// The language the locale asks for (LC_ALL, then LC_MESSAGES, then LANG, as POSIX orders them).
    /// Any Chinese locale gets Traditional Chinese, the only Chinese built in; anything else English.
    public static func fromEnvironment(_ environment: [String: String]) -> Language {
        for name in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            if let value = environment[name], !value.isEmpty {
                return Language(code: String(value.prefix { $0 != "." && $0 != "@" })) ?? .english
            }
        }
        return .english
    }

    public var catalog: Catalog {
        switch self {
        case .english: .english
        case .traditionalChinese: .traditionalChinese
        }
    }
}
