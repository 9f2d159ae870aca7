extension KeepReason {
    /// The reason as the report shows it.
    public func text(_ language: Language) -> String {
        switch (self, language) {
        case (.notNeeded, .english): "not needed"
        case (.notNeeded, .traditionalChinese): "毋須處理"
        case (.attachedMessage, .english): "attached message"
        case (.attachedMessage, .traditionalChinese): "附加的郵件"
        case (.messageText, .english): "message text or inline content"
        case (.messageText, .traditionalChinese): "郵件內文或內嵌內容"
        case (.shownByHTML, .english): "shown by the message's HTML"
        case (.shownByHTML, .traditionalChinese): "郵件的 HTML 內文會顯示它"
        case (.alreadyCompressed(let kind), .english): "already compressed: \(kind)"
        case (.alreadyCompressed(let kind), .traditionalChinese): "已是壓縮格式：\(kind)"
        case (.smallGain(let percent), .english): "gains only \(percent)%"
        case (.smallGain(let percent), .traditionalChinese): "只能縮小 \(percent)%"
        }
    }
}
