import MIME

/// English text of a problem; also the `message` in JSON.
func englishProblem(_ problem: Problem) -> String {
    let detail = problem.detail ?? ""
    if problem.code == "too-many-recipients" {
        let parts = detail.split(separator: "/", maxSplits: 2).map(String.init)
        return "\(parts.first ?? "?") recipients; \(parts.count > 2 ? parts[2] : "the provider") allows \(parts.count > 1 ? parts[1] : "?") per message"
    }
    if problem.code == MessageCheck.expunged {
        return "Thunderbird has deleted this message (an old copy of a draft); it stays in the file until the folder is compacted, and folder checks leave it out"
    }
    if problem.code == MessageCheck.partialEMLX {
        return "Apple Mail keeps this message's large attachments in its Attachments folder, not here: the sizes leave them out (in Mail, File > Save As… > Raw Message Source gives the whole message)"
    }
    guard let code = Defect.Code(rawValue: problem.code) else { return problem.code }
    switch code {
    case .emptyMessage: return "the file is empty"
    case .notAMessage: return "no header fields at the start: not a message"
    case .missingHeaderBodySeparator: return "a line that is not a header field before the empty line; the body is taken to start there"
    case .headerContinuationWithoutField: return "a folded header line with no field before it"
    case .headerTooLarge: return "header section larger than \(detail) bytes; the rest is measured but not read"
    case .mboxFromLine: return "starts with an mbox \"From \" line"
    case .invalidContentType: return "Content-Type \"\(detail)\" is not type/subtype; text/plain assumed"
    case .multipartWithoutBoundary: return "multipart without a boundary parameter; measured as one part"
    case .invalidBoundary: return "multipart boundary is empty or too long; measured as one part"
    case .missingCloseDelimiter: return "multipart \"\(detail)\" never closes (no --\(detail)-- line)"
    case .noPartsInMultipart: return "multipart without any part"
    case .nestingTooDeep: return "multiparts nested deeper than \(detail) levels; the rest is measured as one part"
    case .tooManyParts: return "more than \(detail) parts; the rest is measured as part of the last one"
    case .unknownTransferEncoding: return "unknown Content-Transfer-Encoding \"\(detail)\"; measured as is"
    case .invalidBase64Characters: return "\(detail) characters outside the base64 alphabet (skipped)"
    case .base64DataAfterPadding: return "\(detail) base64 characters after the padding (ignored by decoders)"
    case .truncatedBase64: return "base64 data ends in the middle of a group: the part is cut off"
    case .truncatedUuencode: return "uuencoded data has no \"end\" line: the part is cut off"
    case .eightBitHeader: return "8-bit header text that is neither UTF-8 nor RFC 2047 encoded; readers must guess its charset"
    case .bareLineFeeds: return "\(detail) lines end in LF alone; each is sent as CRLF (one byte more)"
    case .missingFinalNewline: return "no line break at the end; the client adds one (2 bytes)"
    case .lineTooLong: return "\(detail) lines longer than 998 characters (RFC 5322); some servers reject or break them"
    }
}

/// Traditional Chinese text of a problem.
func chineseProblem(_ problem: Problem) -> String {
    let detail = problem.detail ?? ""
    if problem.code == "too-many-recipients" {
        let parts = detail.split(separator: "/", maxSplits: 2).map(String.init)
        return "共 \(parts.first ?? "?") 位收件人；\(parts.count > 2 ? parts[2] : "服務商")每封郵件只容許 \(parts.count > 1 ? parts[1] : "?") 位"
    }
    if problem.code == MessageCheck.expunged {
        return "Thunderbird 已刪除這封郵件（草稿的舊副本）；資料夾壓縮前它仍留在檔案內，檢查整個資料夾時不會列出"
    }
    if problem.code == MessageCheck.partialEMLX {
        return "Apple Mail 把這封郵件的大型附件存放在 Attachments 資料夾，不在此檔案內：以上大小並未計入（在「郵件」App 選「檔案 > 另存新檔… > 原始郵件來源」可得完整郵件）"
    }
    guard let code = Defect.Code(rawValue: problem.code) else { return problem.code }
    switch code {
    case .emptyMessage: return "檔案是空的"
    case .notAMessage: return "開頭沒有標頭欄位：不是郵件"
    case .missingHeaderBodySeparator: return "空行之前出現不是標頭欄位的行；由該行起視為內文"
    case .headerContinuationWithoutField: return "摺行的標頭行之前沒有欄位"
    case .headerTooLarge: return "標頭超過 \(detail) 位元組；其餘部分只計算大小，不作解析"
    case .mboxFromLine: return "以 mbox 的「From 」行開頭"
    case .invalidContentType: return "Content-Type「\(detail)」不是 類型/子類型；當作 text/plain"
    case .multipartWithoutBoundary: return "multipart 沒有 boundary 參數；當作單一部分計算"
    case .invalidBoundary: return "multipart 的 boundary 是空的或太長；當作單一部分計算"
    case .missingCloseDelimiter: return "multipart「\(detail)」沒有結束（缺少 --\(detail)-- 行）"
    case .noPartsInMultipart: return "multipart 裏沒有任何部分"
    case .nestingTooDeep: return "multipart 嵌套超過 \(detail) 層；其餘當作單一部分計算"
    case .tooManyParts: return "超過 \(detail) 個部分；其餘計入最後一個部分"
    case .unknownTransferEncoding: return "未知的 Content-Transfer-Encoding「\(detail)」；按原樣計算"
    case .invalidBase64Characters: return "有 \(detail) 個字元不屬於 base64 字母表（已略過）"
    case .base64DataAfterPadding: return "填充符號之後還有 \(detail) 個 base64 字元（解碼時會被忽略）"
    case .truncatedBase64: return "base64 資料在一組字元中途結束：這部分被截斷了"
    case .truncatedUuencode: return "uuencode 資料沒有「end」行：這部分被截斷了"
    case .eightBitHeader: return "標頭含有既非 UTF-8、亦未經 RFC 2047 編碼的 8 位元文字；收件程式只能猜測其字元集"
    case .bareLineFeeds: return "有 \(detail) 行只以 LF 結尾；傳送時每行會變成 CRLF（多 1 位元組）"
    case .missingFinalNewline: return "結尾沒有換行；郵件程式會補上一個（2 位元組）"
    case .lineTooLong: return "有 \(detail) 行超過 998 個字元（RFC 5322）；部分伺服器會拒收或將其斷開"
    }
}
